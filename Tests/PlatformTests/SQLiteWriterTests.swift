import FluentSQLiteDriver
import Foundation
import Kernel
import Logging
import NIOPosix
import NIOConcurrencyHelpers
@testable import Platform
import SQLKit
import Testing

@Suite("SQLite writer")
struct SQLiteWriterTests {
    @Test("At shutdown a running transaction still commits, and a new one is refused with platform.shutting_down")
    func shutdown() async throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("writer.sqlite").path
        let logger = Logger(label: "test")
        let context = Self.context(path, logger)
        let writer = SQLiteWriter(path: path)
        try await writer.transaction(context) { tx in
            try await tx.sql.raw("CREATE TABLE probe (n INTEGER NOT NULL)").run()
        }
        let gate = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)
        // A transaction that is inside its work when the shutdown starts.
        async let running: Void = writer.transaction(context) { tx in
            #expect(tx.inTransaction)
            await withCheckedContinuation { continuation in gate.withLockedValue { $0 = continuation } }
            try await tx.sql.raw("INSERT INTO probe (n) VALUES (1)").run()
        }
        while gate.withLockedValue({ $0 }) == nil { try await Task.sleep(for: .milliseconds(1)) }
        async let closing: Void = writer.shutdown()
        while !writer.isShuttingDown { try await Task.sleep(for: .milliseconds(1)) }
        do {
            try await writer.transaction(context) { tx in
                try await tx.sql.raw("INSERT INTO probe (n) VALUES (2)").run()
            }
            Issue.record("a transaction began during shutdown")
        } catch let error as DomainError {
            #expect(error.code == "platform.shutting_down")
            #expect(error.kind == .unavailable)
        }
        gate.withLockedValue { $0! }.resume()
        try await running
        await closing

        let reader = SQLiteWriter(path: path)
        let rows = try await reader.transaction(context) { tx in
            try await tx.sql.raw("SELECT n FROM probe ORDER BY n").all().map { try $0.decode(column: "n", as: Int.self) }
        }
        await reader.shutdown()
        #expect(rows == [1])
    }

    /// Runs `body` with a writer on a new database holding the table `create` makes, then shuts the writer down
    /// and removes the database, also when `body` fails.
    static func withScratchWriter(creating create: String,
                                  _ body: (SQLiteWriter, DatabaseContext) async throws -> Void) async throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("writer.sqlite").path
        let context = Self.context(path, Logger(label: "test"))
        let writer = SQLiteWriter(path: path)
        do {
            try await writer.transaction(context) { tx in try await tx.sql.raw(SQLQueryString(create)).run() }
            try await body(writer, context)
        } catch {
            await writer.shutdown()
            throw error
        }
        await writer.shutdown()
    }

    /// A new empty folder for a test's database file.
    static func scratchFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-writer-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A database context for a writer outside an application.
    static func context(_ path: String, _ logger: Logger) -> DatabaseContext {
        DatabaseContext(configuration: DatabaseConfigurationFactory.sqlite(.file(path)).make(), logger: logger,
                        eventLoop: MultiThreadedEventLoopGroup.singleton.any())
    }

    @Test("The writer's own connection: values round-trip, a reused statement takes new values, and a failing statement rolls the transaction back with SQLite's error")
    func connection() async throws {
        try await Self.withScratchWriter(creating: "CREATE TABLE probe (n INTEGER PRIMARY KEY, t TEXT, r REAL, b BLOB)") { writer, context in
            let texts = ["plain", "ünïcødé €", "a\u{0}b", ""]
            try await writer.transaction(context) { tx in
                for (n, text) in texts.enumerated() {
                    // One SQL text, four sets of values: the prepared statement is reset and re-bound each time.
                    try await tx.sql.raw("INSERT INTO probe (n, t, r, b) VALUES (\(bind: n), \(bind: text), \(bind: Double(n) / 4), \(bind: Data([UInt8(n), 0, 255])))").run()
                }
            }
            let rows = try await writer.transaction(context) { tx in
                try await tx.sql.raw("SELECT n, t, r, b, NULL AS empty FROM probe ORDER BY n").all().map { row in
                    #expect(try row.decodeNil(column: "empty"))
                    #expect(!row.contains(column: "absent"))
                    return (try row.decode(column: "t", as: String.self), try row.decode(column: "r", as: Double.self),
                            try row.decode(column: "b", as: Data.self))
                }
            }
            #expect(rows.map(\.0) == texts)
            #expect(rows.map(\.1) == [0, 0.25, 0.5, 0.75])
            #expect(rows.map(\.2) == (0..<4).map { Data([UInt8($0), 0, 255]) })
            // An empty blob stays an empty blob, not NULL.
            let empty = try await writer.transaction(context) { tx in
                try await tx.sql.raw("INSERT INTO probe (n, b) VALUES (20, \(bind: Data()))").run()
                return try await tx.sql.raw("SELECT b IS NULL AS missing, length(b) AS size FROM probe WHERE n = 20").first()
                    .map { (try $0.decode(column: "missing", as: Bool.self), try $0.decode(column: "size", as: Int.self)) }
            }
            #expect(empty?.0 == false && empty?.1 == 0)
            try await writer.transaction(context) { tx in try await tx.sql.raw("DELETE FROM probe WHERE n = 20").run() }

            do {
                try await writer.transaction(context) { tx in
                    try await tx.sql.raw("INSERT INTO probe (n, t) VALUES (10, 'kept?')").run()
                    try await tx.sql.raw("INSERT INTO probe (n, t) VALUES (0, 'duplicate key')").run()
                }
                Issue.record("a duplicate primary key was accepted")
            } catch let error as SQLiteWriterError {
                #expect(error.isConstraintFailure)
                #expect(error.message.contains("UNIQUE constraint failed: probe.n"))
            }
            let count = try await writer.transaction(context) { tx in
                try await tx.sql.raw("SELECT count(*) AS c FROM probe").first()!.decode(column: "c", as: Int.self)
            }
            #expect(count == texts.count)
        }
    }

    @Test("A bulk insert through the writer binds its cells as they are: UUIDs as canonical text, short and long text, the empty string, NULL and integers, also when a kept statement runs again with other values")
    func bulkCells() async throws {
        try await Self.withScratchWriter(creating: "CREATE TABLE cells (id TEXT, t TEXT, n INTEGER)") { writer, context in
            let ids = (0..<4).map { _ in UUID() }
            let long = String(repeating: "long text, ", count: 20)
            let first: [[SQLCell]] = [[.uuid(ids[0]), .text("short"), .integer(Int64.max)],
                                      [.uuid(ids[1]), .text(""), .null]]
            let second: [[SQLCell]] = [[.uuid(ids[2]), .null, .integer(-1)],
                                       [.uuid(ids[3]), .text(long), .integer(0)]]
            for rows in [first, second] {  // the same two-row statement, kept and bound again
                try await writer.transaction(context) { tx in
                    try await BulkInsert.run(tx, into: "cells", columns: [("id", .uuid), ("t", .text), ("n", .integer)],
                                             rows: rows)
                }
            }
            let rows = try await writer.transaction(context) { tx in
                try await tx.sql.raw("SELECT id, t, n FROM cells ORDER BY rowid").all().map {
                    (try $0.decode(column: "id", as: String.self), try $0.decode(column: "t", as: String?.self),
                     try $0.decode(column: "n", as: Int64?.self))
                }
            }
            #expect(rows.map(\.0) == ids.map(\.uuidString))
            #expect(rows.map(\.1) == ["short", "", nil, long])
            #expect(rows.map(\.2) == [Int64.max, nil, -1, 0])
        }
    }

    @Test("A bulk transaction alone with the file writes through a rollback journal, closing and reopening the readers, and leaves the file in WAL mode; one that fails changes nothing; with another connection open it stays in WAL")
    func bulkTransactions() async throws {
        try await Self.withScratchWriter(creating: "CREATE TABLE probe (n INTEGER NOT NULL)") { writer, context in
            let calls = NIOLockedValueBox<[String]>([])
            writer.allowBulkWrites(readers: SQLiteReaders(close: { calls.withLockedValue { $0.append("close") } },
                                                          reopen: { calls.withLockedValue { $0.append("reopen") } }))
            @Sendable func mode(_ tx: any Database) async throws -> String {
                try await tx.sql.raw("PRAGMA journal_mode").first()!.decode(column: "journal_mode", as: String.self)
            }
            @Sendable func insert(_ tx: any Database, _ count: Int) async throws {
                try await BulkInsert.run(tx, into: "probe", columns: [("n", .integer)],
                                         rows: (0..<count).map { [.integer(Int64($0))] })
            }
            func count() async throws -> Int {
                try await writer.transaction(context) { tx in
                    try await tx.sql.raw("SELECT count(*) AS c FROM probe").first()!.decode(column: "c", as: Int.self)
                }
            }
            let inside = try await writer.transaction(context, bulk: true) { tx in
                try await insert(tx, 50_000)
                return try await mode(tx)
            }
            #expect(inside == "delete")
            #expect(writer.rollbackJournals == 1)
            #expect(calls.withLockedValue { $0 } == ["close", "reopen"])
            #expect(try await writer.transaction(context) { try await mode($0) } == "wal")
            #expect(try await count() == 50_000)

            // A failure inside rolls back from the journal, and the file is in WAL mode again.
            await #expect(throws: DomainError.self) {
                try await writer.transaction(context, bulk: true) { tx in
                    try await insert(tx, 20_000)
                    throw DomainError.invalid("probe.failed", "the bulk work failed")
                }
            }
            #expect(writer.rollbackJournals == 2)
            #expect(try await writer.transaction(context) { try await mode($0) } == "wal")
            #expect(try await count() == 50_000)

            // Another connection to the file (another process, say) keeps it in WAL: the transaction runs as any other.
            let other = SQLiteWriter(path: writer.path)
            _ = try await other.transaction(context) { tx in try await tx.sql.raw("SELECT count(*) AS c FROM probe").first() }
            let beside = try await writer.transaction(context, bulk: true) { tx in
                try await insert(tx, 10)
                return try await mode(tx)
            }
            await other.shutdown()
            #expect(beside == "wal")
            #expect(writer.rollbackJournals == 2)
            #expect(try await count() == 50_010)
        }
    }

    @Test("A bulk insert's SQLite statements carry as many rows as one may, then the rest in pieces of a power of two down to 64 rows")
    func statementSizes() {
        func sizes(_ rows: Int, most: Int = 2_340) -> [Int] {
            var left = rows, sizes: [Int] = []
            while left > 0 {
                sizes.append(BulkInsert.sqliteRows(left, most: most))
                left -= sizes.last!
            }
            return sizes
        }
        #expect(sizes(3) == [3])
        #expect(sizes(64) == [64])
        #expect(sizes(65) == [64, 1])
        #expect(sizes(2_000) == [1_024, 512, 256, 128, 64, 16])
        #expect(sizes(5_000) == [2_340, 2_340, 256, 64])
        #expect(sizes(4_680) == [2_340, 2_340])
    }

    @Test("Commits leave the WAL's checkpoint to the checkpointer's thread, which copies the pages into the database file; with it stopped, a commit checkpoints itself only at the backstop")
    func checkpoints() async throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("writer.sqlite").path
        let context = Self.context(path, Logger(label: "test"))
        let writer = SQLiteWriter(path: path, checkpointPages: 8, checkpointBackstopPages: 400)
        func size() throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int }
        func insert(_ text: String) async throws {
            try await writer.transaction(context) { tx in try await tx.sql.raw("INSERT INTO probe (t) VALUES (\(bind: text))").run() }
        }
        do {
            try await writer.transaction(context) { tx in try await tx.sql.raw("CREATE TABLE probe (t TEXT NOT NULL)").run() }
            // About 25 pages: past the threshold, so the checkpointer is asked and copies them.
            try await insert(String(repeating: "a", count: 100_000))
            var waited = 0
            // The file grows during the checkpoint; its run is counted once it returns.
            while try size() < 100_000 || writer.checkpointer.progress.runs == 0, waited < 500 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            #expect(try size() >= 100_000)
            let progress = writer.checkpointer.progress
            #expect(progress.runs >= 1)
            #expect(progress.log > 0 && progress.copied == progress.log)

            // With the checkpointer stopped, a commit under the backstop leaves its pages in the WAL...
            writer.checkpointer.close()
            let before = try size()
            try await insert(String(repeating: "b", count: 100_000))
            try await Task.sleep(for: .milliseconds(100))
            #expect(try size() == before)
            // ...and one that takes the WAL past it (about 500 pages) copies them itself before it returns.
            try await insert(String(repeating: "c", count: 2_000_000))
            #expect(try size() >= before + 2_100_000)
        } catch {
            await writer.shutdown()
            throw error
        }
        await writer.shutdown()

        let reader = SQLiteWriter(path: path)
        let lengths = try await reader.transaction(context) { tx in
            try await tx.sql.raw("SELECT length(t) AS n FROM probe ORDER BY n").all().map { try $0.decode(column: "n", as: Int.self) }
        }
        await reader.shutdown()
        #expect(lengths == [100_000, 100_000, 2_000_000])
    }
}
