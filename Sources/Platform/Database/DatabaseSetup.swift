import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Kernel
import NIOConcurrencyHelpers
import NIOCore
import SQLKit
import Vapor

/// Opens the configured database for an application and applies Keel's connection rules.
public enum DatabaseSetup {
    /// Registers the database with Fluent. For SQLite it creates the folder and the file if needed.
    public static func register(_ location: DatabaseLocation, config: KeelConfig, on app: Application) throws {
        switch location {
        case .sqlite(let path):
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let fluent = DatabaseConfigurationFactory.sqlite(.file(path), connectionPoolTimeout: .seconds(30),
                                                             sqlLogLevel: .debug)
            let writer = SQLiteWriter(fluent)
            app.lifecycle.use(writer)
            app.databases.use(SQLiteFileConfiguration(fluent: fluent.make(), writer: writer), as: .sqlite)
        case .postgres(let url):
            let configuration = try SQLPostgresConfiguration(url: url)
            app.databases.use(.postgres(configuration: configuration,
                                        maxConnectionsPerEventLoop: config.postgresConnectionsPerLoop,
                                        connectionPoolTimeout: .seconds(30), sqlLogLevel: .debug), as: .psql)
        }
    }

    /// SQLite connection rules: WAL (persistent in the file), synchronous=FULL so a commit survives a power cut,
    /// a bounded busy timeout, foreign keys on, and a page cache of up to 64 MiB per connection (the default 2 MiB
    /// spills a large import's dirty index pages to the WAL mid-transaction, writing them several times), and
    /// temporary storage in memory (a multi-row insert's statement journal otherwise goes to a temporary file).
    /// Fluent keeps one long-lived SQLite connection per event loop, and Keel one more for writing
    /// (`SQLiteWriter`), so the pragmas are applied to each of them once at start.
    public static func prepare(_ app: Application) async throws {
        guard app.databases.ids().contains(.sqlite) else { return }
        var writer: SQLiteWriter?
        for eventLoop in app.eventLoopGroup.makeIterator() {
            let database = app.databases.database(.sqlite, logger: app.logger, on: eventLoop)!
            try await preparePragmas(database)
            writer = SQLiteWriter.of(database)
        }
        if let writer { try await preparePragmas(writer.database(logger: app.logger)) }
    }

    private static func preparePragmas(_ database: any Database) async throws {
        try await database.withConnection { connection in
            let sql = connection as! any SQLDatabase
            for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL",
                           "PRAGMA busy_timeout = 10000", "PRAGMA foreign_keys = ON", "PRAGMA cache_size = -65536",
                           "PRAGMA temp_store = MEMORY"] {
                try await sql.raw(SQLQueryString(pragma)).run()
            }
        }
    }

    /// Answers whether the database responds (for `/healthz`).
    public static func ping(_ db: any Database) async -> Bool {
        guard let sql = db as? any SQLDatabase else { return false }
        return (try? await sql.raw("SELECT 1 AS one").first()) != nil
    }
}

extension DatabaseID {
    /// The same SQLite file as `.sqlite`, through the one connection that write transactions use.
    public static let sqliteWriter = DatabaseID(string: "sqlite-writer")
}

/// The one connection through which every write transaction on a SQLite file runs, on an event loop and a thread
/// of its own.
///
/// SQLite lets one connection write at a time. Fluent keeps one connection per event loop, so without this, two
/// writers on two loops meet at SQLite's lock, and the loser polls it with sleeps of 1 to 100 ms (its busy
/// handler) while every request on its loop waits behind it; under steady group commits that loser waited up to a
/// second. Through one connection, writers queue in the process, first come first served, and the loops'
/// connections stay free for reads (WAL readers never wait for the writer).
///
/// A write transaction is a chain of statements, each a hop from an event loop to SQLite's thread and back. On
/// a loop that also serves HTTP, each hop back waited behind whatever requests the loop was handling, so a
/// transaction of fifteen statements took milliseconds while the cores were partly idle. The writer therefore
/// has its own loop and its own SQLite thread, and `writeTransaction` runs the transaction's code on that loop
/// (as a task executor preference): a hop back finds the loop free.
public final class SQLiteWriter: LifecycleHandler, Sendable {
    private let eventLoopGroup: MultiThreadedEventLoopGroup
    private let threadPool: NIOThreadPool
    private let databases: Databases
    /// How many transactions the writer has begun (each one's number identifies it; tests use it), how many are
    /// still running, and whether the application is shutting down.
    private let state = NIOLockedValueBox<(begun: Int64, running: Int, closed: Bool)>((0, 0, false))
    /// Runs the write transactions' code on the writer's event loop.
    let executor: EventLoopTaskExecutor

    init(_ configuration: DatabaseConfigurationFactory) {
        eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        databases = Databases(threadPool: threadPool, on: eventLoopGroup)
        databases.use(configuration, as: .sqliteWriter)
        executor = EventLoopTaskExecutor(eventLoopGroup.next())
    }

    var isShuttingDown: Bool { state.withLockedValue { $0.closed } }

    /// The writer connection's database, logging to `logger`.
    func database(logger: Logger) -> any Database {
        databases.database(.sqliteWriter, logger: logger, on: executor.eventLoop)!
    }

    /// The writer of the SQLite file `db` reads, if it is one registered by `DatabaseSetup`.
    static func of(_ db: any Database) -> SQLiteWriter? {
        (db.context.configuration as? SQLiteFileConfiguration)?.writer
    }

    /// Refuses new transactions, lets the running ones finish (a background job may be inside one: its connection
    /// is closed on the writer's thread when it is handed back), then closes the connection, thread and loop.
    public func shutdownAsync(_ application: Application) async { await shutdown() }

