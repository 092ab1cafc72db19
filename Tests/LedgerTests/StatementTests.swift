import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import Ledger
import Platform
import Testing

/// A year of small-business books in EUR whose statements are worked out by hand below.
func yearOfBooks(_ ledger: LedgerService) async throws {
    func entry(_ date: CivilDate, _ memo: String, _ debit: String, _ credit: String, _ amount: Int64,
               journal: String = "GEN") -> ProposedEntry {
        ProposedEntry(journal: journal, date: date, memo: memo, lines: [
            ProposedLine(account: debit, debit: amount, currency: .eur),
            ProposedLine(account: credit, credit: amount, currency: .eur),
        ])
    }
    _ = try await ledger.post(batch: [
        entry(CivilDate(2025, 1, 2), "Owner pays in capital", "1010", "3000", 1_000_000),
        entry(CivilDate(2025, 3, 10), "Invoice 1", "1100", "4000", 500_000, journal: "SAL"),
        entry(CivilDate(2025, 4, 1), "Customer pays part", "1010", "1100", 300_000, journal: "BNK"),
        entry(CivilDate(2025, 5, 1), "Rent", "6100", "1010", 120_000, journal: "BNK"),
        entry(CivilDate(2025, 6, 1), "Laptop", "1500", "1010", 240_000, journal: "BNK"),
        entry(CivilDate(2025, 7, 1), "Bank loan", "1010", "2500", 500_000, journal: "BNK"),
        entry(CivilDate(2025, 8, 1), "Supplier bill", "6300", "2000", 80_000, journal: "PUR"),
        entry(CivilDate(2025, 12, 31), "Depreciation", "6800", "1590", 40_000),
    ], by: .system)
}

@Suite("Financial statements")
struct StatementTests {
    @Test("Balance sheet, income statement and cash flow agree with a year worked out by hand")
    func statements() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            try await yearOfBooks(ledger)
            let yearEnd = CivilDate(2025, 12, 31)
            let year = try DateRange(from: CivilDate(2025, 1, 1), to: yearEnd)

            let sheet = try await ledger.balanceSheet(asOf: [yearEnd])
            #expect(sheet.amounts(of: "Bank") == [1_440_000])
            #expect(sheet.amounts(of: "Accumulated Depreciation") == [-40_000])
            #expect(sheet.amounts(of: "Fixed Assets") == [200_000])
            #expect(sheet.amounts(of: "Total assets") == [1_840_000])
            #expect(sheet.amounts(of: "Total liabilities") == [580_000])
            #expect(sheet.amounts(of: "Current year earnings") == [260_000])
            #expect(sheet.amounts(of: "Total liabilities and equity") == [1_840_000])

            let income = try await ledger.incomeStatement([year])
            #expect(income.amounts(of: "Total income") == [500_000])
            #expect(income.amounts(of: "Total expenses") == [240_000])
            #expect(income.amounts(of: "Net income") == [260_000])

