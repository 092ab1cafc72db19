import Kernel

/// A financial statement as rows of labelled amounts, one amount per column (a date or a period). Every report that
/// reads like a statement (balance sheet, income statement, cash flow, budget vs actual, activity by dimension) is
/// one of these, so the page, the CSV, the table and the JSON come from one renderer each.
///
/// Amounts are in functional currency, minor units, with the sign a reader expects in that section: assets and
/// expenses debit positive, liabilities, equity and income credit positive, cash flows inflow positive.
public struct Statement: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// A heading without amounts ("Assets").
        case section
        /// A header account with the subtotal of the accounts under it.
        case group
        /// One postable account.
        case account
        /// A computed line that is not an account ("Current year earnings", "Net income").
        case line
        /// A total of a section or of the whole statement.
        case total
    }

    public struct Row: Sendable, Codable, Equatable {
        public let kind: Kind
        public let level: Int
        public let label: String
        /// The account's full name for group and account rows.
        public let account: String?
        public let code: String?
        /// One per column; empty for sections.
        public let amounts: [Int64]

        public init(kind: Kind, level: Int, label: String, account: String? = nil, code: String? = nil,
                    amounts: [Int64]) {
            self.kind = kind
            self.level = level
            self.label = label
            self.account = account
            self.code = code
            self.amounts = amounts
        }
    }

    /// "balance-sheet", "income-statement", "cash-flow", ...
    public let report: String
    public let title: String
    public let currency: Currency
    /// Column headings, e.g. "2026-12-31" or "2026-01-01..2026-12-31".
    public let columns: [String]
    public let rows: [Row]

    public init(report: String, title: String, currency: Currency, columns: [String], rows: [Row]) {
        self.report = report
        self.title = title
        self.currency = currency
        self.columns = columns
        self.rows = rows
    }

    /// The amounts of the first row with this label (for tests and summaries).
    public func amounts(of label: String) -> [Int64]? { rows.first { $0.label == label }?.amounts }
}

/// Builds the account rows of a statement section from per-column balances, as a tree that follows the accounts'
/// colon-separated names: a header shows the subtotal of everything under it. Pure, so it is unit-tested.
public enum StatementTree {
    /// Rows for the postable accounts in `accounts` with a non-zero amount in some column, and the section's totals.
    /// `columns[i][accountID]` is the debit-positive amount; `sign` is 1 for debit-normal sections, -1 otherwise.
    /// `flat` lists the accounts alone, without their headers (the cash-flow statement's adjustments).
    public static func rows(accounts: [Account], columns: [[String: Int64]], sign: Int64, level: Int,
                            flat: Bool = false) -> (rows: [Statement.Row], totals: [Int64]) {
        final class Node {
            let path: String
            var account: Account?
            var own: [Int64]
            var total: [Int64]
            var children: [String: Node] = [:]
            init(path: String, width: Int) {
                self.path = path
                own = Array(repeating: 0, count: width)
                total = own
            }
            var sortKey: String { account?.code ?? "~" + path }
        }
        let width = columns.count
        let root = Node(path: "", width: width)
        var byPath: [String: Account] = [:]
        for account in accounts { byPath[account.fullName] = account }
        for account in accounts where !account.isHeader {
            let amounts = columns.map { sign * ($0[account.id] ?? 0) }
            guard amounts.contains(where: { $0 != 0 }) else { continue }
            var node = root
            var path = ""
            for part in account.fullName.split(separator: ":") {
                path = path.isEmpty ? String(part) : path + ":" + part
                let child = node.children[path] ?? Node(path: path, width: width)
                child.account = byPath[path]
                node.children[path] = child
                for index in 0..<width { child.total[index] += amounts[index] }
                node = child
            }
            for index in 0..<width { node.own[index] += amounts[index] }
        }
        var rows: [Statement.Row] = []
        if flat {
            var totals = Array(repeating: Int64(0), count: width)
            for account in accounts.sorted(by: { $0.code < $1.code }) where !account.isHeader {
                let amounts = columns.map { sign * ($0[account.id] ?? 0) }
                guard amounts.contains(where: { $0 != 0 }) else { continue }
                rows.append(.init(kind: .account, level: level, label: account.name, account: account.fullName,
                                  code: account.code, amounts: amounts))
                for index in 0..<width { totals[index] += amounts[index] }
            }
            return (rows, totals)
        }
        func emit(_ node: Node, level: Int) {
            let label = String(node.path.split(separator: ":").last ?? "")
            if node.children.isEmpty {
                rows.append(.init(kind: .account, level: level, label: label, account: node.path,
                                  code: node.account?.code, amounts: node.total))
                return
            }
            rows.append(.init(kind: .group, level: level, label: label, account: node.path, code: node.account?.code,
                              amounts: node.total))
            if node.own.contains(where: { $0 != 0 }) {
                // An account that has both postings and sub-accounts (possible after an import).
                rows.append(.init(kind: .account, level: level + 1, label: label, account: node.path,
                                  code: node.account?.code, amounts: node.own))
            }
            for child in node.children.values.sorted(by: { $0.sortKey < $1.sortKey }) { emit(child, level: level + 1) }
        }
        // A single root ("Assets") is what the section heading already says: start below it.
        let tops = root.children.values.sorted { $0.sortKey < $1.sortKey }
        if tops.count == 1, let only = tops.first, !only.children.isEmpty, only.own.allSatisfy({ $0 == 0 }) {
            for child in only.children.values.sorted(by: { $0.sortKey < $1.sortKey }) { emit(child, level: level) }
        } else {
            for top in tops { emit(top, level: level) }
        }
        var totals = Array(repeating: Int64(0), count: width)
        for top in tops { for index in 0..<width { totals[index] += top.total[index] } }
        return (rows, totals)
    }
}
