import Fluent
import Foundation
import Kernel
import Ledger
import Parties
import Platform
import SQLKit

/// A customer payment as a person, a bank import or the front office gives it.
public struct ReceiptInput: Sendable, Codable, Equatable {
    public struct Allocation: Sendable, Codable, Equatable {
        /// An invoice by number or id.
        public var invoice: String
        public var amount: String

        public init(invoice: String, amount: String) {
            self.invoice = invoice
            self.amount = amount
        }
    }

    public var customer: String
    public var date: String?
    public var amount: String
    public var currency: String?
    public var method: String?
    /// The bank or cash account by code; by default the first bank account (cash: the first cash account).
    public var account: String?
    public var reference: String?
    /// Chosen invoices; without them the payment goes to the oldest open invoices first.
    public var allocations: [Allocation]?
    /// False keeps the whole payment as customer credit.
    public var allocate: Bool?

    public init(customer: String, date: String? = nil, amount: String, currency: String? = nil, method: String? = nil,
                account: String? = nil, reference: String? = nil, allocations: [Allocation]? = nil, allocate: Bool? = nil) {
        self.customer = customer
        self.date = date
        self.amount = amount
        self.currency = currency
        self.method = method
        self.account = account
        self.reference = reference
        self.allocations = allocations
        self.allocate = allocate
    }
}

extension SalesService {
    struct NewAllocation: Sendable {
        let target: Allocation.Target
        let targetID: String
        let source: Allocation.Source
        let sourceID: String
        let amount: Int64
    }

    // MARK: Reading

    /// newest / oldest by date, by customer, or by amount (largest first).
    public enum ReceiptSort: String, Sendable, CaseIterable { case newest, oldest, customer, amount }

    public func receipts(customer: String? = nil, sort: ReceiptSort = .newest, limit: Int = 100, offset: Int = 0,
                         by actor: Principal) async throws -> (receipts: [Receipt], total: Int) {
        try Self.requireRead(actor)
        try Paging.check(limit: limit, offset: offset, limitMax: Self.pageLimitMax, noun: "receipts", codePrefix: "sales")
        func filtered(_ query: SQLSelectBuilder) -> SQLSelectBuilder { SalesRows.customer(customer, query.from("sales_receipts")) }
        let total = try await filtered(db.sql.select().column(SQLRaw("COUNT(*)"), as: "n")).first()?
            .decode(column: "n", as: Int.self) ?? 0
        let order: [(String, SQLDirection)] = switch sort {
        case .newest: [("date", .descending), ("id", .descending)]
        case .oldest: [("date", .ascending), ("id", .ascending)]
        case .customer: [("customer_name", .ascending), ("date", .descending), ("id", .descending)]
        case .amount: [("amount", .descending), ("id", .descending)]
        }
        let rows = try await SalesRows.ordered(filtered(db.sql.select().column("*")), by: order)
            .limit(limit).offset(offset).all()
        return (try rows.map(SalesRows.receipt), total)
    }

    public func receipt(_ reference: String, by actor: Principal) async throws -> Receipt {
        try Self.requireRead(actor)
        return try await findReceipt(reference)
    }

    func findReceipt(_ reference: String) async throws -> Receipt {
        try SalesRows.receipt(try await SalesRows.row("sales_receipts", reference, on: db, code: "sales.receipt.not_found",
                                                      noun: "receipt"))
    }

    // MARK: Receipts and refunds

