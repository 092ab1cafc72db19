import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// One budget row as read from a person, a CSV file or the API, before it is checked.
public struct BudgetRow: Sendable {
    public let line: Int
    public let account: String
    public let month: String
    public let amount: String
    public let dimension: String

    public init(line: Int, account: String, month: String, amount: String, dimension: String = "") {
        self.line = line
        self.account = account
        self.month = month
        self.amount = amount
        self.dimension = dimension
    }
}

extension LedgerService {
    /// Records budgets per account, month and optional dimension (`department=Sales`), replacing earlier figures for
    /// the same cell; all or nothing, every bad row named by its line. Amounts are in functional currency with the
    /// account's natural sign: income and expenses as positive figures.
    public func setBudgets(_ rows: [BudgetRow], source: String, by actor: Principal) async throws -> Int {
        try require(actor, Permission("ledger", .write))
        let company = try await requireCompany()
        let accounts = try await accounts()
        var byName: [String: Account] = [:]
        for account in accounts { byName[account.code] = account; byName[account.fullName] = account }
        var cells: [String: (UUID, String, String, Int64)] = [:]
        var order: [String] = []
        var problems: [DomainError.Item] = []
        for row in rows {
            do throws(DomainError) {
                guard let account = byName[row.account.trimmingCharacters(in: .whitespaces)] else {
                    throw .invalid("ledger.account.unknown", "There is no account '\(row.account)'", field: "account")
                }
                guard account.type == .income || account.type == .expense, !account.isHeader else {
                    throw .invalid("ledger.budget.account_invalid",
                                   "Budgets are for postable income and expense accounts, not '\(account.fullName)'",
                                   field: "account")
                }
                let month = row.month.trimmingCharacters(in: .whitespaces)
                guard month.count == 7, (try? CivilDate.parse(month + "-01")) != nil else {
                    throw .invalid("ledger.period.invalid", "'\(month)' is not a month like 2026-03", field: "month")
                }
                let amount = try Money.parse(row.amount.trimmingCharacters(in: .whitespaces), currency: company.currency,
                                             field: "amount").minorUnits
                let dimension = try Self.dimensionFilter(row.dimension)
                let key = "\(account.id)|\(month)|\(dimension)"
                if cells[key] == nil { order.append(key) }
                cells[key] = (UUID(uuidString: account.id)!, month, dimension, amount)
            } catch {
                problems.append(.init(line: row.line, field: error.field, code: error.code, message: error.message))
            }
        }
        if !problems.isEmpty {
            throw Self.rowsError("ledger.budget.invalid", source: source, problems, outcome: "; no budget was recorded")
        }
        guard !order.isEmpty else { throw DomainError.invalid("ledger.budget.empty", "\(source) has no budget rows") }
        let values = order.map { cells[$0]! }
        return try await writeTransaction(db) { tx in
            for chunk in values.chunked(200) {
                for (account, month, dimension, _) in chunk {
                    try await tx.sql.delete(from: "ledger_budgets").where("account_id", .equal, account)
                        .where("month", .equal, month).where("dimension", .equal, dimension).run()
                }
                var insert = tx.sql.insert(into: "ledger_budgets").columns("id", "account_id", "month", "dimension", "amount")
                for (account, month, dimension, amount) in chunk {
                    insert = insert.values(SQLBind(UUID.v7()), SQLBind(account), SQLBind(month), SQLBind(dimension),
                                           SQLBind(amount))
                }
                try await insert.run()
            }
            try await context.audit(tx, actor, "ledger.budget.import", entity: "budget", id: source,
                                    before: nil as Int?, after: values.count)
            return values.count
        }
    }

    /// Reads budget CSV: a header naming `account,month,amount` and optionally `dimension`, in any order.
    public static func budgetCSV(_ text: String) throws(DomainError) -> [BudgetRow] {
        let (header, lines) = CSVLine.table(text)
        guard let account = header.firstIndex(of: "account"), let month = header.firstIndex(of: "month"),
              let amount = header.firstIndex(of: "amount") else {
            throw .invalid("ledger.budget.header", "The first row names the columns: account,month,amount[,dimension]")
        }
        let dimension = header.firstIndex(of: "dimension")
        var rows: [BudgetRow] = []
        for (line, fields) in lines {
            func field(_ at: Int?) -> String { at.map { $0 < fields.count ? fields[$0] : "" } ?? "" }
            rows.append(BudgetRow(line: line, account: field(account), month: field(month), amount: field(amount),
                                  dimension: field(dimension)))
        }
        return rows
    }

