import Fluent
import Foundation
import Kernel
import Ledger
import Parties
import Platform
import SQLKit

extension SalesService {
    public struct OrderFilter: Sendable {
        /// newest / oldest by number, by customer, or by amount per period (largest first).
        public enum Sort: String, Sendable, CaseIterable { case newest, oldest, customer, amount }
        public var customer: String?
        public var status: Order.Status?
        public var sort: Sort
        public var limit: Int
        public var offset: Int

        public init(customer: String? = nil, status: Order.Status? = nil, sort: Sort = .newest, limit: Int = 100,
                    offset: Int = 0) {
            self.sort = sort
            self.customer = customer
            self.status = status
            self.limit = limit
            self.offset = offset
        }
    }

    // MARK: Reading

    public func orders(_ filter: OrderFilter, by actor: Principal) async throws -> (orders: [Order], total: Int) {
        try Self.requireRead(actor)
        try Paging.check(limit: filter.limit, offset: filter.offset, limitMax: Self.pageLimitMax, noun: "orders",
                         codePrefix: "sales")
        func filtered(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
            var query = SalesRows.customer(filter.customer, query.from("sales_orders"))
            if let status = filter.status { query = query.where("status", .equal, status.rawValue) }
            return query
        }
        let total = try await filtered(db.sql.select().column(SQLRaw("COUNT(*)"), as: "n")).first()?
            .decode(column: "n", as: Int.self) ?? 0
        let order: [(String, SQLDirection)] = switch filter.sort {
        case .newest: [("number", .descending)]
        case .oldest: [("number", .ascending)]
        case .customer: [("customer_name", .ascending), ("number", .descending)]
        case .amount: [("gross", .descending), ("number", .descending)]
        }
        let rows = try await SalesRows.ordered(filtered(db.sql.select().column("*")), by: order)
            .limit(filter.limit).offset(filter.offset).all()
        return (try await SalesRows.orders(rows, on: db), total)
    }

    public func order(_ reference: String, by actor: Principal) async throws -> Order {
        try Self.requireRead(actor)
        return try await findOrder(reference)
    }

    func findOrder(_ reference: String) async throws -> Order {
        let row = try await SalesRows.row("sales_orders", reference, on: db, code: "sales.order.not_found", noun: "order")
        return try await SalesRows.orders([row], on: db)[0]
    }

    /// The billing periods of an order: those invoiced, and the next ones (at most `upcoming`).
    public func schedule(of order: Order, upcoming: Int = 12) -> [BillingPeriod] {
        var result: [BillingPeriod] = []
        var number = 1
        while number <= order.billedPeriods + upcoming {
            if let periods = order.billing.periods, number > periods { break }
            let period = BillingRules.period(number, of: order.billing)
            if number > order.billedPeriods, let endsOn = order.endsOn, period.start >= endsOn { break }
            result.append(period)
            number += 1
        }
        return result
    }

    // MARK: Changing

    /// Takes an order from the front office. With an idempotency key, a repeat of the same request returns the first
    /// order; the key with another body is a 409. With `confirm`, the order is confirmed at once.
    public func createOrder(_ input: OrderInput, idempotencyKey: String? = nil, by actor: Principal) async throws -> Order {
        try Self.requireWrite(actor)
        let service = self
        return try await Idempotency.run(db, actor: actor, scope: "sales.order.create", key: idempotencyKey,
                                         request: input, clock: context.clock) { tx in
            try await service.on(tx).insertOrder(input, by: actor)
        }.value
    }

