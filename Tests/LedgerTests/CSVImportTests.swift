import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import Ledger
import Platform
import Testing

@Suite("CSV postings and chart")
struct CSVImportTests {
    func write(_ text: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keel-\(UUID().uuidString).csv")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    @Test("Postings import from CSV: rows grouped by entry, one elided amount, journals, every problem by line")
    func postings() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            let bad = try write("""
                date,entry,journal,memo,account,debit,credit,currency,functional_amount,line_memo
                2026-03-01,A1,SAL,Invoice 1,1100,119.00,,EUR,,
                2026-03-01,A1,SAL,,4000,,100.00,EUR,,
                2026-03-01,A1,SAL,,2100,,19.00,EUR,,
                2026-03-02,A2,BNK,Receipt,1010,abc,,EUR,,
                2026-03-02,A2,BNK,,1100,,119.00,EUR,,
                2026-03-03,A3,GEN,Broken,1010,5.00,,EUR,,
                2026-03-03,A3,GEN,,6100,,4.00,EUR,,
                """)
            defer { try? FileManager.default.removeItem(atPath: bad) }
            let error = await #expect(throws: DomainError.self) {
                _ = try await ledger.importJournal(path: bad, format: .csv, by: .system)
            }
            #expect(error?.items.map { "\($0.line ?? 0) \($0.code)" } == ["5 money.parse.syntax"])
            #expect(try await ledger.entries().isEmpty)
            let good = try write("""
                entry,date,account,currency,amount,journal,memo,functional_amount
                A1,2026-03-01,1100,EUR,119.00,SAL,Invoice 1,
                A1,2026-03-01,Income:Sales,EUR,-100.00,,,
                A1,2026-03-01,2100,EUR,,,,
                A2,2026-03-02,1010,USD,200.00,BNK,"Receipt, in dollars",180.00
                A2,2026-03-02,1100,EUR,-180.00,,,
                """)
            defer { try? FileManager.default.removeItem(atPath: good) }
            let summary = try await ledger.importJournal(path: good, format: .csv, by: .system)
            #expect(summary.entries == 2)
            let rows = try await ledger.entries()
            #expect(Set(rows.map(\.number)) == ["SAL-2026-000001", "BNK-2026-000001"])
            #expect(rows.contains { $0.memo == "Receipt, in dollars" && $0.amount == 18_000 })
            let balances = try await ledger.trialBalance(asOf: CivilDate(2026, 3, 31))
            #expect(balances.first { $0.account.code == "2100" }?.balance == -1_900)
            #expect(balances.first { $0.account.code == "1010" }.map { ($0.balance, $0.functionalBalance) } ?? (0, 0) == (20_000, 18_000))
        }
    }

    @Test("The chart exports as CSV and imports back; new accounts are added parents first, clashes are refused")
    func chart() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            let csv = try await ledger.chartCSV()
            #expect(csv.hasPrefix("code,full_name,type,subtype,header,archived,currency\n"))
            #expect(csv.contains("\n1010,Assets:Current Assets:Bank,asset,bank,false,false,\n"))
            #expect(try await ledger.importChart(csv, source: "same.csv", by: .system) == 0)
            let error = await #expect(throws: DomainError.self) {
                _ = try await ledger.importChart("""
                    code,full_name,type,subtype,header
                    1010,Assets:Cash Box,asset,,false
                    7000,Expenses:Marketing:Ads,expense,,false
                    7100,Income:Grants,expense,,false
                    """, source: "bad.csv", by: .system)
            }
            #expect(error?.items.map { "\($0.line ?? 0) \($0.code)" } == ["2 ledger.account.exists", "3 ledger.account.parent_missing",
                                                                          "4 ledger.account.type_mismatch"])
            #expect(try await ledger.importChart("""
                code,full_name,type,subtype,header
                7001,Expenses:Marketing:Ads,expense,,false
                70,Expenses:Marketing,expense,,true
                """, source: "good.csv", by: .system) == 2)
            let accounts = try await ledger.accounts()
            let ads = try #require(accounts.first { $0.code == "7001" })
            #expect(ads.parentID == accounts.first { $0.code == "70" }?.id && !ads.isHeader)
        }
    }
}