    /// Records a customer payment: posted bank (or cash) <- receivable, then set against the chosen invoices or the
    /// oldest open ones. What is not allocated stays as customer credit for later invoices or a refund.
    public func recordReceipt(_ input: ReceiptInput, idempotencyKey: String? = nil, by actor: Principal) async throws -> Receipt {
        try Self.requireWrite(actor)
        let service = self
        return try await Idempotency.run(db, actor: actor, scope: "sales.receipt.create", key: idempotencyKey,
                                         request: input, clock: context.clock) { tx in
            let sales = service.on(tx)
            let (receipt, books) = try await sales.insertPayment(.receipt, input, by: actor)
            var allocations: [NewAllocation] = []
            /// Invoices the payment settles within their discount days, with the discount each earns.
            var discounts: [(invoice: Invoice, amount: Int64)] = []
            if let chosen = input.allocations, !chosen.isEmpty {
                var total: Int64 = 0
                for (index, choice) in chosen.enumerated() {
                    let invoice: Invoice
                    do { invoice = try await sales.findInvoice(choice.invoice) } catch let error as DomainError where error.kind == .notFound {
                        throw DomainError.invalid("sales.allocation.invoice_unknown", "There is no invoice '\(choice.invoice)'",
                                                  field: "allocations[\(index)].invoice")
                    }
                    let amount = try Money.parse(choice.amount, currency: receipt.currency, field: "allocations[\(index)].amount")
                    try Self.checkTarget(invoice, customerID: receipt.customerID, currency: receipt.currency,
                                         amount: amount.minorUnits, field: "allocations[\(index)]")
                    total += amount.minorUnits
                    allocations.append(.init(target: .invoice, targetID: invoice.id, source: .receipt,
                                             sourceID: receipt.id, amount: amount.minorUnits))
                    let discount = Self.earlyPaymentDiscount(invoice, paidOn: receipt.date)
                    if discount > 0, amount.minorUnits == invoice.open - discount { discounts.append((invoice, discount)) }
                }
                guard total <= receipt.amount else {
                    throw DomainError.invalid("sales.allocation.exceeds_payment", "The allocations add up to more than the payment",
                                              field: "allocations")
                }
            } else if input.allocate != false {
                let open = try await sales.openInvoices(customerID: receipt.customerID, currency: receipt.currency)
                let earned = Dictionary(uniqueKeysWithValues: open.map { ($0.id, Self.earlyPaymentDiscount($0, paidOn: receipt.date)) })
                let byID = Dictionary(uniqueKeysWithValues: open.map { ($0.id, $0) })
                for share in ReceivableRules.oldestFirst(receipt.amount, over: open.map(Self.openItem), discounts: earned) {
                    allocations.append(.init(target: .invoice, targetID: share.id, source: .receipt, sourceID: receipt.id,
                                             amount: share.amount))
                    if share.discount > 0, let invoice = byID[share.id] { discounts.append((invoice, share.discount)) }
                }
            }
            try await sales.allocate(allocations, customerID: receipt.customerID, currency: receipt.currency, date: receipt.date,
                                     by: actor)
            for (given, amount) in discounts {
                let invoice = try await sales.findInvoice(given.id)
                let lines = try DocumentRules.spread(gross: amount, over: invoice.lines, taxCodes: books.taxCodes,
                                                     currency: invoice.currency)
                let terms = invoice.paymentTerms
                _ = try await sales.issueCreditNote(against: invoice, lines: lines, date: receipt.date, books: books,
                                                    reason: "Early-payment discount (\(terms)) on receipt \(receipt.number)",
                                                    by: actor)
            }
            let final = try await sales.findReceipt(receipt.id)
            try await sales.context.publish("payment.received", PaymentEvent(final), on: tx)
            return final
        }.value
    }

    /// Pays customer credit back: posted receivable <- bank (or cash), taking the credit from the oldest unused
    /// receipts and credit notes first. More than the customer's credit is refused.
    public func refund(_ input: ReceiptInput, by actor: Principal) async throws -> Receipt {
        try Self.requireWrite(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let sales = service.on(tx)
            let (refund, _) = try await sales.insertPayment(.refund, input, by: actor)
            let credits = try await sales.credits(customerID: refund.customerID, currency: refund.currency)
            let available = credits.reduce(0) { $0 + $1.open }
            guard available >= refund.amount else {
                throw DomainError.invalid("sales.refund.exceeds_credit", "The customer has "
                                          + Money(minorUnits: available, currency: refund.currency).decimalString
                                          + " \(refund.currency.code) of credit; a refund cannot be more", field: "amount")
            }
            var left = refund.amount
            var allocations: [NewAllocation] = []
            for credit in credits where left > 0 {
                let take = min(left, credit.open)
                allocations.append(.init(target: .refund, targetID: refund.id, source: credit.source, sourceID: credit.id,
                                         amount: take))
                left -= take
            }
            try await sales.allocate(allocations, customerID: refund.customerID, currency: refund.currency, date: refund.date,
                                     by: actor)
            return try await sales.findReceipt(refund.id)
        }
    }