    /// "department=Sales" as stored, "" for none; anything else is refused.
    static func dimensionFilter(_ text: String) throws(DomainError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return "" }
        let parts = trimmed.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .invalid("ledger.dimension.invalid", "'\(text)' is not a dimension like department=Sales",
                           field: "dimension")
        }
        return "\(parts[0])=\(parts[1])"
    }

    /// Movement per account over `range` on lines tagged with dimension `key`, per value of it (closing entries
    /// carry no dimensions). Read from the lines: dimensions are not materialised.
    func dimensionActivity(_ range: DateRange, key: String) async throws -> [String: [String: Int64]] {
        let rows = try await db.sql.raw("""
            SELECT account_id, dimensions, CAST(SUM(func_debit - func_credit) AS BIGINT) AS amount FROM ledger_lines
            WHERE date >= \(bind: range.from.description) AND date <= \(bind: range.to.description)
              AND dimensions IS NOT NULL AND dimensions <> '' AND dimensions <> '{}'
            GROUP BY account_id, dimensions
            """).all()
        var result: [String: [String: Int64]] = [:]
        for row in rows {
            guard let text = try row.decode(column: "dimensions", as: String?.self),
                  let values = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)),
                  let value = values[key] else { continue }
            let account = try row.decode(column: "account_id", as: UUID.self).lowercaseText
            result[value, default: [:]][account, default: 0] += try row.decode(column: "amount", as: Int64.self)
        }
        return result
    }

    // MARK: Reports

    /// Budget against actual over `range` for income and expense accounts, optionally for one dimension value
    /// (`department=Sales`): columns Budget, Actual, Actual - budget.
    public func budgetVsActual(_ range: DateRange, dimension text: String = "") async throws -> Statement {
        let company = try await requireCompany()
        let dimension = try Self.dimensionFilter(text)
        let accounts = try await accounts()
        var actual: [String: Int64]
        if dimension.isEmpty {
            actual = try await activity(range)
        } else {
            let parts = dimension.split(separator: "=", maxSplits: 1).map(String.init)
            actual = try await dimensionActivity(range, key: parts[0])[parts[1]] ?? [:]
        }
        var budget: [String: Int64] = [:]
        let rows = try await db.sql.raw("""
            SELECT account_id, CAST(SUM(amount) AS BIGINT) AS amount FROM ledger_budgets
            WHERE month >= \(bind: range.from.monthText)
              AND month <= \(bind: range.to.monthText) AND dimension = \(bind: dimension)
            GROUP BY account_id
            """).all()
        let types = Dictionary(uniqueKeysWithValues: accounts.map { ($0.id, $0.type) })
        for row in rows {
            let account = try row.decode(column: "account_id", as: UUID.self).lowercaseText
            // Stored as positive figures; in the statement's debit-positive terms income is negative.
            let amount = try row.decode(column: "amount", as: Int64.self)
            budget[account] = types[account] == .income ? -amount : amount
        }
        let difference = Dictionary(uniqueKeysWithValues: Set(actual.keys).union(budget.keys).map {
            ($0, (actual[$0] ?? 0) - (budget[$0] ?? 0))
        })
        let statement = profitAndLossRows(accounts: accounts, columns: [budget, actual, difference])
        return Statement(report: "budget-vs-actual",
                         title: "Budget vs actual" + (dimension.isEmpty ? "" : " (\(dimension))"),
                         currency: company.currency, columns: ["Budget", "Actual", "Actual - budget"],
                         rows: statement)
    }

    /// Income and expenses over `range` split by the values of one dimension (`department`): a column per value,
    /// one for lines without it, and the total.
    public func activityByDimension(_ range: DateRange, key: String) async throws -> Statement {
        let company = try await requireCompany()
        let key = key.trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, !key.contains("=") else {
            throw DomainError.invalid("ledger.dimension.invalid", "Name a dimension, such as department", field: "key")
        }
        let accounts = try await accounts()
        let byValue = try await dimensionActivity(range, key: key)
        let total = try await activity(range)
        let values = byValue.keys.sorted()
        var untagged = total
        for value in values { for (account, amount) in byValue[value]! { untagged[account, default: 0] -= amount } }
        let rows = profitAndLossRows(accounts: accounts, columns: values.map { byValue[$0]! } + [untagged, total])
        return Statement(report: "dimension-activity", title: "Income and expenses by \(key)", currency: company.currency,
                         columns: values + ["(no \(key))", "Total"], rows: rows)
    }
}