    private func insertOrder(_ input: OrderInput, by actor: Principal) async throws -> Order {
        let books = try await books()
        let customer = try await customer(input.customer, new: input.newCustomer, by: actor)
        let currency = try input.currency.map { text throws(DomainError) in try Currency.parse(text) }
            ?? customer.currency ?? books.company.currency
        let orderDate = try input.orderDate.map { text throws(DomainError) in try CivilDate.parse(text, field: "orderDate") }
            ?? books.company.today(context.clock)
        let terms = try Self.terms(input.paymentTerms, default: customer.paymentTerms)
        let plan = try BillingRules.parse(input.billing, orderDate: orderDate)
        let reference = try Self.optionalText(input.reference, field: "reference", max: 200)
        let notes = try Self.optionalText(input.notes, field: "notes", max: 2000)
        let priced = try await price(input.lines, currency: currency, books: books, by: actor)
        let amounts = try DocumentRules.amounts(priced, currency: currency, rounding: books.rounding)
        guard amounts.gross > 0 else {
            throw DomainError.invalid("sales.order.total_not_positive", "An order's total is more than zero", field: "lines")
        }
        let id = UUID.v7()
        let number = try await DocumentNumbers.next("SO", year: orderDate.year, on: db)
        let now = RFC3339.format(context.clock.now())
        let values: SalesRows.Values = [
            ("id", id), ("number", number), ("status", Order.Status.draft.rawValue),
            ("customer_id", UUID(uuidString: customer.id)!), ("customer_code", customer.code),
            ("customer_name", customer.name), ("currency", currency.code), ("order_date", orderDate.description),
            ("payment_terms", terms.description), ("reference", reference), ("notes", notes),
            ("billing_kind", plan.kind.rawValue), ("billing_interval", plan.interval.rawValue),
            ("billing_start", plan.start.description), ("billing_periods", plan.periods),
            ("billing_timing", plan.timing.rawValue), ("billed_periods", 0), ("ends_on", nil as String?),
            ("net", amounts.net), ("tax", amounts.tax), ("gross", amounts.gross), ("created_by", actor.username),
            ("created_at", now), ("updated_at", now),
        ]
        try await db.sql.insert(into: "sales_orders").columns(values.map(\.0)).values(values.map { SQLBind($0.1) }).run()
        try await SalesRows.insertLines(amounts.lines, of: Array(repeating: id, count: amounts.lines.count), on: db)
        let order = try await findOrder(id.uuidString)
        try await context.audit(db, actor, "sales.order.create", entity: "sales_order", id: order.id,
                                before: nil as Order?, after: order)
        return input.confirm == true ? try await confirm(order, by: actor) : order
    }

    /// Confirms a draft order: its billing plan now runs (`runBilling` issues each period's invoice when it is due).
    public func confirmOrder(_ reference: String, by actor: Principal) async throws -> Order {
        try Self.requireWrite(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let sales = service.on(tx)
            return try await sales.confirm(try await sales.findOrder(reference), by: actor)
        }
    }

    private func confirm(_ order: Order, by actor: Principal) async throws -> Order {
        guard order.status == .draft else {
            throw DomainError.conflict("sales.order.not_draft", "Order \(order.number) is \(order.status.rawValue); only a draft is confirmed")
        }
        try await setStatus(order, .confirmed)
        let confirmed = try await findOrder(order.id)
        try await context.audit(db, actor, "sales.order.confirm", entity: "sales_order", id: order.id,
                                before: order, after: confirmed)
        try await context.publish("order.confirmed", OrderEvent(confirmed), on: db)
        return confirmed
    }

    /// Cancels an order. A draft is simply cancelled; a confirmed order stops billing: no period starting on or after
    /// `effective` (default today) is invoiced, and what was invoiced stays (credit notes correct it).
    public func cancelOrder(_ reference: String, effective: CivilDate? = nil, by actor: Principal) async throws -> Order {
        try Self.requireWrite(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let sales = service.on(tx)
            let order = try await sales.findOrder(reference)
            guard order.status == .draft || order.status == .confirmed else {
                throw DomainError.conflict("sales.order.not_open", "Order \(order.number) is already \(order.status.rawValue)")
            }
            let endsOn: CivilDate? = order.status == .draft ? nil : try await sales.day(effective)
            if let endsOn, endsOn < order.billing.start, order.billedPeriods > 0 {
                throw DomainError.invalid("sales.order.cancel_date_invalid", "The cancellation date is before the billing start",
                                          field: "effective")
            }
            try await tx.sql.update("sales_orders").set("status", to: Order.Status.cancelled.rawValue)
                .set("ends_on", to: endsOn?.description).set("updated_at", to: RFC3339.format(sales.context.clock.now()))
                .where("id", .equal, UUID(uuidString: order.id)!).run()
            let cancelled = try await sales.findOrder(order.id)
            try await sales.context.audit(tx, actor, "sales.order.cancel", entity: "sales_order", id: order.id,
                                          before: order, after: cancelled)
            return cancelled
        }
    }

    private func setStatus(_ order: Order, _ status: Order.Status) async throws {
        try await db.sql.update("sales_orders").set("status", to: status.rawValue)
            .set("updated_at", to: RFC3339.format(context.clock.now()))
            .where("id", .equal, UUID(uuidString: order.id)!).run()
    }

    // MARK: Billing