    private func insertPayment(_ kind: Receipt.Kind, _ input: ReceiptInput, by actor: Principal) async throws -> (Receipt, Books) {
        let books = try await books()
        let customer = try await customer(input.customer, new: nil, by: actor)
        let currency = try input.currency.map { text throws(DomainError) in try Currency.parse(text) }
            ?? customer.currency ?? books.company.currency
        let amount = try Money.parse(input.amount, currency: currency)
        guard amount.minorUnits > 0 else {
            throw DomainError.invalid("sales.receipt.amount_not_positive", "A payment is more than zero", field: "amount")
        }
        let date = try input.date.map { text throws(DomainError) in try CivilDate.parse(text, field: "date") }
            ?? books.company.today(context.clock)
        let methodText = input.method.nonBlank ?? "bank"
        guard let method = Receipt.Method(rawValue: methodText) else {
            throw DomainError.invalid("sales.receipt.method_invalid", "'\(methodText)' is not a method; use bank, cash or card",
                                      field: "method")
        }
        let postable = books.accounts.filter { !$0.isHeader && !$0.archived && $0.type == .asset }
        let account: Account
        if let reference = input.account.map({ String($0.trimmed) }), !reference.isEmpty {
            guard let found = books.account(reference) else {
                throw DomainError.invalid("ledger.account.unknown", "There is no account '\(reference)'", field: "account")
            }
            guard postable.contains(found), found.subtype == .bank || found.subtype == .cash else {
                throw DomainError.invalid("sales.receipt.account_invalid",
                                          "Account \(found.code) is not an active bank or cash account", field: "account")
            }
            account = found
        } else {
            let subtype: AccountSubtype = method == .cash ? .cash : .bank
            guard let found = postable.filter({ $0.subtype == subtype }).min(by: { $0.code < $1.code }) else {
                throw DomainError.invalid("sales.receipt.account_missing",
                                          "The chart has no \(subtype.rawValue) account; name one", field: "account")
            }
            account = found
        }
        let reference = try Self.optionalText(input.reference, field: "reference", max: 200)
        let number = try await DocumentNumbers.next(kind == .receipt ? "RCT" : "RFD", year: date.year, on: db)
        let entry = SalesPostings.payment(kind: kind, number: number, customer: customer.code, date: date,
                                          amount: amount.minorUnits, currency: currency, account: account.code,
                                          receivable: books.receivable.code, reference: reference)
        let posted = try await ledger.post(batch: [entry], by: Self.poster(actor))[0]
        let id = UUID.v7()
        let values: SalesRows.Values = [
            ("id", id), ("number", number), ("kind", kind.rawValue), ("customer_id", UUID(uuidString: customer.id)!),
            ("customer_code", customer.code), ("customer_name", customer.name), ("date", date.description),
            ("amount", amount.minorUnits), ("currency", currency.code), ("method", method.rawValue),
            ("account", account.code), ("reference", reference), ("allocated", Int64(0)), ("entry_id", posted.id),
            ("entry_number", posted.number), ("created_by", actor.username),
            ("created_at", RFC3339.format(context.clock.now())),
        ]
        try await db.sql.insert(into: "sales_receipts").columns(values.map(\.0)).values(values.map { SQLBind($0.1) }).run()
        let receipt = try await findReceipt(id.uuidString)
        try await context.audit(db, actor, kind == .receipt ? "sales.receipt.create" : "sales.refund.create",
                                entity: "sales_receipt", id: receipt.id, before: nil as Receipt?, after: receipt)
        return (receipt, books)
    }

    // MARK: Allocation

