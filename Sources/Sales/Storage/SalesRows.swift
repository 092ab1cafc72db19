import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// Reads and writes the Sales area's rows with SQLKit: one shape for lists, details, the API and CSV.
enum SalesRows {
    typealias Values = [(String, any Encodable & Sendable)]

    static func json<T: Encodable & Sendable>(_ value: T) throws -> String {
        try AuditChain.canonicalJSON(value) ?? "null"
    }

    /// A document's row by its id or its number, or `notFound` with the code and noun given.
    static func row(_ table: String, _ reference: String, on db: any Database, code: String,
                    noun: String) async throws -> any SQLRow {
        let query = db.sql.select().column("*").from(table)
        guard let row = try await (UUID(uuidString: reference).map { query.where("id", .equal, $0) }
            ?? query.where("number", .equal, reference)).first() else {
            throw DomainError.notFound(code, "There is no \(noun) '\(reference)'")
        }
        return row
    }

    /// Narrows a list to one customer, given by code or id.
    static func customer(_ reference: String?, _ query: SQLSelectBuilder) -> SQLSelectBuilder {
        guard let reference, !reference.isEmpty else { return query }
        return query.where {
            $0.where("customer_code", .equal, reference).orWhere("customer_id", .equal, UUID(uuidString: reference) ?? UUID())
        }
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    static func id(_ row: any SQLRow, _ column: String = "id") throws -> String {
        try row.decode(column: column, as: UUID.self).lowercaseText
    }

    // Not inlined: inlined into an async function, this wrapper of a typed-throwing parse crashes the release
    // optimizer (Swift 6.3.1, "While splitting coroutine").
    @inline(never)
    static func date(_ row: any SQLRow, _ column: String) throws -> CivilDate {
        try CivilDate.parse(try row.decode(column: column, as: String.self), field: nil)
    }

    // MARK: Lines

    static func insertLines(_ lines: [DocumentLine], of documents: [UUID], on db: any Database) async throws {
        precondition(lines.count == documents.count, "one document per line")
        guard !lines.isEmpty else { return }
        let columns = ["id", "document_id", "line_no", "sku", "description", "quantity", "unit_price", "tax_code",
                       "account", "dimensions", "net", "tax", "gross"]
        for start in stride(from: 0, to: lines.count, by: 400) {
            var insert = db.sql.insert(into: "sales_document_lines").columns(columns)
            for index in start..<min(start + 400, lines.count) {
                let line = lines[index]
                let values: [any Encodable & Sendable] = [
                    UUID.v7(), documents[index], line.lineNo, line.sku, line.description, "\(line.quantity)",
                    "\(line.unitPrice)", line.taxCode, line.account, try json(line.dimensions), line.net, line.tax, line.gross,
                ]
                insert = insert.values(values.map { SQLBind($0) })
            }
            try await insert.run()
        }
    }

    static func lines(of ids: [UUID], on db: any Database) async throws -> [UUID: [DocumentLine]] {
        guard !ids.isEmpty else { return [:] }
        var result: [UUID: [DocumentLine]] = [:]
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            let rows = try await db.sql.select().column("*").from("sales_document_lines")
                .where("document_id", .in, SQLBind.group(chunk)).orderBy("document_id").orderBy("line_no").all()
            for row in rows {
                result[try row.decode(column: "document_id", as: UUID.self), default: []].append(DocumentLine(
                    lineNo: try row.decode(column: "line_no", as: Int.self),
                    sku: try row.decode(column: "sku", as: String?.self),
                    description: try row.decode(column: "description", as: String.self),
                    quantity: Decimal(string: try row.decode(column: "quantity", as: String.self)) ?? 0,
                    unitPrice: Decimal(string: try row.decode(column: "unit_price", as: String.self)) ?? 0,
                    taxCode: try row.decode(column: "tax_code", as: String.self),
                    account: try row.decode(column: "account", as: String.self),
                    dimensions: decodeJSON([String: String].self, try row.decode(column: "dimensions", as: String.self)) ?? [:],
                    net: try row.decode(column: "net", as: Int64.self), tax: try row.decode(column: "tax", as: Int64.self),
                    gross: try row.decode(column: "gross", as: Int64.self)))
            }
        }
        return result
    }

    // MARK: Orders

