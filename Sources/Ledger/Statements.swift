import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// A span of dates a statement column covers, both ends included.
public struct DateRange: Sendable, Codable, Equatable, CustomStringConvertible {
    public let from: CivilDate
    public let to: CivilDate

    public init(from: CivilDate, to: CivilDate) throws(DomainError) {
        guard from <= to else {
            throw .invalid("ledger.report.range_invalid", "The period starts (\(from)) after it ends (\(to))", field: "from")
        }
        self.from = from
        self.to = to
    }

    /// The same dates a year earlier: the usual comparison.
    public var yearEarlier: DateRange {
        // Month ends stay month ends (2024-02-29 -> 2023-02-28).
        let end = to.isMonthEnd ? to.addingYears(-1).monthEnd : to.addingYears(-1)
        return try! DateRange(from: from.addingYears(-1), to: end)
    }

    public var description: String { "\(from)..\(to)" }
}

extension LedgerService {
    /// Functional balances per account (lower-case id) as of the end of `asOf`, debit positive, all currencies summed.
    func functionalBalances(asOf: CivilDate) async throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for (key, value) in try await balanceSums(asOf: asOf) {
            result[key.account.lowercaseText, default: 0] += value.1
        }
        return result
    }

    /// Movement per account over `range`, debit positive, leaving out year-end closing entries (journal CLS): an
    /// income statement shows the year's earnings, not their transfer to retained earnings. The closing entries are
    /// found from the entries' journal and date (the CROSS JOIN makes SQLite start from the few entries, not the
    /// many lines). `opening` is the balances the day before the range, when the caller has them already.
    func activity(_ range: DateRange, opening: [String: Int64]? = nil) async throws -> [String: Int64] {
        var result = try await functionalBalances(asOf: range.to)
        let before: [String: Int64]
        if let opening { before = opening } else { before = try await functionalBalances(asOf: range.from.addingDays(-1)) }
        for (account, amount) in before {
            result[account, default: 0] -= amount
        }
        let closing = try await db.sql.raw("""
            SELECT l.account_id AS account_id, CAST(SUM(l.func_debit - l.func_credit) AS BIGINT) AS amount
            FROM ledger_entries e CROSS JOIN ledger_lines l
            WHERE l.entry_id = e.id AND e.journal = 'CLS'
              AND e.date >= \(bind: range.from.description) AND e.date <= \(bind: range.to.description)
            GROUP BY l.account_id
            """).all()
        for row in closing {
            result[try row.decode(column: "account_id", as: UUID.self).lowercaseText, default: 0] -=
                try row.decode(column: "amount", as: Int64.self)
        }
        return result
    }

    // MARK: Balance sheet

    /// Assets, liabilities and equity as of each date (the first is the main column, the others comparisons).
    /// Income and expense not yet closed to retained earnings shows in equity as this year's and earlier years'
    /// earnings, so the statement balances whether or not the year has been closed.
    public func balanceSheet(asOf dates: [CivilDate]) async throws -> Statement {
        let company = try await requireCompany()
        let accounts = try await accounts()
        let profitAndLoss = Set(accounts.filter { $0.type == .income || $0.type == .expense }.map(\.id))
        func earnings(_ balances: [String: Int64]) -> Int64 {
            -balances.reduce(0) { profitAndLoss.contains($1.key) ? $0 + $1.value : $0 }
        }
        var columns: [[String: Int64]] = []
        var current: [Int64] = []
        var earlier: [Int64] = []
        for date in dates {
            let balances = try await functionalBalances(asOf: date)
            let atYearStart = try await functionalBalances(asOf: company.fiscalYear(containing: date).start.addingDays(-1))
            columns.append(balances)
            earlier.append(earnings(atYearStart))
            current.append(earnings(balances) - earnings(atYearStart))
        }
        var rows: [Statement.Row] = []
        let assets = section("Assets", type: .asset, sign: 1, accounts: accounts, columns: columns, into: &rows)
        rows.append(.init(kind: .total, level: 0, label: "Total assets", amounts: assets))
        let liabilities = section("Liabilities", type: .liability, sign: -1, accounts: accounts, columns: columns,
                                  into: &rows)
        rows.append(.init(kind: .total, level: 0, label: "Total liabilities", amounts: liabilities))
        var equity = section("Equity", type: .equity, sign: -1, accounts: accounts, columns: columns, into: &rows)
        if earlier.contains(where: { $0 != 0 }) {
            rows.append(.init(kind: .line, level: 1, label: "Earlier years' earnings not closed", amounts: earlier))
        }
        rows.append(.init(kind: .line, level: 1, label: "Current year earnings", amounts: current))
        equity = zip(zip(equity, earlier), current).map { $0.0 + $0.1 + $1 }
        rows.append(.init(kind: .total, level: 0, label: "Total equity", amounts: equity))
        rows.append(.init(kind: .total, level: 0, label: "Total liabilities and equity",
                          amounts: zip(liabilities, equity).map(+)))
        return Statement(report: "balance-sheet", title: "Balance sheet", currency: company.currency,
                         columns: dates.map(\.description), rows: rows)
    }

    // MARK: Income statement

    /// Income and expenses over each period (the first is the main column, the others comparisons).
    public func incomeStatement(_ ranges: [DateRange]) async throws -> Statement {
        let company = try await requireCompany()
        let accounts = try await accounts()
        var columns: [[String: Int64]] = []
        for range in ranges { columns.append(try await activity(range)) }
        return Statement(report: "income-statement", title: "Income statement", currency: company.currency,
                         columns: ranges.map(\.description), rows: profitAndLossRows(accounts: accounts, columns: columns))
    }

    /// Income and expenses with their totals and net income: the body of every statement of earnings (income
    /// statement, budget vs actual, activity by dimension).
    func profitAndLossRows(accounts: [Account], columns: [[String: Int64]]) -> [Statement.Row] {
        var rows: [Statement.Row] = []
        let income = section("Income", type: .income, sign: -1, accounts: accounts, columns: columns, into: &rows)
        rows.append(.init(kind: .total, level: 0, label: "Total income", amounts: income))
        let expenses = section("Expenses", type: .expense, sign: 1, accounts: accounts, columns: columns, into: &rows)
        rows.append(.init(kind: .total, level: 0, label: "Total expenses", amounts: expenses))
        rows.append(.init(kind: .total, level: 0, label: "Net income", amounts: zip(income, expenses).map(-)))
        return rows
    }

    // MARK: Cash flow

    /// The cash-flow statement by the indirect method: net income, adjusted by the change of every balance-sheet
    /// account that is not cash, sorted into operating (working capital, depreciation), investing (fixed assets)
    /// and financing (loans, equity). Cash is every account of subtype cash or bank.
    public func cashFlow(_ ranges: [DateRange]) async throws -> Statement {
        let company = try await requireCompany()
        let accounts = try await accounts()
        let cash = accounts.filter { $0.subtype == .cash || $0.subtype == .bank }
        let investing = accounts.filter { $0.type == .asset && $0.subtype == .fixedAsset }
        let financing = accounts.filter { $0.type == .equity || ($0.type == .liability && $0.subtype == .loan) }
        let operating = accounts.filter { account in
            (account.type == .asset || account.type == .liability)
                && ![.cash, .bank, .fixedAsset, .loan].contains(account.subtype)
        }
        let profitAndLoss = Set(accounts.filter { $0.type == .income || $0.type == .expense }.map(\.id))
        let cashIDs = Set(cash.map(\.id))
        var columns: [[String: Int64]] = []
        var netIncome: [Int64] = []
        var opening: [Int64] = []
        for range in ranges {
            let before = try await functionalBalances(asOf: range.from.addingDays(-1))
            let movement = try await activity(range, opening: before)
            columns.append(movement)
            netIncome.append(-movement.reduce(0) { profitAndLoss.contains($1.key) ? $0 + $1.value : $0 })
            opening.append(before.reduce(0) { cashIDs.contains($1.key) ? $0 + $1.value : $0 })
        }
        var rows: [Statement.Row] = [.init(kind: .section, level: 0, label: "Operating activities", amounts: [])]
        rows.append(.init(kind: .line, level: 1, label: "Net income", amounts: netIncome))
        // A decrease of a non-cash asset or an increase of a liability is cash in: the sign is minus the debit.
        let adjustments = StatementTree.rows(accounts: operating, columns: columns, sign: -1, level: 1, flat: true)
        rows += adjustments.rows
        let fromOperations = zip(netIncome, adjustments.totals).map(+)
        rows.append(.init(kind: .total, level: 0, label: "Net cash from operating activities", amounts: fromOperations))
        var sections = [fromOperations]
        for (title, group) in [("Investing activities", investing), ("Financing activities", financing)] {
            rows.append(.init(kind: .section, level: 0, label: title, amounts: []))
            let tree = StatementTree.rows(accounts: group, columns: columns, sign: -1, level: 1, flat: true)
            rows += tree.rows
            rows.append(.init(kind: .total, level: 0, label: "Net cash from \(title.lowercased())", amounts: tree.totals))
            sections.append(tree.totals)
        }
        let change = (0..<ranges.count).map { index in sections.reduce(0) { $0 + $1[index] } }
        rows.append(.init(kind: .total, level: 0, label: "Net change in cash", amounts: change))
        rows.append(.init(kind: .line, level: 0, label: "Cash at the beginning of the period", amounts: opening))
        rows.append(.init(kind: .total, level: 0, label: "Cash at the end of the period",
                          amounts: zip(opening, change).map(+)))
        return Statement(report: "cash-flow", title: "Cash-flow statement", currency: company.currency,
                         columns: ranges.map(\.description), rows: rows)
    }

    /// Appends a section heading and its account tree; returns the section's totals.
    private func section(_ title: String, type: AccountType, sign: Int64, accounts: [Account],
                         columns: [[String: Int64]], into rows: inout [Statement.Row]) -> [Int64] {
        rows.append(.init(kind: .section, level: 0, label: title, amounts: []))
        let tree = StatementTree.rows(accounts: accounts.filter { $0.type == type }, columns: columns, sign: sign,
                                      level: 1)
        rows += tree.rows
        return tree.totals
    }
}

