import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import Ledger
import Platform
import SQLKit
import Testing

@Suite("Ledger migrations")
struct LedgerMigrationTests {
    /// Books posted before `ledger.009` (lines with a UUID id each) keep every line, balance and report once their
    /// lines are keyed by (entry, line number), and a line number cannot repeat within an entry afterwards.
    @Test("Keying lines by entry keeps every line of existing books")
    func keyLinesByEntry() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            let first = try await ledger.post(sale(10_000), by: .system)
            _ = try await ledger.post(batch: [sale(2_550, on: CivilDate(2026, 4, 2)), ProposedEntry(
                journal: "PUR", date: CivilDate(2026, 4, 3), memo: "Rent", lines: [
                    ProposedLine(account: "6000", debit: 80_000, currency: .eur, memo: "April", dimensions: ["department": "Ops"]),
                    ProposedLine(account: "2100", debit: 15_200, currency: .eur),
                    ProposedLine(account: "1010", credit: 95_200, currency: .eur),
                ])], by: .system)
            let trialBefore = try await ledger.trialBalance(asOf: CivilDate(2026, 4, 30))
            let entryBefore = try await ledger.entry(id: first.id)
            let linesBefore = try await Self.lines(db)
            #expect(linesBefore.count == 7)

            // The table as `ledger.001` made it: an id per line, an index on the entry.
            try await db.schema("ledger_lines").delete()
            try await CreateLedger.createLines(on: db)
            try await BulkInsert.run(db, into: "ledger_lines", columns: [
                ("id", .uuid), ("entry_id", .uuid), ("line_no", .integer), ("account_id", .uuid), ("date", .text),
                ("debit", .integer), ("credit", .integer), ("currency", .text), ("func_debit", .integer),
                ("func_credit", .integer), ("rate", .text), ("memo", .text), ("partner", .text), ("due_date", .text),
                ("dimensions", .text),
            ], rows: linesBefore.map { [.uuid(UUID.v7())] + $0 })

            try await KeyLinesByEntry().prepare(on: db)

            #expect(try await Self.lines(db) == linesBefore)
            #expect(try await ledger.trialBalance(asOf: CivilDate(2026, 4, 30)) == trialBefore)
            #expect(try await ledger.entry(id: first.id) == entryBefore)
            #expect(try await ledger.verifyBooks().isEmpty)
            let page = try await ledger.generalLedger(account: "1010", range: try DateRange(from: CivilDate(2026, 1, 1),
                                                                                            to: CivilDate(2026, 12, 31)))
            #expect(page.lines.map(\.balance) == [10_000, 12_550, -82_650])
            // The entry and line number are the key now.
            let again = linesBefore[0]
            await #expect(throws: (any Error).self) {
                try await BulkInsert.run(db, into: "ledger_lines", columns: [
                    ("entry_id", .uuid), ("line_no", .integer), ("account_id", .uuid), ("date", .text),
                    ("debit", .integer), ("credit", .integer), ("currency", .text), ("func_debit", .integer),
                    ("func_credit", .integer), ("rate", .text), ("memo", .text), ("partner", .text), ("due_date", .text),
                    ("dimensions", .text),
                ], rows: [again])
            }
        }
    }

    /// Every line, in key order, as the cells `BulkInsert` takes (without an id).
    static func lines(_ db: any Database) async throws -> [[SQLCell]] {
        let rows = try await db.sql.raw("""
            SELECT entry_id, line_no, account_id, date, debit, credit, currency, func_debit, func_credit, rate, memo,
                   partner, due_date, dimensions FROM ledger_lines ORDER BY entry_id, line_no
            """).all()
        return try rows.map { row in
            [.uuid(try row.decode(column: "entry_id", as: UUID.self)),
             .integer(try row.decode(column: "line_no", as: Int64.self)),
             .uuid(try row.decode(column: "account_id", as: UUID.self)),
             .text(try row.decode(column: "date", as: String.self)),
             .integer(try row.decode(column: "debit", as: Int64.self)),
             .integer(try row.decode(column: "credit", as: Int64.self)),
             .text(try row.decode(column: "currency", as: String.self)),
             .integer(try row.decode(column: "func_debit", as: Int64.self)),
             .integer(try row.decode(column: "func_credit", as: Int64.self)),
             .text(try row.decode(column: "rate", as: String.self)),
             .text(try row.decode(column: "memo", as: String?.self)),
             .text(try row.decode(column: "partner", as: String?.self)),
             .text(try row.decode(column: "due_date", as: String?.self)),
             .text(try row.decode(column: "dimensions", as: String?.self))]
        }
    }
}
