import Fluent
import FluentPostgresDriver
import FluentSQL
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
            let writer = SQLiteWriter(path: path)
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
    /// (`SQLiteWriter`), so the pragmas are applied to each of them once at start (the writer's when it opens).
    public static func prepare(_ app: Application) async throws {
        guard app.databases.ids().contains(.sqlite) else { return }
        for eventLoop in app.eventLoopGroup.makeIterator() {
            let database = app.databases.database(.sqlite, logger: app.logger, on: eventLoop)!
            try await database.withConnection { connection in
                let sql = connection as! any SQLDatabase
                for pragma in sqlitePragmas { try await sql.raw(SQLQueryString(pragma)).run() }
            }
        }
    }

    /// The pragmas every SQLite connection gets (the writer's when it opens).
    static let sqlitePragmas = [walPragma, "PRAGMA synchronous = FULL", busyTimeoutPragma, "PRAGMA foreign_keys = ON",
                                "PRAGMA cache_size = -65536", "PRAGMA temp_store = MEMORY"]

    static let walPragma = "PRAGMA journal_mode = WAL"
    static let busyTimeoutPragma = "PRAGMA busy_timeout = 10000"

    /// Lets this process's bulk write transactions (an import's) have the SQLite file to themselves: each closes the
    /// readers' connections before it begins and opens them again after it, so that the writer's connection can be
    /// the file's only one and write through a rollback journal (`SQLiteWriter.transaction(_:bulk:_:)`). For
    /// one-shot commands (`keel import`, `keel bench`), never for `keel serve`, whose requests read all the time: a
    /// database handle taken from `app.db` before such a transaction is closed by it, so take a new one after.
    public static func allowBulkWrites(_ app: Application) {
        guard let writer = writer(app) else { return }
        // Weakly: the writer belongs to the application's databases, and would otherwise keep the application.
        writer.allowBulkWrites(readers: SQLiteReaders(
            close: { [weak app] in
                guard let app else { return }
                // Fluent shuts the pool down synchronously, waiting on its event loops: not on one of them.
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    DispatchQueue.global().async {
                        app.databases.reinitialize(.sqlite)
                        done.resume()
                    }
                }
            },
            reopen: { [weak app] in
                guard let app else { return }
                try await prepare(app)
            }))
    }

    /// How many of this process's bulk transactions wrote through a rollback journal (0 on PostgreSQL).
    public static func rollbackJournalTransactions(_ app: Application) -> Int {
        writer(app)?.rollbackJournals ?? 0
    }

    /// The SQLite file's writer, if the application's database is one.
    private static func writer(_ app: Application) -> SQLiteWriter? {
        app.databases.ids().contains(.sqlite) ? SQLiteWriter.of(app.db(.sqlite)) : nil
    }

    /// Answers whether the database responds (for `/healthz`).
    public static func ping(_ db: any Database) async -> Bool {
        guard let sql = db as? any SQLDatabase else { return false }
        return (try? await sql.raw("SELECT 1 AS one").first()) != nil
    }
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
/// The writer has its own event loop, and `writeTransaction` runs the transaction's code there (as a task executor
/// preference). The connection is Keel's own (`SQLiteWriterConnection`): it calls SQLite on that loop's thread,
/// synchronously, so a transaction's statements follow each other without leaving the thread, and it keeps them
/// prepared. (Through sqlite-nio each statement was a hop to a thread pool and back; on a loop that also served
/// HTTP each hop back waited behind requests, and even on its own loop each waited for the scheduler.)
public final class SQLiteWriter: LifecycleHandler, Sendable {
    let path: String
    private let eventLoopGroup: MultiThreadedEventLoopGroup
    private struct State {
        /// How many transactions the writer has begun (each one's number identifies it; tests use it), and how
        /// many are still running (waiting for their turn or inside it).
        var begun: Int64 = 0
        var running = 0
        /// Whether the application is shutting down.
        var closed = false
        /// Whether a transaction has the connection, and who waits for it, in order of arrival.
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
        /// Opened by the first transaction.
        var connection: SQLiteWriterConnection?
        /// The readers a bulk transaction may close (`DatabaseSetup.allowBulkWrites`).
        var readers: SQLiteReaders?
        /// Bulk transactions that ran in a rollback journal (tests read it).
        var rollbackJournals = 0
        /// Whether a bulk transaction could not put the file back in WAL mode (the next transaction tries again).
        var walPending = false
    }
    private let state = NIOLockedValueBox(State())
    /// Runs the write transactions' code on the writer's event loop.
    let executor: EventLoopTaskExecutor

