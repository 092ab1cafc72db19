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
            try await BulkInsert.run(db, into: "ledger_lines", columns: [("id", .uuid)] + PostingEngine.lineColumns,
                                     rows: linesBefore.map { [.uuid(UUID.v7())] + $0 })

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
                try await Self.insertLines(db, [again])
            }
        }
    }

    /// The database itself keeps the ledger's references, whatever writes to it: on SQLite by declared foreign keys,
    /// on PostgreSQL (`ledger.010`) by triggers checking each statement's rows at once. Either way a line naming an
    /// entry or account that does not exist, or an entry naming an unknown journal, is refused with nothing written,
    /// even when it is one row among many of a statement, and a row that lines name cannot be deleted or re-keyed.
    @Test("The database refuses lines and entries that name rows which do not exist")
    func references() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            let posted = try await ledger.post(sale(10_000), by: .system)
            let good = try await Self.lines(db)
            let entry = UUID(uuidString: posted.id)!
            guard case .uuid(let account) = good[0][2] else { Issue.record("no account id"); return }
            func line(_ number: Int64, entry: UUID = entry, account: UUID = account) -> [SQLCell] {
                [.uuid(entry), .integer(number), .uuid(account), .text("2026-03-10"), .integer(1), .integer(0),
                 .text("EUR"), .integer(1), .integer(0), .text("1"), .null, .null, .null, .null]
            }
            try await Self.refused(db) { try await Self.insertLines(db, [line(5, account: UUID())]) }
            try await Self.refused(db) { try await Self.insertLines(db, [line(5, entry: UUID())]) }
            // One unknown account among many rows of one statement: none of them stays.
            try await Self.refused(db) {
                try await Self.insertLines(db, (5..<400).map { line($0) } + [line(400, account: UUID())])
            }
            try await Self.refused(db) {
                try await db.sql.raw("UPDATE ledger_lines SET account_id = \(bind: UUID()) WHERE line_no = 0").run()
            }
            try await Self.refused(db) {
                try await db.sql.raw("UPDATE ledger_entries SET journal = 'NOPE'").run()
            }
            try await Self.refused(db) {
                try await db.sql.raw("UPDATE ledger_entries SET reversal_of = \(bind: UUID())").run()
            }
            // The rows lines name: the balances' own foreign keys aside, the lines alone keep the account.
            try await db.sql.raw("DELETE FROM ledger_balances").run()
            try await db.sql.raw("DELETE FROM ledger_daily_balances").run()
            try await Self.refused(db) {
                try await db.sql.raw("DELETE FROM ledger_accounts WHERE id = \(bind: account)").run()
            }
            try await Self.refused(db) {
                try await db.sql.raw("DELETE FROM ledger_entries WHERE id = \(bind: entry)").run()
            }
            try await Self.refused(db) {
                try await db.sql.raw("DELETE FROM ledger_journals WHERE code = 'SAL'").run()
            }
            if db.isPostgres {
                // As with declared keys, a table that rows name cannot be emptied with TRUNCATE.
                await #expect { try await db.sql.raw("TRUNCATE ledger_journals").run() } throws: {
                    String(reflecting: $0).contains("cannot truncate a table referenced in a foreign key constraint")
                }
            }
            #expect(try await Self.lines(db) == good)
            #expect(try await ledger.entry(id: posted.id).lines.count == 2)
            // Rows nothing names go as before, and changing other columns of a named row is not refused.
            try await db.sql.raw("UPDATE ledger_accounts SET name = name WHERE id = \(bind: account)").run()
            try await Self.insertLines(db, [line(2)])
            try await db.sql.raw("DELETE FROM ledger_lines WHERE line_no = 2").run()
            try await db.sql.raw("DELETE FROM ledger_journals WHERE code NOT IN (SELECT journal FROM ledger_entries)").run()

            // Reverted, PostgreSQL's declared keys are back and refuse the same rows.
            try await CheckPostingReferencesPerStatement().revert(on: db)
            try await Self.refused(db) { try await Self.insertLines(db, [line(5, account: UUID())]) }
            try await CheckPostingReferencesPerStatement().prepare(on: db)
            try await Self.refused(db) { try await Self.insertLines(db, [line(5, entry: UUID())]) }
            #expect(try await Self.lines(db) == good)
        }
    }

    static func insertLines(_ db: any Database, _ rows: [[SQLCell]]) async throws {
        try await BulkInsert.run(db, into: "ledger_lines", columns: PostingEngine.lineColumns, rows: rows)
    }

    /// `work` fails on a foreign key (SQLite's "FOREIGN KEY constraint failed", PostgreSQL's SQLSTATE 23503).
    static func refused(_ db: any Database, sourceLocation: SourceLocation = #_sourceLocation,
                        _ work: () async throws -> Void) async throws {
        do {
            try await work()
            Issue.record("not refused", sourceLocation: sourceLocation)
        } catch {
            let text = String(reflecting: error)
            #expect(text.lowercased().contains("foreign key") && (!db.isPostgres || text.contains("23503")),
                    "\(text)", sourceLocation: sourceLocation)
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