    static func order(_ row: any SQLRow, lines: [DocumentLine]) throws -> Order {
        let plan = BillingPlan(
            kind: BillingPlan.Kind(rawValue: try row.decode(column: "billing_kind", as: String.self)) ?? .once,
            interval: BillingPlan.Interval(rawValue: try row.decode(column: "billing_interval", as: String.self)) ?? .month,
            start: try date(row, "billing_start"), periods: try row.decode(column: "billing_periods", as: Int?.self),
            timing: BillingPlan.Timing(rawValue: try row.decode(column: "billing_timing", as: String.self)) ?? .advance)
        return Order(
            id: try id(row), number: try row.decode(column: "number", as: String.self),
            status: Order.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .draft,
            customerID: try id(row, "customer_id"), customerCode: try row.decode(column: "customer_code", as: String.self),
            customerName: try row.decode(column: "customer_name", as: String.self),
            currency: try Currency.parse(try row.decode(column: "currency", as: String.self)),
            orderDate: try date(row, "order_date"), paymentTerms: try row.decode(column: "payment_terms", as: String.self),
            reference: try row.decode(column: "reference", as: String?.self),
            notes: try row.decode(column: "notes", as: String?.self), billing: plan,
            billedPeriods: try row.decode(column: "billed_periods", as: Int.self),
            endsOn: try row.decode(column: "ends_on", as: String?.self).flatMap { try? CivilDate.parse($0, field: nil) },
            lines: lines, net: try row.decode(column: "net", as: Int64.self), tax: try row.decode(column: "tax", as: Int64.self),
            gross: try row.decode(column: "gross", as: Int64.self),
            createdBy: try row.decode(column: "created_by", as: String.self),
            createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self))
    }

    static func orders(_ rows: [any SQLRow], on db: any Database) async throws -> [Order] {
        let ids = try rows.map { try $0.decode(column: "id", as: UUID.self) }
        let lines = try await self.lines(of: ids, on: db)
        return try zip(rows, ids).map { try order($0, lines: lines[$1] ?? []) }
    }

    // MARK: Invoices

    static func invoice(_ row: any SQLRow, lines: [DocumentLine], orderNumber: String?,
                        creditedNumber: String?) throws -> Invoice {
        var period: BillingPeriod?
        if let number = try row.decode(column: "period_no", as: Int?.self),
           let start = try row.decode(column: "period_start", as: String?.self),
           let end = try row.decode(column: "period_end", as: String?.self) {
            period = BillingPeriod(number: number, start: try CivilDate.parse(start, field: nil),
                                   end: try CivilDate.parse(end, field: nil), issueDate: try date(row, "issue_date"))
        }
        return Invoice(
            id: try id(row), number: try row.decode(column: "number", as: String?.self),
            kind: Invoice.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .invoice,
            status: Invoice.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .draft,
            customerID: try id(row, "customer_id"), customerCode: try row.decode(column: "customer_code", as: String.self),
            customerName: try row.decode(column: "customer_name", as: String.self),
            orderID: try row.decode(column: "order_id", as: UUID?.self)?.lowercaseText, orderNumber: orderNumber,
            period: period, currency: try Currency.parse(try row.decode(column: "currency", as: String.self)),
            issueDate: try date(row, "issue_date"), dueDate: try date(row, "due_date"),
            paymentTerms: try row.decode(column: "payment_terms", as: String.self),
            net: try row.decode(column: "net", as: Int64.self), tax: try row.decode(column: "tax", as: Int64.self),
            gross: try row.decode(column: "gross", as: Int64.self),
            allocated: try row.decode(column: "allocated", as: Int64.self),
            creditedInvoiceID: try row.decode(column: "credited_invoice_id", as: UUID?.self)?.lowercaseText,
            creditedInvoiceNumber: creditedNumber,
            entryNumber: try row.decode(column: "entry_number", as: String?.self),
            reference: try row.decode(column: "reference", as: String?.self),
            notes: try row.decode(column: "notes", as: String?.self), lines: lines,
            taxSummary: decodeJSON([TaxSummaryLine].self, try row.decode(column: "tax_summary", as: String.self)) ?? [],
            createdBy: try row.decode(column: "created_by", as: String.self),
            createdAt: try row.decode(column: "created_at", as: String.self))
    }

    /// Invoices with their lines and the numbers of their orders and credited invoices (four queries for any count).
    static func invoices(_ rows: [any SQLRow], withLines: Bool = true, on db: any Database) async throws -> [Invoice] {
        let ids = try rows.map { try $0.decode(column: "id", as: UUID.self) }
        let lines = withLines ? try await self.lines(of: ids, on: db) : [:]
        let orderIDs = Set(try rows.compactMap { try $0.decode(column: "order_id", as: UUID?.self) })
        let creditedIDs = Set(try rows.compactMap { try $0.decode(column: "credited_invoice_id", as: UUID?.self) })
        let orderNumbers = try await numbers(Array(orderIDs), table: "sales_orders", on: db)
        let invoiceNumbers = try await numbers(Array(creditedIDs), table: "sales_invoices", on: db)
        return try zip(rows, ids).map { row, id in
            try invoice(row, lines: lines[id] ?? [],
                        orderNumber: try row.decode(column: "order_id", as: UUID?.self).flatMap { orderNumbers[$0] },
                        creditedNumber: try row.decode(column: "credited_invoice_id", as: UUID?.self)
                            .flatMap { invoiceNumbers[$0] })
        }
    }

    static func numbers(_ ids: [UUID], table: String, on db: any Database) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        var result: [UUID: String] = [:]
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            for row in try await db.sql.select().columns("id", "number").from(table)
                .where("id", .in, SQLBind.group(chunk)).all() {
                result[try row.decode(column: "id", as: UUID.self)] = try row.decode(column: "number", as: String?.self)
            }
        }
        return result
    }

    // MARK: Receipts and allocations

    static func receipt(_ row: any SQLRow) throws -> Receipt {
        Receipt(id: try id(row), number: try row.decode(column: "number", as: String.self),
                kind: Receipt.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .receipt,
                customerID: try id(row, "customer_id"),
                customerCode: try row.decode(column: "customer_code", as: String.self),
                customerName: try row.decode(column: "customer_name", as: String.self), date: try date(row, "date"),
                amount: try row.decode(column: "amount", as: Int64.self),
                currency: try Currency.parse(try row.decode(column: "currency", as: String.self)),
                method: Receipt.Method(rawValue: try row.decode(column: "method", as: String.self)) ?? .bank,
                account: try row.decode(column: "account", as: String.self),
                reference: try row.decode(column: "reference", as: String?.self),
                allocated: try row.decode(column: "allocated", as: Int64.self),
                entryNumber: try row.decode(column: "entry_number", as: String.self),
                createdBy: try row.decode(column: "created_by", as: String.self),
                createdAt: try row.decode(column: "created_at", as: String.self))
    }

    static func allocations(_ rows: [any SQLRow], on db: any Database) async throws -> [Allocation] {
        var invoiceIDs: [UUID] = [], receiptIDs: [UUID] = []
        for row in rows {
            let target = try row.decode(column: "target_id", as: UUID.self)
            let source = try row.decode(column: "source_id", as: UUID.self)
            if try row.decode(column: "target_kind", as: String.self) == "invoice" { invoiceIDs.append(target) } else { receiptIDs.append(target) }
            if try row.decode(column: "source_kind", as: String.self) == "receipt" { receiptIDs.append(source) } else { invoiceIDs.append(source) }
        }
        var names = try await numbers(invoiceIDs, table: "sales_invoices", on: db)
        names.merge(try await numbers(receiptIDs, table: "sales_receipts", on: db)) { first, _ in first }
        return try rows.map { row in
            let target = try row.decode(column: "target_id", as: UUID.self)
            let source = try row.decode(column: "source_id", as: UUID.self)
            return Allocation(
                id: try id(row), target: Allocation.Target(rawValue: try row.decode(column: "target_kind", as: String.self)) ?? .invoice,
                targetID: target.lowercaseText, targetNumber: names[target] ?? "",
                source: Allocation.Source(rawValue: try row.decode(column: "source_kind", as: String.self)) ?? .receipt,
                sourceID: source.lowercaseText, sourceNumber: names[source] ?? "", date: try date(row, "date"),
                amount: try row.decode(column: "amount", as: Int64.self),
                currency: try Currency.parse(try row.decode(column: "currency", as: String.self)),
                reversalOf: try row.decode(column: "reversal_of", as: UUID?.self)?.lowercaseText,
                reversedBy: try row.decode(column: "reversed_by", as: UUID?.self)?.lowercaseText,
                createdBy: try row.decode(column: "created_by", as: String.self))
        }
    }

    /// The query ordered by trusted column expressions (constants of the list's sort choices, never user text).
    static func ordered(_ query: SQLSelectBuilder, by keys: [(String, SQLDirection)]) -> SQLSelectBuilder {
        var query = query
        for (expression, direction) in keys { query = query.orderBy(SQLOrderBy(expression: SQLRaw(expression), direction: direction)) }
        return query
    }
}
