import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Kernel
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
            var eventLoops = app.eventLoopGroup.makeIterator()
            let databases = app.databases, eventLoop = eventLoops.next()!
            let writer = SQLiteWriter { logger in databases.database(.sqliteWriter, logger: logger, on: eventLoop)! }
            app.databases.use(SQLiteFileConfiguration(fluent: fluent.make(), writer: writer), as: .sqlite)
            app.databases.use(fluent, as: .sqliteWriter, isDefault: false)
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
                           "PRAGMA temp_store = MEMORY",
                           "CREATE TABLE IF NOT EXISTS keel_write_lock (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
                           "INSERT OR IGNORE INTO keel_write_lock (id, n) VALUES (1, 0)"] {
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

/// The one connection through which every write transaction on a SQLite file runs.
///
/// SQLite lets one connection write at a time. Fluent keeps one connection per event loop, so without this, two
/// writers on two loops meet at SQLite's lock, and the loser polls it with sleeps of 1 to 100 ms (its busy
/// handler) while every request on its loop waits behind it; under steady group commits that loser waited up to a
/// second. Through one connection, writers queue in the process, first come first served, and the loops'
/// connections stay free for reads (WAL readers never wait for the writer).
public final class SQLiteWriter: Sendable {
    private let provider: @Sendable (Logger) -> any Database

    init(_ provider: @escaping @Sendable (Logger) -> any Database) { self.provider = provider }

    /// The writer connection's database, logging to `logger`.
    func database(logger: Logger) -> any Database { provider(logger) }

    /// The writer of the SQLite file `db` reads, if it is one registered by `DatabaseSetup`.
    static func of(_ db: any Database) -> SQLiteWriter? {
        (db.context.configuration as? SQLiteFileConfiguration)?.writer
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
/// On SQLite the transaction runs on the file's writer connection (`SQLiteWriter`), and its first statement is a
/// write (to `keel_write_lock`), so it takes the write lock at once, waiting behind other writers, and never fails
/// later upgrading a stale read snapshot (SQLITE_BUSY_SNAPSHOT). On PostgreSQL it is an ordinary transaction.
/// Nested calls join the outer one.
public func writeTransaction<T: Sendable>(_ db: any Database,
                                          _ work: @escaping @Sendable (any Database) async throws -> T)
    async throws -> T {
    if db.inTransaction { return try await work(db) }
    let db = SQLiteWriter.of(db)?.database(logger: db.logger) ?? db
    let hooks = CommitHooks()
    // The hooks are bound inside the transaction's closure: Fluent runs that closure in a task of its own (bridged
    // through an EventLoopFuture), which does not inherit the caller's task-locals.
    let result = try await db.transaction { tx in
        try await CommitHooks.$current.withValue(hooks) {
            if !tx.isPostgres {
                try await tx.sql.raw("UPDATE keel_write_lock SET n = n + 1 WHERE id = 1").run()
            }
            return try await work(tx)
        }
    }
    hooks.runAll()
    return result
}