            let cash = try await ledger.cashFlow([year])
            #expect(cash.amounts(of: "Net income") == [260_000])
            #expect(cash.amounts(of: "Accounts Receivable") == [-200_000])
            #expect(cash.amounts(of: "Accumulated Depreciation") == [40_000])
            #expect(cash.amounts(of: "Net cash from operating activities") == [180_000])
            #expect(cash.amounts(of: "Net cash from investing activities") == [-240_000])
            #expect(cash.amounts(of: "Net cash from financing activities") == [1_500_000])
            #expect(cash.amounts(of: "Cash at the end of the period") == [1_440_000])
        }
    }

    @Test("Year-end close moves earnings to retained earnings, closes the months, and statements still read the same")
    func yearEndClose() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            try await yearOfBooks(ledger)
            let yearEnd = CivilDate(2025, 12, 31)
            #expect(await domainErrorCode { _ = try await ledger.closeYear(endingOn: CivilDate(2025, 6, 30), by: .system) }
                    == "ledger.year.end_invalid")
            let close = try await ledger.closeYear(endingOn: yearEnd, by: .system)
            #expect(close.earnings == 260_000 && close.monthsClosed.count == 12 && close.entry.number == "CLS-2025-000001")
            let balances = try await ledger.trialBalance(asOf: yearEnd)
            #expect(!balances.contains { $0.account.type == .income || $0.account.type == .expense })
            #expect(balances.first { $0.account.code == "3100" }?.balance == -260_000)
            let sheet = try await ledger.balanceSheet(asOf: [yearEnd])
            #expect(sheet.amounts(of: "Retained Earnings") == [260_000])
            #expect(sheet.amounts(of: "Current year earnings") == [0])
            #expect(sheet.amounts(of: "Total liabilities and equity") == [1_840_000])
            let year = try DateRange(from: CivilDate(2025, 1, 1), to: yearEnd)
            #expect(try await ledger.incomeStatement([year]).amounts(of: "Net income") == [260_000])
            #expect(try await ledger.cashFlow([year]).amounts(of: "Net cash from financing activities") == [1_500_000])
            // The year is closed: no posting into it, and nothing left to close.
            #expect(await domainErrorCode { _ = try await ledger.post(sale(100, on: CivilDate(2025, 6, 1)), by: .system) }
                    == "ledger.period.closed")
            #expect(await domainErrorCode { _ = try await ledger.closeYear(endingOn: yearEnd, by: .system) }
                    == "ledger.year.nothing_to_close")
            #expect(try await ledger.verifyBooks().isEmpty)

            // The next year compares with the closed one.
            _ = try await ledger.post(sale(100_000, on: CivilDate(2026, 2, 1)), by: .system)
            let both = try await ledger.balanceSheet(asOf: [CivilDate(2026, 3, 31), yearEnd])
            #expect(both.amounts(of: "Current year earnings") == [100_000, 0])
            #expect(both.amounts(of: "Retained Earnings") == [260_000, 260_000])
            let quarter = try DateRange(from: CivilDate(2026, 1, 1), to: CivilDate(2026, 3, 31))
            #expect(quarter.yearEarlier.description == "2025-01-01..2025-03-31")
            let compared = try await ledger.incomeStatement([quarter, quarter.yearEarlier])
            #expect(compared.amounts(of: "Total income") == [100_000, 500_000])
            #expect(compared.columns == ["2026-01-01..2026-03-31", "2025-01-01..2025-03-31"])
        }
    }

    @Test("Locked months stay locked; only closed months can be locked")
    func locking() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            _ = try await ledger.closePeriod("2026-01", by: .system)
            _ = try await ledger.lockPeriod("2026-01", by: .system)
            #expect(await domainErrorCode { _ = try await ledger.reopenPeriod("2026-01", reason: "Late invoice", by: .system) }
                    == "ledger.period.locked")
            #expect(await domainErrorCode { _ = try await ledger.lockPeriod("2026-02", by: .system) } == nil)
            _ = try await ledger.post(sale(100, on: CivilDate(2026, 3, 1)), by: .system)
            #expect(await domainErrorCode { _ = try await ledger.lockPeriod("2026-03", by: .system) }
                    == "ledger.period.not_closed")
            #expect(await domainErrorCode { _ = try await ledger.post(sale(100, on: CivilDate(2026, 1, 5)), by: .system) }
                    == "ledger.period.closed")
        }
    }

    @Test("General-ledger detail pages keep the running balance, and a header takes in its accounts")
    func generalLedger() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            try await yearOfBooks(ledger)
            let year = try DateRange(from: CivilDate(2025, 1, 1), to: CivilDate(2025, 12, 31))
            let whole = try await ledger.generalLedger(account: "1010", range: year, limit: 100)
            #expect(whole.count == 5 && whole.opening == 0 && whole.closing == 1_440_000)
            #expect(whole.lines.map(\.balance) == [1_000_000, 1_300_000, 1_180_000, 940_000, 1_440_000])
            let page = try await ledger.generalLedger(account: "Assets:Current Assets:Bank", range: year, limit: 2, offset: 2)
            #expect(page.lines.map(\.balance) == [1_180_000, 940_000] && page.lines[0].memo == "Rent")
            let later = try await ledger.generalLedger(account: "1010", range: try DateRange(
                from: CivilDate(2025, 5, 1), to: CivilDate(2025, 12, 31)))
            #expect(later.opening == 1_300_000 && later.lines.first?.balance == 1_180_000)
            let header = try await ledger.generalLedger(account: "Assets:Current Assets", range: year)
            #expect(header.count == 7 && header.closing == 1_640_000)
            #expect(await domainErrorCode { _ = try await ledger.generalLedger(account: "9999", range: year) }
                    == "ledger.account.unknown")
            #expect(await domainErrorCode { _ = try await ledger.generalLedger(account: "1010", range: year, limit: 0) }
                    == "ledger.report.limit_invalid")
            #expect(await domainErrorCode { _ = try DateRange(from: CivilDate(2025, 2, 1), to: CivilDate(2025, 1, 1)) }
                    == "ledger.report.range_invalid")
            let csv = GeneralLedgerFormat.csv(whole)
            #expect(csv.hasPrefix("date,number,journal,account,memo,partner,currency,amount,debit,credit,balance\n"))
            #expect(csv.hasSuffix("2025-12-31,,,Assets:Current Assets:Bank,Closing balance,,EUR,,,,14400.00\n"))
        }
    }

    @Test("Every general-ledger page and every day's trial balance agree with the lines, across days and accounts")
    func pagesAndDaysAgreeWithLines() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            // Several entries a day on two accounts under one header, some days with none, across a month end.
            var batch: [ProposedEntry] = []
            var expected: [CivilDate: Int64] = [:]
            for index in 0..<40 {
                let date = CivilDate(2026, 1, 25).addingDays(index / 3 + (index % 5 == 0 ? 2 : 0))
                let account = index % 4 == 0 ? "1000" : "1010"
                let amount = Int64(1_000 + index * 37)
                batch.append(ProposedEntry(journal: "GEN", date: date, memo: "e\(index)", lines: [
                    ProposedLine(account: account, debit: amount, currency: .eur),
                    ProposedLine(account: "Income:Sales", credit: amount, currency: .eur),
                ]))
                expected[date, default: 0] += amount
            }
            _ = try await ledger.post(batch: batch, by: .system)
            #expect(try await ledger.verifyBooks().isEmpty)
            let range = try DateRange(from: CivilDate(2026, 1, 26), to: CivilDate(2026, 2, 9))
            let whole = try await ledger.generalLedger(account: "10", range: range, limit: 1000)
            let inRange = batch.filter { range.from <= $0.date && $0.date <= range.to }
            #expect(whole.count == inRange.count && whole.lines.count == inRange.count)
            #expect(whole.opening == expected.filter { $0.key < range.from }.values.reduce(0, +))
            #expect(whole.closing == whole.opening + inRange.reduce(0) { $0 + $1.lines[0].debit! })
            for limit in [1, 2, 5] {
                for offset in 0...(whole.count + 1) {
                    let page = try await ledger.generalLedger(account: "10", range: range, limit: limit, offset: offset)
                    #expect(page.lines == Array(whole.lines.dropFirst(offset).prefix(limit)), "limit \(limit) offset \(offset)")
                    #expect(page.count == whole.count && page.closing == whole.closing)
                }
            }
            var running: Int64 = 0
            for day in 0..<20 {
                let date = CivilDate(2026, 1, 20).addingDays(day)
                running += expected[date] ?? 0
                let rows = try await ledger.trialBalance(asOf: date)
                let sales = rows.first { $0.account.code == "4000" }?.balance ?? 0
                #expect(sales == -running, "\(date)")
            }
        }
    }

    @Test("The statement tree shows headers with subtotals and starts below a single root")
    func tree() {
        func account(_ id: String, _ name: String, header: Bool = false) -> Account {
            Account(id: id, code: id, name: String(name.split(separator: ":").last!), fullName: name, type: .asset,
                    subtype: .none, parentID: nil, isHeader: header, archived: false, currency: nil)
        }
        let accounts = [account("1", "Assets", header: true), account("10", "Assets:Current", header: true),
                        account("11", "Assets:Current:Bank"), account("12", "Assets:Current:Cash"),
                        account("15", "Assets:Equipment"), account("16", "Assets:Empty")]
        let tree = StatementTree.rows(accounts: accounts, columns: [["11": 100, "12": 50, "15": 7], ["11": 1]],
                                      sign: 1, level: 1)
        #expect(tree.rows.map { "\($0.level) \($0.kind.rawValue) \($0.label) \($0.amounts)" } == [
            "1 group Current [150, 1]", "2 account Bank [100, 1]", "2 account Cash [50, 0]",
            "1 account Equipment [7, 0]",
        ])
        #expect(tree.totals == [157, 1])
        let csv = StatementFormat.csv(Statement(report: "x", title: "X", currency: .eur, columns: ["a"],
                                                rows: [.init(kind: .account, level: 1, label: "Bank, main",
                                                             account: "Assets:Bank, main", code: "11", amounts: [-1234])]))
        #expect(csv == "kind,level,code,account,label,a\naccount,1,11,\"Assets:Bank, main\",\"Bank, main\",-12.34\n")
    }
}
