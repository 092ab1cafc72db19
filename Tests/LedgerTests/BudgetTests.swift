import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import Ledger
import Platform
import Testing

@Suite("Budgets and dimensions")
struct BudgetTests {
    func taggedBooks(_ ledger: LedgerService) async throws {
        func line(_ account: String, debit: Int64? = nil, credit: Int64? = nil, _ department: String?) -> ProposedLine {
            ProposedLine(account: account, debit: debit, credit: credit, currency: .eur,
                         dimensions: department.map { ["department": $0] } ?? [:])
        }
        _ = try await ledger.post(batch: [
            ProposedEntry(date: CivilDate(2026, 1, 10), memo: "Shop sale", lines: [
                line("1010", debit: 50_000, nil), line("4000", credit: 50_000, "Retail")]),
            ProposedEntry(date: CivilDate(2026, 2, 10), memo: "Consulting", lines: [
                line("1010", debit: 80_000, nil), line("4100", credit: 80_000, "Services")]),
            ProposedEntry(date: CivilDate(2026, 2, 20), memo: "Rent", lines: [
                line("6100", debit: 30_000, nil), line("1010", credit: 30_000, nil)]),
            ProposedEntry(date: CivilDate(2026, 2, 21), memo: "Shop supplies", lines: [
                line("6300", debit: 5_000, "Retail"), line("1010", credit: 5_000, nil)]),
        ], by: .system)
    }

    @Test("Budget vs actual per account, for the company and for one department")
    func budgetVsActual() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            try await taggedBooks(ledger)
            let rows = try LedgerService.budgetCSV("""
                account,month,amount,dimension
                4000,2026-01,400.00,
                4000,2026-02,400.00,
                "Expenses:Rent",2026-02,250.00,
                4000,2026-01,450.00,department=Retail
                """)
            #expect(try await ledger.setBudgets(rows, source: "b.csv", by: .system) == 4)
            let quarter = try DateRange(from: CivilDate(2026, 1, 1), to: CivilDate(2026, 3, 31))
            let whole = try await ledger.budgetVsActual(quarter)
            #expect(whole.amounts(of: "Sales") == [80_000, 50_000, -30_000])
            #expect(whole.amounts(of: "Rent") == [25_000, 30_000, 5_000])
            #expect(whole.amounts(of: "Net income") == [55_000, 95_000, 40_000])
            let retail = try await ledger.budgetVsActual(quarter, dimension: "department=Retail")
            #expect(retail.amounts(of: "Sales") == [45_000, 50_000, 5_000])
            #expect(retail.amounts(of: "Office Supplies") == [0, 5_000, 5_000])
            let bad = try LedgerService.budgetCSV("account,month,amount\n1010,2026-01,1\n4000,2026-13,1\n9999,2026-01,x\n")
            let error = await #expect(throws: DomainError.self) { _ = try await ledger.setBudgets(bad, source: "b.csv", by: .system) }
            #expect(error?.items.map { "\($0.line ?? 0) \($0.code)" } == ["2 ledger.budget.account_invalid",
                                                                          "3 ledger.period.invalid", "4 ledger.account.unknown"])
            #expect(await domainErrorCode { _ = try await ledger.budgetVsActual(quarter, dimension: "Retail") }
                    == "ledger.dimension.invalid")
        }
    }

    @Test("Activity by dimension: a column per value, one for untagged lines, and the total")
    func byDimension() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            try await taggedBooks(ledger)
            let quarter = try DateRange(from: CivilDate(2026, 1, 1), to: CivilDate(2026, 3, 31))
            let statement = try await ledger.activityByDimension(quarter, key: "department")
            #expect(statement.columns == ["Retail", "Services", "(no department)", "Total"])
            #expect(statement.amounts(of: "Total income") == [50_000, 80_000, 0, 130_000])
            #expect(statement.amounts(of: "Total expenses") == [5_000, 0, 30_000, 35_000])
            #expect(statement.amounts(of: "Net income") == [45_000, 80_000, -30_000, 95_000])
        }
    }
}
