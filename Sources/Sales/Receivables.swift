import Fluent
import Foundation
import Kernel
import Parties
import Platform
import SQLKit

/// Receivables by customer and age on a day.
public struct AgingReport: Sendable, Codable, Equatable {
    public struct Row: Sendable, Codable, Equatable {
        public let customerID: String
        public let customerCode: String
        public let customerName: String
        public let currency: Currency
        /// Open invoice amounts per bucket (current, 1–30, 31–60, 61–90, over 90).
        public var buckets: [Int64]
        /// Unused receipts and credit notes (zero or negative).
        public var credit: Int64
        public var total: Int64 { buckets.reduce(0, +) + credit }

        public init(customerID: String, customerCode: String, customerName: String, currency: Currency, buckets: [Int64],
                    credit: Int64) {
            self.customerID = customerID
            self.customerCode = customerCode
            self.customerName = customerName
            self.currency = currency
            self.buckets = buckets
            self.credit = credit
        }
    }

    public let asOf: CivilDate
    public let rows: [Row]

    /// Column totals per currency, in the same shape as a row.
    public var totals: [Row] {
        var result: [String: Row] = [:]
        for row in rows {
            var total = result[row.currency.code] ?? Row(customerID: "", customerCode: "", customerName: "Total",
                                                         currency: row.currency, buckets: [0, 0, 0, 0, 0], credit: 0)
            for index in 0..<5 { total.buckets[index] += row.buckets[index] }
            total.credit += row.credit
            result[row.currency.code] = total
        }
        return result.keys.sorted().map { result[$0]! }
    }
}

/// A customer's statement: the opening balance, each document in the period with the running balance, the closing.
public struct CustomerStatement: Sendable, Codable, Equatable {
    public struct Line: Sendable, Codable, Equatable {
        public let date: CivilDate
        public let kind: String
        public let number: String
        public let dueDate: CivilDate?
        /// Raises the balance (invoices, refunds).
        public let debit: Int64
        /// Lowers it (receipts, credit notes).
        public let credit: Int64
        public let balance: Int64
    }

    public let customerID: String
    public let customerCode: String
    public let customerName: String
    public let currency: Currency
    public let from: CivilDate
    public let to: CivilDate
    public let opening: Int64
    public let lines: [Line]
    public let closing: Int64
    /// What the closing balance consists of by age on `to`.
    public let aging: [Int64]
}

extension SalesService {
    /// The aging of receivables on `asOf`: each customer's open invoices by days past due, and unused credit. Only
    /// documents and allocations dated on or before `asOf` count, so any past day can be reproduced. The total equals
    /// the receivable accounts' balance for documents in the functional currency.
    public func aging(asOf: CivilDate, customer: String? = nil, by actor: Principal) async throws -> AgingReport {
        try Self.requireRead(actor)
        let day = asOf.description
        let starts = ReceivableRules.bucketStarts(asOf: asOf).map { $0.1.description }
        var customerID: UUID?
        if let customer, !customer.isEmpty { customerID = try await customerUUID(customer) }
        func customerClause() -> SQLQueryString {
            customerID.map { " AND d.customer_id = \(bind: $0)" } ?? ""
        }
        // When no allocation is dated after the day (the usual case: aging as of today), each invoice's running
        // `allocated` is what was allocated by then, and the allocations need not be summed again.
        let latest = try await db.sql.raw("SELECT MAX(date) AS latest FROM sales_allocations").first()?
            .decode(column: "latest", as: String?.self)
        let allocatedByThen: SQLQueryString = (latest ?? "") <= day ? "d.allocated" : """
            COALESCE((SELECT SUM(a.amount) FROM sales_allocations a WHERE a.target_id = d.id AND a.date <= \(bind: day)), 0)
            """
        let invoices = try await db.sql.raw("""
            SELECT d.customer_id, MAX(d.customer_code) AS code, MAX(d.customer_name) AS name, d.currency,
                CASE WHEN d.due_date >= \(bind: starts[0]) THEN 0 WHEN d.due_date >= \(bind: starts[1]) THEN 1
                     WHEN d.due_date >= \(bind: starts[2]) THEN 2 WHEN d.due_date >= \(bind: starts[3]) THEN 3 ELSE 4 END AS bucket,
                CAST(SUM(d.gross - \(allocatedByThen)) AS BIGINT) AS open
            FROM sales_invoices d
            WHERE d.kind = 'invoice' AND d.status = 'issued' AND d.issue_date <= \(bind: day)
              AND d.allocated \(unsafeRaw: (latest ?? "") <= day ? "<> d.gross" : ">= 0")\(customerClause())
            GROUP BY d.customer_id, d.currency, bucket
            """).all()
        let credits = try await db.sql.raw("""
            SELECT d.customer_id, MAX(d.customer_code) AS code, MAX(d.customer_name) AS name, d.currency,
                CAST(SUM(d.amount - COALESCE(a.amount, 0)) AS BIGINT) AS open
            FROM (SELECT id, customer_id, customer_code, customer_name, currency, amount FROM sales_receipts
                  WHERE kind = 'receipt' AND date <= \(bind: day)
                  UNION ALL
                  SELECT id, customer_id, customer_code, customer_name, currency, gross FROM sales_invoices
                  WHERE kind = 'credit_note' AND status = 'issued' AND issue_date <= \(bind: day)) d
            LEFT JOIN (SELECT source_id, SUM(amount) AS amount FROM sales_allocations WHERE date <= \(bind: day)
                       GROUP BY source_id) a ON a.source_id = d.id
            WHERE 1 = 1\(customerClause())
            GROUP BY d.customer_id, d.currency
            """).all()
        // Refunds not (yet) covered by credit raise the balance like an invoice due on their day.
        let refunds = try await db.sql.raw("""
            SELECT d.customer_id, MAX(d.customer_code) AS code, MAX(d.customer_name) AS name, d.currency,
                CAST(SUM(d.amount - COALESCE(a.amount, 0)) AS BIGINT) AS open
            FROM sales_receipts d
            LEFT JOIN (SELECT target_id, SUM(amount) AS amount FROM sales_allocations WHERE date <= \(bind: day)
                       GROUP BY target_id) a ON a.target_id = d.id
            WHERE d.kind = 'refund' AND d.date <= \(bind: day)\(customerClause())
            GROUP BY d.customer_id, d.currency
            """).all()
        var rows: [String: AgingReport.Row] = [:]
        func row(_ sql: any SQLRow) throws -> (String, AgingReport.Row) {
            let id = try SalesRows.id(sql, "customer_id")
            let currency = try Currency.parse(try sql.decode(column: "currency", as: String.self))
            let key = "\(id)|\(currency.code)"
            if let existing = rows[key] { return (key, existing) }
            return (key, AgingReport.Row(
                customerID: id, customerCode: try sql.decode(column: "code", as: String.self),
                customerName: try sql.decode(column: "name", as: String.self), currency: currency,
                buckets: [0, 0, 0, 0, 0], credit: 0))
        }
        for sql in invoices {
            var (key, entry) = try row(sql)
            entry.buckets[try sql.decode(column: "bucket", as: Int.self)] += try sql.decode(column: "open", as: Int64.self)
            rows[key] = entry
        }
        for sql in refunds {
            var (key, entry) = try row(sql)
            entry.buckets[0] += try sql.decode(column: "open", as: Int64.self)
            rows[key] = entry
        }
        for sql in credits {
            var (key, entry) = try row(sql)
            entry.credit -= try sql.decode(column: "open", as: Int64.self)
            rows[key] = entry
        }
        let ordered = rows.values.filter { $0.total != 0 || $0.buckets.contains { $0 != 0 } || $0.credit != 0 }
            .sorted { ($0.customerName, $0.currency.code) < ($1.customerName, $1.currency.code) }
        return AgingReport(asOf: asOf, rows: ordered)
    }