    /// Sets a receipt's or credit note's unused amount against invoices: the chosen ones, or the oldest open first.
    public func allocateCredit(_ source: String, to chosen: [ReceiptInput.Allocation]? = nil, date: CivilDate? = nil,
                               by actor: Principal) async throws -> [Allocation] {
        try Self.requireWrite(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let sales = service.on(tx)
            let credit = try await sales.credit(source)
            let date = try await sales.day(date)
            guard date >= credit.date else {
                throw DomainError.invalid("sales.allocation.date_before_source", "An allocation is dated on or after its payment",
                                          field: "date")
            }
            var allocations: [NewAllocation] = []
            if let chosen, !chosen.isEmpty {
                for (index, choice) in chosen.enumerated() {
                    let invoice = try await sales.findInvoice(choice.invoice)
                    let amount = try Money.parse(choice.amount, currency: credit.currency, field: "allocations[\(index)].amount")
                    try Self.checkTarget(invoice, customerID: credit.customerID, currency: credit.currency,
                                         amount: amount.minorUnits, field: "allocations[\(index)]")
                    allocations.append(.init(target: .invoice, targetID: invoice.id, source: credit.source,
                                             sourceID: credit.id, amount: amount.minorUnits))
                }
            } else {
                allocations = try await sales.oldestFirst(credit.open, customerID: credit.customerID, currency: credit.currency,
                                                          source: credit.source, sourceID: credit.id)
            }
            guard !allocations.isEmpty else {
                throw DomainError.conflict("sales.allocation.nothing_open", "The customer has no open invoice to allocate to")
            }
            return try await sales.allocate(allocations, customerID: credit.customerID, currency: credit.currency, date: date,
                                            by: actor)
        }
    }

    /// Takes an allocation back with a reversing allocation (the original stays, marked reversed).
    public func unallocate(_ id: String, date: CivilDate? = nil, by actor: Principal) async throws -> Allocation {
        try Self.requireWrite(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let sales = service.on(tx)
            guard let uuid = UUID(uuidString: id),
                  let row = try await tx.sql.select().column("*").from("sales_allocations").where("id", .equal, uuid).first() else {
                throw DomainError.notFound("sales.allocation.not_found", "There is no allocation '\(id)'")
            }
            let original = try await SalesRows.allocations([row], on: tx)[0]
            guard original.amount > 0, original.reversedBy == nil else {
                throw DomainError.conflict("sales.allocation.already_reversed", "This allocation was already taken back")
            }
            guard original.target == .invoice else {
                throw DomainError.conflict("sales.allocation.refund", "Credit paid back by a refund cannot be taken back")
            }
            let date = try await sales.day(date)
            let reversal = try await sales.allocate(
                [.init(target: original.target, targetID: original.targetID, source: original.source,
                       sourceID: original.sourceID, amount: -original.amount)],
                customerID: try SalesRows.id(row, "customer_id"), currency: original.currency, date: max(date, original.date),
                by: actor,
                reversalOf: original.id)[0]
            return reversal
        }
    }