/// The dates a statement covers when a person or a program leaves them out, the same for the page, API and CLI:
/// a balance sheet is as of today; a period runs from the start of the fiscal year to today. `compare` adds the same
/// dates a year earlier.
public enum ReportDates {
    public static func balanceSheet(asOf: String?, compare: Bool, today: CivilDate) throws(DomainError) -> [CivilDate] {
        let date = try asOf.map { text throws(DomainError) in try CivilDate.parse(text, field: "asOf") } ?? today
        return compare ? [date, date.isMonthEnd ? date.addingYears(-1).monthEnd : date.addingYears(-1)] : [date]
    }

    public static func periods(from: String?, to: String?, compare: Bool, company: Company,
                               today: CivilDate) throws(DomainError) -> [DateRange] {
        let end = try to.map { text throws(DomainError) in try CivilDate.parse(text, field: "to") } ?? today
        let start = try from.map { text throws(DomainError) in try CivilDate.parse(text, field: "from") }
            ?? company.fiscalYear(containing: end).start
        let range = try DateRange(from: start, to: end)
        return compare ? [range, range.yearEarlier] : [range]
    }
}

/// One month's figures for the charts: income (credit positive) and expenses (debit positive) without closing
/// entries, and the cash balance at the month's end.
public struct MonthFigures: Sendable, Codable, Equatable {
    public let month: String
    public let income: Int64
    public let expenses: Int64
    public let cash: Int64
}

