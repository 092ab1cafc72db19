import FluentSQLiteDriver
import Foundation
import Kernel
import Logging
import NIOConcurrencyHelpers
@testable import Platform
import SQLKit
import Testing

@Suite("SQLite writer")
struct SQLiteWriterTests {
    @Test("At shutdown a running transaction still commits, and a new one is refused with platform.shutting_down")
    func shutdown() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-writer-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("writer.sqlite").path
        let logger = Logger(label: "test")
        let writer = SQLiteWriter(.sqlite(.file(path)))
        try await writer.transaction(logger: logger) { tx in
            try await tx.sql.raw("CREATE TABLE probe (n INTEGER NOT NULL)").run()
        }
        let gate = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)
        // A transaction that is inside its work when the shutdown starts.
        async let running: Void = writer.transaction(logger: logger) { tx in
            #expect(tx.inTransaction)
            await withCheckedContinuation { continuation in gate.withLockedValue { $0 = continuation } }
            try await tx.sql.raw("INSERT INTO probe (n) VALUES (1)").run()
        }
        while gate.withLockedValue({ $0 }) == nil { try await Task.sleep(for: .milliseconds(1)) }
        async let closing: Void = writer.shutdown()
        while !writer.isShuttingDown { try await Task.sleep(for: .milliseconds(1)) }
        do {
            try await writer.transaction(logger: logger) { tx in
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

        let reader = SQLiteWriter(.sqlite(.file(path)))
        let rows = try await reader.transaction(logger: logger) { tx in
            try await tx.sql.raw("SELECT n FROM probe ORDER BY n").all().map { try $0.decode(column: "n", as: Int.self) }
        }
        await reader.shutdown()
        #expect(rows == [1])
    }
}