    /// Writes allocations and moves the allocated amounts of their invoices, receipts and credit notes, refusing any
    /// that would take more than is open. Publishes `invoice.paid` for invoices it settles.
    @discardableResult
    func allocate(_ allocations: [NewAllocation], customerID: String, currency: Currency, date: CivilDate, by actor: Principal,
                  reversalOf: String? = nil) async throws -> [Allocation] {
        precondition(db.inTransaction, "allocations are written inside a write transaction")
        guard !allocations.isEmpty else { return [] }
        var ids: [UUID] = []
        let now = RFC3339.format(context.clock.now())
        for allocation in allocations {
            precondition(allocation.amount != 0, "an allocation moves an amount")
            let targetTable = allocation.target == .invoice ? "sales_invoices" : "sales_receipts"
            let sourceTable = allocation.source == .receipt ? "sales_receipts" : "sales_invoices"
            let sourceLimit = allocation.source == .receipt ? "amount" : "gross"
            let targetLimit = allocation.target == .invoice ? "gross" : "amount"
            for (table, limit, id) in [(targetTable, targetLimit, allocation.targetID), (sourceTable, sourceLimit, allocation.sourceID)] {
                let moved = try await db.sql.raw("""
                    UPDATE \(ident: table) SET allocated = allocated + \(bind: allocation.amount)
                    WHERE id = \(bind: UUID(uuidString: id)!) AND allocated + \(bind: allocation.amount) <= \(ident: limit)
                        AND allocated + \(bind: allocation.amount) >= 0
                    RETURNING id
                    """).first()
                guard moved != nil else {
                    throw DomainError.invalid("sales.allocation.exceeds_open",
                                              "The allocation is more than is open on the invoice or left of the payment")
                }
            }
            let id = UUID.v7()
            ids.append(id)
            let values: SalesRows.Values = [
                ("id", id), ("customer_id", UUID(uuidString: customerID)!), ("target_kind", allocation.target.rawValue),
                ("target_id", UUID(uuidString: allocation.targetID)!), ("source_kind", allocation.source.rawValue),
                ("source_id", UUID(uuidString: allocation.sourceID)!), ("date", date.description),
                ("amount", allocation.amount), ("currency", currency.code), ("reversal_of", reversalOf.flatMap(UUID.init(uuidString:))),
                ("reversed_by", nil as UUID?), ("created_by", actor.username), ("created_at", now),
            ]
            try await db.sql.insert(into: "sales_allocations").columns(values.map(\.0)).values(values.map { SQLBind($0.1) }).run()
            if let reversalOf {
                try await db.sql.update("sales_allocations").set("reversed_by", to: id)
                    .where("id", .equal, UUID(uuidString: reversalOf)!).run()
            }
        }
        let rows = try await db.sql.select().column("*").from("sales_allocations").where("id", .in, SQLBind.group(ids))
            .orderBy("id").all()
        let written = try await SalesRows.allocations(rows, on: db)
        try await context.audit(db, actor, try written.map {
            try AuditChain.Entry(action: reversalOf == nil ? "sales.allocation.create" : "sales.allocation.reverse",
                                 entity: "sales_allocation", entityID: $0.id, before: nil as Allocation?, after: $0)
        })
        let settled = Set(allocations.filter { $0.target == .invoice && $0.amount > 0 }.map(\.targetID))
        if !settled.isEmpty {
            let paid = try await db.sql.select().column("*").from("sales_invoices")
                .where("id", .in, SQLBind.group(settled.compactMap(UUID.init(uuidString:)))).where(SQLRaw("allocated = gross")).all()
            for invoice in try await SalesRows.invoices(paid, withLines: false, on: db) {
                try await context.publish("invoice.paid", InvoiceEvent(invoice), on: db)
            }
        }
        return written
    }

    static func checkTarget(_ invoice: Invoice, customerID: String, currency: Currency, amount: Int64,
                            field: String) throws(DomainError) {
        guard invoice.kind == .invoice, invoice.status == .issued else {
            throw .invalid("sales.allocation.not_open_invoice", "\(invoice.number ?? "The draft") is not an issued invoice",
                           field: "\(field).invoice")
        }
        guard invoice.customerID == customerID, invoice.currency == currency else {
            throw .invalid("sales.allocation.other_customer", "Invoice \(invoice.number ?? "") is another customer's or in "
                           + "another currency", field: "\(field).invoice")
        }
        guard amount > 0, amount <= invoice.open else {
            throw .invalid("sales.allocation.exceeds_open", "Invoice \(invoice.number ?? "") has "
                           + Money(minorUnits: invoice.open, currency: currency).decimalString + " open; allocate more than 0 "
                           + "and at most that", field: "\(field).amount")
        }
    }

    /// Allocations sharing `amount` over the customer's open invoices in that currency, oldest due first.
    func oldestFirst(_ amount: Int64, customerID: String, currency: Currency, source: Allocation.Source,
                     sourceID: String) async throws -> [NewAllocation] {
        guard amount > 0 else { return [] }
        let open = try await openInvoices(customerID: customerID, currency: currency)
        return ReceivableRules.oldestFirst(amount, over: open.map(Self.openItem)).map {
            NewAllocation(target: .invoice, targetID: $0.id, source: source, sourceID: sourceID, amount: $0.amount)
        }
    }

    /// The customer's issued invoices in a currency with something open (without their lines).
    func openInvoices(customerID: String, currency: Currency) async throws -> [Invoice] {
        let rows = try await db.sql.select().column("*")
            .from("sales_invoices").where("customer_id", .equal, UUID(uuidString: customerID)!)
            .where("kind", .equal, "invoice").where("status", .equal, "issued").where("currency", .equal, currency.code)
            .where(SQLRaw("allocated < gross")).all()
        return try await SalesRows.invoices(rows, withLines: false, on: db)
    }