    /// Checkpoints the WAL for the writer's commits, on a thread of its own.
    let checkpointer: SQLiteCheckpointer

    init(path: String, checkpointPages: Int32 = SQLiteCheckpointer.defaultPages,
         checkpointBackstopPages: Int32 = SQLiteCheckpointer.defaultBackstopPages) {
        self.path = path
        checkpointer = SQLiteCheckpointer(path: path, pages: checkpointPages, backstopPages: checkpointBackstopPages)
        eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        executor = EventLoopTaskExecutor(eventLoopGroup.next())
    }

    var isShuttingDown: Bool { state.withLockedValue { $0.closed } }

    /// The writer of the SQLite file `db` reads, if it is one registered by `DatabaseSetup`.
    static func of(_ db: any Database) -> SQLiteWriter? {
        (db.context.configuration as? SQLiteFileConfiguration)?.writer
    }

    /// Runs `body` once no other transaction has the connection (first come, first served), then hands the
    /// connection to the next waiting transaction, if any.
    private func withTurn<T>(_ body: () async throws -> T) async rethrows -> T {
        await withCheckedContinuation { (turn: CheckedContinuation<Void, Never>) in
            let now = state.withLockedValue { state -> Bool in
                guard state.busy else {
                    state.busy = true
                    return true
                }
                state.waiting.append(turn)
                return false
            }
            if now { turn.resume() }
        }
        defer {
            let next = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                guard !state.waiting.isEmpty else {
                    state.busy = false
                    return nil
                }
                return state.waiting.removeFirst()
            }
            next?.resume()
        }
        return try await body()
    }

    /// Lets bulk transactions close `readers` for their duration (`DatabaseSetup.allowBulkWrites`).
    func allowBulkWrites(readers: SQLiteReaders) { state.withLockedValue { $0.readers = readers } }

    /// How many bulk transactions ran in a rollback journal.
    var rollbackJournals: Int { state.withLockedValue { $0.rollbackJournals } }

    /// The connection, opened on first use (only the transaction whose turn it is calls this).
    private func connection() throws -> SQLiteWriterConnection {
        if let connection = state.withLockedValue({ $0.connection }) { return connection }
        let connection = try SQLiteWriterConnection(path: path, pragmas: DatabaseSetup.sqlitePragmas,
                                                    checkpointer: checkpointer)
        state.withLockedValue { $0.connection = connection }
        return connection
    }

    /// Refuses new transactions, lets the running ones finish (a background job may be inside one), then closes
    /// the connection and the loop.
    public func shutdownAsync(_ application: Application) async { await shutdown() }

    func shutdown() async {
        state.withLockedValue { $0.closed = true }
        // Up to 30 s for the transactions that were already running or waiting.
        var waited = 0
        while state.withLockedValue({ $0.running }) > 0, waited < 3_000 {
            try? await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        // Closed only if no transaction is left on it (one still running after 30 s keeps it, and the process is
        // ending anyway).
        let connection = state.withLockedValue { state -> SQLiteWriterConnection? in
            state.running == 0 ? state.connection.take() : nil
        }
        // The checkpointer first: closing the writer's connection then checkpoints what is left, when it is the
        // file's last connection.
        checkpointer.close()
        connection?.close()
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

/// The readers' connections of a process, which its bulk transactions may close (`DatabaseSetup.allowBulkWrites`).
struct SQLiteReaders: Sendable {
    let close: @Sendable () async -> Void
    let reopen: @Sendable () async throws -> Void
}

extension SQLiteWriter {
    /// A bulk transaction (a whole import) writes through SQLite's rollback journal instead of the WAL when the
    /// writer's connection is the file's only one.
    ///
    /// In WAL mode every page a transaction writes goes to the WAL and is copied into the database file by a
    /// checkpoint: an import of a million transactions wrote its 800 MB twice, and its commit waited for the copy
    /// and its fsync. With a rollback journal, new pages go straight into the file and the journal keeps only the
    /// old contents of pages the transaction changes; it is synced before the file is overwritten and removed at the
    /// commit, which syncs the file (`synchronous=FULL`). The commit is as durable, a failure rolls back as fully,
    /// and a crash leaves a hot journal that the next connection rolls back. `sqlite3` alone copied that book in
    /// 9.2 s this way against 12.5 s through the WAL (BENCHMARKS.md, eighteenth look).
    ///
    /// SQLite leaves WAL mode only for the file's one connection: readers of this process are closed first (when
    /// the process allows it, `DatabaseSetup.allowBulkWrites`) and the checkpointer's connection too. If another
    /// connection still has the file open (another process, `keel serve`), the attempt fails at once and the
    /// transaction runs in WAL as any other. After it the file goes back to WAL mode and the readers are opened
    /// again. While it runs, other connections that open the file wait for its commit rather than read an older
    /// state, which is why only one-shot commands allow it.
    struct RollbackJournal {
        let readers: SQLiteReaders?
        let entered: Bool

        static func enter(_ writer: SQLiteWriter, _ connection: SQLiteWriterConnection, _ logger: Logger) async -> Self {
            let readers = writer.state.withLockedValue { $0.readers }
            await readers?.close()
            writer.checkpointer.closeConnection()
            var mode: String?
            do {
                // Without waiting: another connection holding the file is not going to let go.
                _ = try connection.text("PRAGMA busy_timeout = 0")
                mode = try connection.text("PRAGMA journal_mode = DELETE")
            } catch {
                logger.info("The bulk transaction stays in WAL mode: another connection has the database open",
                            metadata: ["error": "\(error)"])
            }
            do { _ = try connection.text(DatabaseSetup.busyTimeoutPragma) } catch {
                logger.warning("Cannot restore the writer's busy timeout", metadata: ["error": "\(error)"])
            }
            let entered = mode == "delete"
            if entered {
                writer.state.withLockedValue { $0.rollbackJournals += 1 }
                logger.info("The bulk transaction writes through a rollback journal")
            }
            return Self(readers: readers, entered: entered)
        }

        /// Puts the file back in WAL mode and opens the readers again.
        func leave(_ writer: SQLiteWriter, _ connection: SQLiteWriterConnection, _ logger: Logger) async {
            if entered { writer.returnToWAL(connection, logger) }
            guard let readers else { return }
            do { try await readers.reopen() } catch {
                logger.warning("Cannot reopen the database's readers", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Puts the file back in WAL mode (waiting up to the busy timeout for a connection that opened it meanwhile);
    /// if it cannot, the next transaction tries again, and every connection that opens the file asks for WAL too.
    fileprivate func returnToWAL(_ connection: SQLiteWriterConnection, _ logger: Logger) {
        var mode: String?
        do { mode = try connection.text(DatabaseSetup.walPragma) } catch {
            logger.warning("Cannot put the database back in WAL mode", metadata: ["error": "\(error)"])
        }
        state.withLockedValue { $0.walPending = mode != "wal" }
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
/// `bulk` (an import) lets a SQLite transaction write through a rollback journal when it can have the file to itself
/// (`SQLiteWriter.RollbackJournal`).
public func writeTransaction<T: Sendable>(_ db: any Database, bulk: Bool = false,
                                          _ work: @escaping @Sendable (any Database) async throws -> T)
    async throws -> T {
    if db.inTransaction { return try await work(db) }
    if let writer = SQLiteWriter.of(db) { return try await writer.transaction(db.context, bulk: bulk, work) }
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
    /// own on the global executor (the HTTP event loops under `keel serve`). Here the transaction waits for its
    /// turn at the connection and everything inside runs on the writer's loop. `context` is the caller's database
    /// context (its configuration, with Fluent's model middleware, and its logger and query history).
    func transaction<T: Sendable>(_ context: DatabaseContext, bulk: Bool = false,
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
            let result = try await withTurn {
                let connection = try connection()
                if state.withLockedValue({ $0.walPending }) { returnToWAL(connection, context.logger) }
                let journal = bulk ? await RollbackJournal.enter(self, connection, context.logger) : nil
                let tx = WriterTransaction(
                    connection: connection, number: number,
                    context: DatabaseContext(configuration: context.configuration, logger: context.logger,
                                             eventLoop: executor.eventLoop, history: context.history,
                                             pageSizeLimit: context.pageSizeLimit))
                let outcome: Result<T, any Error>
                do {
                    try tx.run("BEGIN IMMEDIATE")
                    do {
                        let value = try await CommitHooks.$current.withValue(hooks) { try await work(tx) }
                        try tx.run("COMMIT")
                        outcome = .success(value)
                    } catch {
                        // SQLite may have rolled back already (after some errors): then this fails, harmlessly.
                        try? tx.run("ROLLBACK")
                        throw error
                    }
                } catch {
                    outcome = .failure(error)
                }
                await journal?.leave(self, connection, context.logger)
                return try outcome.get()
            }
            hooks.runAll()
            return result
        }
    }
}

/// The writer connection inside a transaction that `SQLiteWriter` opened, as Fluent and SQLKit see it: Fluent's
/// queries become SQL as in fluent-sqlite-driver, values are encoded and decoded by sqlite-kit, and it says it is in
/// a transaction, so nested writes join it.
struct WriterTransaction: Database, SQLDatabase {
    let connection: SQLiteWriterConnection
    /// Which of the writer's transactions this is.
    let number: Int64
    let context: DatabaseContext

    var inTransaction: Bool { true }

    /// Runs SQL without parameters (the writer's BEGIN, COMMIT and ROLLBACK).
    func run(_ sql: String) throws { try run(sql, [SQLiteData]()) }

    /// Runs SQL with values ready to bind: SQLite's own, or a bulk insert's cells.
    func run<Values: Sequence>(_ sql: String, _ binds: Values,
                               _ onRow: (any SQLRow) -> Void = { _ in }) throws where Values.Element: SQLiteWriterBindable {
        logger.debug("Executing query", metadata: ["sql": .string(sql)])
        try connection.execute(sql, binds) { columns, values in onRow(SQLiteWriterRow(columns: columns, values: values)) }
    }

    /// Runs a long statement known by a short key (a bulk insert's), its text made only the first time.
    func run<Values: Sequence>(key: String, sql: () -> String, _ binds: Values) throws
    where Values.Element: SQLiteWriterBindable {
        logger.debug("Executing query", metadata: ["sql": .string(key)])
        try connection.execute(key: key, long: true, sql: sql, binds) { _, _ in }
    }

    private func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> Void) throws {
        let (sql, binds) = serialize(query)
        try run(sql, binds.map { try Self.encoder.encode($0) }, onRow)
    }

    /// One encoder for all statements, as sqlite-kit shares one per database.
    private static let encoder = SQLiteDataEncoder()

    // Database

    /// A Fluent query as SQL; a `create` returns the new row's id (fluent-sqlite-driver's rule: unless the custom
    /// id key is the empty string, its marker for composite ids).
    private func sql(_ query: DatabaseQuery) -> any SQLExpression {
        let converted = SQLQueryConverter(delegate: SQLiteWriterConverterDelegate()).convert(query)
        guard case .create = query.action, query.customIDKey != .some(.string("")) else { return converted }
        return SQLKit.SQLList([converted, SQLReturning(.init((query.customIDKey ?? .id).description))], separator: SQLRaw(" "))
    }

    func execute(query: DatabaseQuery,
                 onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeCompletedFuture {
            try run(sql(query)) { onOutput(SQLiteWriterOutput(row: $0, schema: nil)) }
        }
    }

    func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) async throws {
        try run(sql(query)) { onOutput(SQLiteWriterOutput(row: $0, schema: nil)) }
    }

    /// A schema change, as fluent-sqlite-driver makes it: SQLite has no enums (their updates are dropped) and alters
    /// a table only by adding or dropping columns.
    func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> {
        var schema = schema
        if schema.action == .update {
            schema.updateFields = schema.updateFields.filter {
                if case .dataType(_, .enum) = $0 { false } else { true }
            }
            guard schema.createConstraints.isEmpty, schema.updateFields.isEmpty, schema.deleteConstraints.isEmpty else {
                return eventLoop.makeFailedFuture(SQLiteWriterError.unsupported(
                    "SQLite only supports adding and dropping columns in ALTER TABLE"))
            }
            if schema.createFields.isEmpty, schema.deleteFields.isEmpty { return eventLoop.makeSucceededVoidFuture() }
        }
        return eventLoop.makeCompletedFuture {
            try run(SQLSchemaConverter(delegate: SQLiteWriterConverterDelegate()).convert(schema)) { _ in }
        }
    }

    func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> { eventLoop.makeSucceededVoidFuture() }

    func transaction<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        closure(self)
    }

    func withConnection<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        closure(self)
    }

    // SQLDatabase

    var version: (any SQLDatabaseReportedVersion)? { nil }
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { .debug }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeCompletedFuture { try run(query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try run(query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }
}