    /// Issues every scheduled invoice due on or before `asOf`, oldest period first, in batches. Idempotent: a period
    /// is claimed by moving its order's billed count forward in the same transaction as its invoice, so running
    /// twice, or with an earlier date, issues nothing twice. Returns the invoices issued.
    @discardableResult
    public func runBilling(asOf: CivilDate, by actor: Principal, batchSize: Int = 500) async throws -> [Invoice] {
        try Self.requireWrite(actor)
        var issued: [Invoice] = []
        var after = UUID(uuidString: "00000000-0000-0000-0000-000000000000")!
        while true {
            // Orders that may have a period due: confirmed, or cancelled with an end date. Read a page at a time.
            let rows = try await db.sql.select().column("*").from("sales_orders")
                .where("id", .greaterThan, after)
                .where { $0.where("status", .equal, "confirmed").orWhere { $0.where("status", .equal, "cancelled").where("ends_on", .isNot, SQLLiteral.null) } }
                .orderBy("id").limit(batchSize).all()
            guard !rows.isEmpty else { break }
            after = try rows.last!.decode(column: "id", as: UUID.self)
            let orders = try await SalesRows.orders(rows, on: db)
            var work: [(order: Order, periods: [BillingPeriod])] = []
            for order in orders {
                let due = BillingRules.due(order.billing, billed: order.billedPeriods, asOf: asOf, endsOn: order.endsOn)
                if !due.isEmpty { work.append((order, due)) }
            }
            // One transaction per batch of periods.
            var chunk: [(Order, [BillingPeriod])] = []
            var count = 0
            for item in work {
                chunk.append(item)
                count += item.periods.count
                if count >= batchSize {
                    issued += try await billChunk(chunk, by: actor)
                    chunk = []
                    count = 0
                }
            }
            if !chunk.isEmpty { issued += try await billChunk(chunk, by: actor) }
        }
        return issued
    }

    private func billChunk(_ chunk: [(Order, [BillingPeriod])], by actor: Principal) async throws -> [Invoice] {
        let service = self
        return try await writeTransaction(db) { tx in
            let sales = service.on(tx)
            let books = try await sales.books()
            var drafts: [NewInvoice] = []
            for (order, periods) in chunk {
                // Claim the periods: only the run that moves the count from what it read bills them.
                let claimed = try await tx.sql.raw("""
                    UPDATE sales_orders SET billed_periods = \(bind: order.billedPeriods + periods.count),
                        status = \(bind: BillingRules.isComplete(order.billing, billed: order.billedPeriods + periods.count,
                                                                   endsOn: order.endsOn) && order.status == .confirmed
                                        ? Order.Status.completed.rawValue : order.status.rawValue),
                        updated_at = \(bind: RFC3339.format(sales.context.clock.now()))
                    WHERE id = \(bind: UUID(uuidString: order.id)!) AND billed_periods = \(bind: order.billedPeriods)
                    RETURNING id
                    """).first()
                guard claimed != nil else { continue }
                let terms = (try? PaymentTerms.parse(order.paymentTerms)) ?? .net30
                let customer = try await sales.parties.partner(order.customerID, by: .system)
                for period in periods {
                    drafts.append(NewInvoice(
                        id: UUID.v7(), kind: .invoice, customer: customer, orderID: order.id, period: period,
                        currency: order.currency, issueDate: period.issueDate,
                        dueDate: terms.dueDate(invoiceDate: period.issueDate), paymentTerms: order.paymentTerms,
                        amounts: DocumentAmounts(lines: order.lines, taxSummary: try Self.summary(of: order.lines, books: books),
                                                 net: order.net, tax: order.tax, gross: order.gross),
                        creditedInvoiceID: nil, reference: order.reference, notes: order.notes))
                }
            }
            return try await sales.issue(drafts, books: books, by: actor)
        }
    }

    /// The tax summary of lines already priced (an order's lines, billed again each period).
    static func summary(of lines: [DocumentLine], books: Books) throws -> [TaxSummaryLine] {
        var order: [String] = []
        var sums: [String: (base: Int64, tax: Int64)] = [:]
        for line in lines where !line.taxCode.isEmpty {
            if sums[line.taxCode] == nil { order.append(line.taxCode) }
            let old = sums[line.taxCode] ?? (0, 0)
            sums[line.taxCode] = (old.base + line.net, old.tax + line.tax)
        }
        return order.map { code in
            TaxSummaryLine(taxCode: code, rate: books.taxCodes[code]?.rate ?? 0, base: sums[code]!.base,
                           tax: sums[code]!.tax, note: books.taxCodes[code]?.note)
        }
    }
}

/// The payload of `order.confirmed`.
struct OrderEvent: Codable, Sendable {
    let id: String
    let number: String
    let customer: String
    let currency: String
    let gross: String
    let reference: String?

    init(_ order: Order) {
        id = order.id
        number = order.number
        customer = order.customerCode
        currency = order.currency.code
        gross = Money(minorUnits: order.gross, currency: order.currency).decimalString
        reference = order.reference
    }
}