    func shutdown() async {
        state.withLockedValue { $0.closed = true }
        // Up to 30 s, as long as a transaction may wait for the connection.
        var waited = 0
        while state.withLockedValue({ $0.running }) > 0, waited < 3_000 {
            try? await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        await databases.shutdownAsync()
        try? await threadPool.shutdownGracefully()
        try? await eventLoopGroup.shutdownGracefully()
    }
}

/// Runs Swift Concurrency jobs on one NIO event loop: a task that prefers it runs its nonisolated code there, so
/// awaiting a future that completes on that loop resumes without leaving it.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// How `DatabaseSetup` registers a SQLite file for reading: Fluent's own configuration, carrying the file's writer
/// so that `writeTransaction` can find it from any database handle.
struct SQLiteFileConfiguration: DatabaseConfiguration {
    var fluent: any DatabaseConfiguration
    let writer: SQLiteWriter

    var middleware: [any AnyModelMiddleware] {
        get { fluent.middleware }
        set { fluent.middleware = newValue }
    }

    func makeDriver(for databases: Databases) -> any DatabaseDriver { fluent.makeDriver(for: databases) }
}

extension Database {
    /// The SQLKit view of this database (both drivers provide it).
    public var sql: any SQLDatabase { self as! any SQLDatabase }

    public var isPostgres: Bool { sql.dialect.name == "postgresql" }
}

/// Runs work that writes in one transaction.
///
/// On SQLite the transaction runs on the file's writer connection and event loop (`SQLiteWriter`) and begins with
/// `BEGIN IMMEDIATE`, so it takes the write lock at once, waiting behind other writers, and never fails later
/// upgrading a stale read snapshot (SQLITE_BUSY_SNAPSHOT). On PostgreSQL it is an ordinary transaction. Nested calls
/// join the outer one. Work registered with `CommitHooks.afterCommit` runs once the transaction has committed.
public func writeTransaction<T: Sendable>(_ db: any Database,
                                          _ work: @escaping @Sendable (any Database) async throws -> T)
    async throws -> T {
    if db.inTransaction { return try await work(db) }
    if let writer = SQLiteWriter.of(db) { return try await writer.transaction(logger: db.logger, work) }
    let hooks = CommitHooks()
    // The hooks are bound inside the transaction's closure: Fluent runs that closure in a task of its own (bridged
    // through an EventLoopFuture), which does not inherit the caller's task-locals.
    let result = try await db.transaction { tx in
        try await CommitHooks.$current.withValue(hooks) { try await work(tx) }
    }
    hooks.runAll()
    return result
}

extension SQLiteWriter {
    /// One write transaction on the writer connection, its code on the writer's event loop.
    ///
    /// Fluent's own `transaction` is not used: it runs its closure, and its `BEGIN` and `COMMIT`, in a task of its
    /// own on the global executor (the HTTP event loops under `keel serve`), so every statement's answer waited
    /// behind request handling there. Here the connection is held for the whole transaction (as Fluent does) and
    /// everything inside runs on the writer's loop, where SQLite's answers arrive.
    func transaction<T: Sendable>(logger: Logger,
                                  _ work: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        let number = try state.withLockedValue { state -> Int64 in
            guard !state.closed else {
                throw DomainError(.unavailable, "platform.shutting_down", "Keel is shutting down; try again shortly")
            }
            state.begun += 1
            state.running += 1
            return state.begun
        }
        defer { state.withLockedValue { $0.running -= 1 } }
        let hooks = CommitHooks()
        let executor = executor
        return try await withTaskExecutorPreference(executor) {
            let result = try await database(logger: logger).withConnection { connection in
                // The connection's closure runs in a task of its own, which does not inherit the preference.
                try await withTaskExecutorPreference(executor) {
                    let tx = WriterTransaction(base: connection, number: number)
                    try await tx.sql.raw("BEGIN IMMEDIATE").run()
                    do {
                        let value = try await CommitHooks.$current.withValue(hooks) { try await work(tx) }
                        try await tx.sql.raw("COMMIT").run()
                        return value
                    } catch {
                        try? await tx.sql.raw("ROLLBACK").run()
                        throw error
                    }
                }
            }
            hooks.runAll()
            return result
        }
    }
}

/// The writer connection inside a transaction that `SQLiteWriter` opened: it forwards every query to the connection
/// (through Fluent, SQLKit or SQLiteNIO, as the connection does) and says it is in a transaction, so nested writes
/// join it.
struct WriterTransaction: Database, SQLDatabase, SQLiteDatabase {
    let base: any Database
    /// Which of the writer's transactions this is.
    let number: Int64

    var context: DatabaseContext { base.context }
    var inTransaction: Bool { true }
    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }

    func execute(query: DatabaseQuery,
                 onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) -> EventLoopFuture<Void> {
        base.execute(query: query, onOutput: onOutput)
    }

    func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> { base.execute(schema: schema) }

    func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> { base.execute(enum: `enum`) }

    func transaction<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        closure(self)
    }

    func withConnection<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        closure(self)
    }

    var version: (any SQLDatabaseReportedVersion)? { base.sql.version }
    var dialect: any SQLDialect { base.sql.dialect }
    var queryLogLevel: Logger.Level? { base.sql.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        base.sql.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await base.sql.execute(sql: query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }

    private var sqlite: any SQLiteDatabase { base as! any SQLiteDatabase }

    func query(_ query: String, _ binds: [SQLiteData], logger: Logger,
               _ onRow: @escaping @Sendable (SQLiteRow) -> Void) -> EventLoopFuture<Void> {
        sqlite.query(query, binds, logger: logger, onRow)
    }

    func withConnection<T>(_ closure: @escaping @Sendable (SQLiteConnection) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        sqlite.withConnection(closure)
    }
}