    static func openItem(_ invoice: Invoice) -> OpenItem {
        OpenItem(id: invoice.id, dueDate: invoice.dueDate, issueDate: invoice.issueDate, number: invoice.number ?? invoice.id,
                 open: invoice.open)
    }

    /// The early-payment discount a payment on `paidOn` earns on an invoice under the terms it was issued with.
    static func earlyPaymentDiscount(_ invoice: Invoice, paidOn: CivilDate) -> Int64 {
        guard invoice.kind == .invoice, let terms = try? PaymentTerms.parse(invoice.paymentTerms) else { return 0 }
        return ReceivableRules.earlyPaymentDiscount(terms: terms, invoiceDate: invoice.issueDate, open: invoice.open,
                                                    paidOn: paidOn)
    }

    struct Credit: Sendable {
        let id: String
        let source: Allocation.Source
        let customerID: String
        let currency: Currency
        let date: CivilDate
        let open: Int64
    }

    /// A receipt or credit note by number or id, with what is left of it.
    func credit(_ reference: String) async throws -> Credit {
        if let receipt = try? await findReceipt(reference), receipt.kind == .receipt {
            return Credit(id: receipt.id, source: .receipt, customerID: receipt.customerID, currency: receipt.currency,
                          date: receipt.date, open: receipt.unallocated)
        }
        guard let note = try? await findInvoice(reference), note.kind == .creditNote, note.status == .issued else {
            throw DomainError.notFound("sales.credit.not_found", "There is no receipt or credit note '\(reference)'")
        }
        return Credit(id: note.id, source: .creditNote, customerID: note.customerID, currency: note.currency,
                      date: note.issueDate, open: note.open)
    }

    /// The customer's unused receipts and credit notes in a currency, oldest first.
    // Swift 6.3's optimiser crashes (signal 11) splitting this coroutine in release builds; see docs/DECISIONS.md.
    @_optimize(none)
    func credits(customerID: String, currency: Currency) async throws -> [Credit] {
        let customer = UUID(uuidString: customerID)!
        let receipts = try await db.sql.select().columns("id", "date", "amount", "allocated").from("sales_receipts")
            .where("customer_id", .equal, customer).where("kind", .equal, "receipt").where("currency", .equal, currency.code)
            .where(SQLRaw("allocated < amount")).all()
        let notes = try await db.sql.select().columns("id", "issue_date", "gross", "allocated").from("sales_invoices")
            .where("customer_id", .equal, customer).where("kind", .equal, "credit_note").where("status", .equal, "issued")
            .where("currency", .equal, currency.code).where(SQLRaw("allocated < gross")).all()
        var result: [Credit] = []
        for (rows, source, dateColumn, amountColumn) in [(receipts, Allocation.Source.receipt, "date", "amount"),
                                                         (notes, Allocation.Source.creditNote, "issue_date", "gross")] {
            for row in rows {
                let amount = try row.decode(column: amountColumn, as: Int64.self)
                let allocated = try row.decode(column: "allocated", as: Int64.self)
                result.append(Credit(id: try SalesRows.id(row), source: source, customerID: customerID, currency: currency,
                                     date: try SalesRows.date(row, dateColumn), open: amount - allocated))
            }
        }
        return result.sorted { ($0.date, $0.id) < ($1.date, $1.id) }
    }
}

/// The payload of `payment.received`.
struct PaymentEvent: Codable, Sendable {
    let id: String
    let number: String
    let customer: String
    let date: String
    let amount: String
    let currency: String
    let allocated: String
    let reference: String?

    init(_ receipt: Receipt) {
        id = receipt.id
        number = receipt.number
        customer = receipt.customerCode
        date = receipt.date.description
        amount = Money(minorUnits: receipt.amount, currency: receipt.currency).decimalString
        currency = receipt.currency.code
        allocated = Money(minorUnits: receipt.allocated, currency: receipt.currency).decimalString
        reference = receipt.reference
    }
}