    func customerUUID(_ reference: String) async throws -> UUID {
        if let uuid = UUID(uuidString: reference) { return uuid }
        let partner = try await parties.partner(reference, by: .system)
        return UUID(uuidString: partner.id)!
    }

    /// A customer's statement for a period in one currency (the customer's, or the company's).
    // Swift 6.3's optimiser crashes (signal 11) splitting this coroutine in release builds; see docs/DECISIONS.md.
    @_optimize(none)
    public func statement(customer reference: String, from: CivilDate, to: CivilDate, currency: Currency? = nil,
                          by actor: Principal) async throws -> CustomerStatement {
        try Self.requireRead(actor)
        guard from <= to else {
            throw DomainError.invalid("sales.statement.range_invalid", "The statement's start is on or before its end",
                                      field: "from")
        }
        let partner: Partner
        do { partner = try await parties.partner(reference, by: .system) } catch let error as DomainError where error.kind == .notFound {
            throw DomainError.notFound("sales.customer.unknown", "There is no customer '\(reference)'")
        }
        var chosen = currency ?? partner.currency
        if chosen == nil { chosen = try await ledger.requireCompany().currency }
        let currency = chosen!
        let id = UUID(uuidString: partner.id)!
        // Every document of the customer in that currency up to the end, as (date, kind, number, due, signed amount).
        let rows = try await db.sql.raw("""
            SELECT issue_date AS date, kind, number, due_date, gross AS amount FROM sales_invoices
            WHERE customer_id = \(bind: id) AND currency = \(bind: currency.code) AND status = 'issued'
              AND issue_date <= \(bind: to.description)
            UNION ALL
            SELECT date, kind, number, NULL AS due_date, amount FROM sales_receipts
            WHERE customer_id = \(bind: id) AND currency = \(bind: currency.code) AND date <= \(bind: to.description)
            ORDER BY 1, 3
            """).all()
        let (opening, lines, balance) = try Self.statementLines(rows, from: from)
        let aging = try await self.aging(asOf: to, customer: partner.id, by: actor).rows
            .first { $0.currency == currency }
        return CustomerStatement(customerID: partner.id, customerCode: partner.code, customerName: partner.name,
                                 currency: currency, from: from, to: to, opening: opening, lines: lines, closing: balance,
                                 aging: (aging?.buckets ?? [0, 0, 0, 0, 0]) + [aging?.credit ?? 0])
    }

    /// The opening balance, the lines from `from` on with their running balance, and the closing balance (plain work
    /// kept out of the async function: the optimiser of Swift 6.3 crashed splitting it there).
    static func statementLines(_ rows: [any SQLRow], from: CivilDate) throws
        -> (opening: Int64, lines: [CustomerStatement.Line], closing: Int64) {
        var opening: Int64 = 0
        var balance: Int64 = 0
        var lines: [CustomerStatement.Line] = []
        for row in rows {
            let date = try SalesRows.date(row, "date")
            let kind = try row.decode(column: "kind", as: String.self)
            let amount = try row.decode(column: "amount", as: Int64.self)
            let raises = kind == "invoice" || kind == "refund"
            let signed = raises ? amount : -amount
            if date < from {
                opening += signed
                balance = opening
                continue
            }
            balance += signed
            let due = try row.decode(column: "due_date", as: String?.self)
            lines.append(.init(date: date, kind: kind, number: try row.decode(column: "number", as: String.self),
                               dueDate: due.flatMap { try? CivilDate.parse($0, field: nil) },
                               debit: raises ? amount : 0, credit: raises ? 0 : amount, balance: balance))
        }
        return (opening, lines, balance)
    }
}
