import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import Platform
import SQLKit
import Testing

@Suite("Audit chain")
struct AuditChainTests {
    /// Writes `count` audit records through the user use case (each create is one record).
    func seed(_ count: Int, _ db: any Database, _ context: PlatformContext) async throws {
        for index in 0..<count {
            _ = try await UserService(db: db, context: context)
                .create(.init(username: "user\(index)", roles: ["employee"], password: "a long password"), by: .system)
        }
    }

    func verify(_ db: any Database, _ context: PlatformContext) async throws -> ChainReport {
        try await AuditVerifier.verify(on: db, headPath: context.config.auditHeadPath)
    }

    @Test("An intact chain verifies, and the head file follows the newest row")
    func intact() async throws {
        try await withTestDatabase { db, context in
            try await seed(4, db, context)
            let report = try await verify(db, context)
            #expect(report.isIntact && report.rows == 4)
            let head = AuditHeadFile(path: context.config.auditHeadPath).read()
            #expect(head?.seq == 4)
        }
    }

    @Test("A tampered row is found by its sequence number")
    func tampered() async throws {
        try await withTestDatabase { db, context in
            try await seed(5, db, context)
            try await db.sql.raw("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").run()
            let report = try await verify(db, context)
            #expect(report.brokenSeq == 3)
        }
    }

    @Test("A deleted row is found")
    func deleted() async throws {
        try await withTestDatabase { db, context in
            try await seed(5, db, context)
            try await db.sql.raw("DELETE FROM audit_log WHERE seq = 2").run()
            #expect(try await verify(db, context).brokenSeq == 2)
        }
    }

    @Test("Reordered rows (contents swapped between sequence numbers) are found")
    func reordered() async throws {
        try await withTestDatabase { db, context in
            try await seed(4, db, context)
            let rows = try await db.sql.raw("SELECT * FROM audit_log WHERE seq IN (2, 3) ORDER BY seq").all()
            let second = try rows[0].decode(column: "entity_id", as: String.self)
            let third = try rows[1].decode(column: "entity_id", as: String.self)
            try await db.sql.raw("UPDATE audit_log SET entity_id = \(bind: third) WHERE seq = 2").run()
            try await db.sql.raw("UPDATE audit_log SET entity_id = \(bind: second) WHERE seq = 3").run()
            #expect(try await verify(db, context).brokenSeq == 2)
        }
    }

    @Test("A cut tail is found through the head file outside the database")
    func truncated() async throws {
        try await withTestDatabase { db, context in
            try await seed(5, db, context)
            try await db.sql.raw("DELETE FROM audit_log WHERE seq >= 4").run()
            try await db.sql.raw("UPDATE audit_head SET seq = 3").run()
            let report = try await verify(db, context)
            #expect(report.brokenSeq == 4)
            #expect(report.problem?.contains("tail was cut") == true)
        }
    }

    @Test("A chain rewritten with fresh hashes still differs from the head file")
    func rewritten() async throws {
        try await withTestDatabase { db, context in
            try await seed(3, db, context)
            // Rewrite row 3 and recompute its hash, as an attacker with database access could.
            let row = try await db.sql.raw("SELECT * FROM audit_log WHERE seq = 3").first()!
            func text(_ column: String) throws -> String { try row.decode(column: column, as: String.self) }
            let forged = AuditChain.digest(seq: 3, at: try text("at"), actor: "mallory", action: try text("action"),
                                           entity: try text("entity"), entityID: try text("entity_id"),
                                           before: try row.decode(column: "before_json", as: String?.self),
                                           after: try row.decode(column: "after_json", as: String?.self),
                                           prevHash: try text("prev_hash"))
            try await db.sql.raw("UPDATE audit_log SET actor = 'mallory', hash = \(bind: forged) WHERE seq = 3").run()
            let report = try await verify(db, context)
            #expect(report.brokenSeq == 3)
        }
    }

    @Test("Concurrent writers append one contiguous chain")
    func concurrentWriters() async throws {
        try await withTestDatabase { db, context in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        _ = try await UserService(db: db, context: context).create(
                            .init(username: "writer\(index)", roles: ["employee"], password: "a long password"), by: .system)
                    }
                }
                try await group.waitForAll()
            }
            let report = try await verify(db, context)
            #expect(report.isIntact && report.rows == 20)
        }
    }

    @Test("Records appended together chain like records appended one by one, and the head file names the last")
    func appendedTogether() async throws {
        try await withTestDatabase { db, context in
            try await seed(2, db, context)
            struct Note: Codable, Sendable, Equatable { let text: String }
            let entries = try (0..<5).map {
                try AuditChain.Entry(action: "note.add", entity: "note", entityID: "n\($0)", before: nil as Note?,
                                     after: Note(text: "text \($0)"))
            }
            try await writeTransaction(db) { tx in
                try await context.audit(tx, .system, entries)
                try await context.audit(tx, .system, [])
            }
            let report = try await verify(db, context)
            #expect(report.isIntact && report.rows == 7)
            #expect(AuditHeadFile(path: context.config.auditHeadPath).read()?.seq == 7)
            let rows = try await AuditChain.list(on: db, filter: AuditFilter(entity: "note"))
            #expect(rows.map(\.seq) == [7, 6, 5, 4, 3] && rows.map(\.entityID) == ["n4", "n3", "n2", "n1", "n0"])
            #expect(rows.first?.after == #"{"text":"text 4"}"# && rows.first?.before == nil)
            // A rolled-back transaction leaves neither rows nor a newer head file.
            await #expect(throws: (any Error).self) {
                try await writeTransaction(db) { tx in
                    try await context.audit(tx, .system, entries)
                    throw DomainError.invalid("test.rollback", "roll back")
                }
            }
            #expect(try await verify(db, context).rows == 7)
            #expect(AuditHeadFile(path: context.config.auditHeadPath).read()?.seq == 7)
        }
    }

    @Test("Committed heads are written off the committing thread, coalesced to the newest, never backwards")
    func headWriter() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-head-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("nested/audit-head").path
        let writer = AuditHeadWriter()
        for seq in 1...50 { writer.advance(path: path, to: Int64(seq), hash: "h\(seq)") }
        writer.advance(path: path, to: 7, hash: "older")
        writer.settle()
        let head = AuditHeadFile(path: path).read()
        #expect(head?.seq == 50 && head?.hash == "h50")
        writer.advance(path: path, to: 49, hash: "behind")
        writer.settle()
        #expect(AuditHeadFile(path: path).read()?.hash == "h50")
        writer.advance(path: path, to: 51, hash: "h51")
        writer.settle()
        #expect(AuditHeadFile(path: path).read()?.hash == "h51")
        // Without `settle`, the head is written by itself once the interval has passed.
        writer.advance(path: path, to: 52, hash: "h52")
        var text: String?
        for _ in 0..<200 where text != "52 h52\n" {
            Thread.sleep(forTimeInterval: 0.025)
            text = try? String(contentsOfFile: path, encoding: .utf8)
        }
        #expect(text == "52 h52\n")
    }
}