extension LedgerService {
    /// The `count` months up to and including the month of `through`, from the materialised balances.
    public func monthlyFigures(through: CivilDate, count: Int = 12) async throws -> [MonthFigures] {
        let months = (0..<count).reversed().map { through.monthStart.addingMonths(-$0).monthText }
        let accounts = try await accounts()
        let types = Dictionary(uniqueKeysWithValues: accounts.map { (UUID(uuidString: $0.id)!, $0.type) })
        let cash = Set(accounts.filter { $0.subtype == .cash || $0.subtype == .bank }.map { UUID(uuidString: $0.id)! })
        var income: [String: Int64] = [:]
        var expenses: [String: Int64] = [:]
        var cashMovement: [String: Int64] = [:]
        var cashBefore: Int64 = 0
        let rows = try await db.sql.raw("""
            SELECT account_id, month, CAST(SUM(func_debit - func_credit) AS BIGINT) AS amount FROM ledger_balances
            WHERE month <= \(bind: months.last!) GROUP BY account_id, month
            """).all()
        let closing = try await db.sql.raw("""
            SELECT l.account_id AS account_id, substr(l.date, 1, 7) AS month,
                   CAST(SUM(l.func_debit - l.func_credit) AS BIGINT) AS amount
            FROM ledger_entries e CROSS JOIN ledger_lines l
            WHERE l.entry_id = e.id AND e.journal = 'CLS'
              AND e.date >= \(bind: months[0] + "-01") AND e.date <= \(bind: through.monthEnd.description)
            GROUP BY l.account_id, substr(l.date, 1, 7)
            """).all()
        for (row, factor) in rows.map({ ($0, Int64(1)) }) + closing.map({ ($0, Int64(-1)) }) {
            let account = try row.decode(column: "account_id", as: UUID.self)
            let month = try row.decode(column: "month", as: String.self)
            let amount = factor * (try row.decode(column: "amount", as: Int64.self))
            if cash.contains(account), factor == 1 {
                if month < months[0] { cashBefore += amount } else { cashMovement[month, default: 0] += amount }
            }
            guard month >= months[0] else { continue }
            switch types[account] {
            case .income: income[month, default: 0] -= amount
            case .expense: expenses[month, default: 0] += amount
            default: break
            }
        }
        var balance = cashBefore
        return months.map { month in
            balance += cashMovement[month] ?? 0
            return MonthFigures(month: month, income: income[month] ?? 0, expenses: expenses[month] ?? 0, cash: balance)
        }
    }
}
