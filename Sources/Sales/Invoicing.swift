import Fluent
import Foundation
import Kernel
import Ledger
import Parties
import Platform
import SQLKit

/// An invoice or credit note about to be issued.
struct NewInvoice: Sendable {
    let id: UUID
    let kind: Invoice.Kind
    let customer: Partner
    let orderID: String?
    let period: BillingPeriod?
    let currency: Currency
    let issueDate: CivilDate
    let dueDate: CivilDate
    let paymentTerms: String
    let amounts: DocumentAmounts
    let creditedInvoiceID: String?
    let reference: String?
    let notes: String?
}

/// A manual invoice as a person or the front office gives it (orders make theirs by billing).
public struct InvoiceInput: Sendable, Codable, Equatable {
    public var customer: String
    public var currency: String?
    public var issueDate: String?
    public var paymentTerms: String?
    public var reference: String?
    public var notes: String?
    public var lines: [OrderLineInput]

    public init(customer: String, currency: String? = nil, issueDate: String? = nil, paymentTerms: String? = nil,
                reference: String? = nil, notes: String? = nil, lines: [OrderLineInput]) {
        self.customer = customer
        self.currency = currency
        self.issueDate = issueDate
        self.paymentTerms = paymentTerms
        self.reference = reference
        self.notes = notes
        self.lines = lines
    }
}

/// What a credit note takes back: whole invoice lines, part of a line's quantity, or an amount (tax included).
public struct CreditNoteInput: Sendable, Codable, Equatable {
    public struct Line: Sendable, Codable, Equatable {
        /// The invoice line's number (1 for the first).
        public var line: Int
        public var quantity: String?
        /// An amount including tax, taken back on that line.
        public var amount: String?

        public init(line: Int, quantity: String? = nil, amount: String? = nil) {
            self.line = line
            self.quantity = quantity
            self.amount = amount
        }
    }

    public var date: String?
    public var reason: String?
    /// Nothing credits the whole invoice.
    public var lines: [Line]?

    public init(date: String? = nil, reason: String? = nil, lines: [Line]? = nil) {
        self.date = date
        self.reason = reason
        self.lines = lines
    }
}

extension SalesService {
    public struct InvoiceFilter: Sendable {
        public enum State: String, Sendable, CaseIterable { case draft, open, overdue, paid }
        /// newest / oldest by issue date, by due date (soonest first), number, customer, amount or open amount
        /// (largest first).
        public enum Sort: String, Sendable, CaseIterable { case newest, oldest, due, number, customer, amount, open }
        public var customer: String?
        public var kind: Invoice.Kind?
        public var state: State?
        public var order: String?
        public var from: CivilDate?
        public var to: CivilDate?
        public var sort: Sort
        public var limit: Int
        public var offset: Int

        public init(customer: String? = nil, kind: Invoice.Kind? = nil, state: State? = nil, order: String? = nil,
                    from: CivilDate? = nil, to: CivilDate? = nil, sort: Sort = .newest, limit: Int = 100, offset: Int = 0) {
            self.sort = sort
            self.customer = customer
            self.kind = kind
            self.state = state
            self.order = order
            self.from = from
            self.to = to
            self.limit = limit
            self.offset = offset
        }
    }

    // MARK: Reading

    public func invoices(_ filter: InvoiceFilter, by actor: Principal) async throws -> (invoices: [Invoice], total: Int) {
        try Self.requireRead(actor)
        try Paging.check(limit: filter.limit, offset: filter.offset, limitMax: Self.pageLimitMax, noun: "invoices",
                         codePrefix: "sales")
        // Only the overdue filter depends on the day.
        let today = filter.state == .overdue ? try await today() : nil
        var orderID: UUID?
        if let order = filter.order, !order.isEmpty { orderID = UUID(uuidString: try await findOrder(order).id) }
        func filtered(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
            var query = SalesRows.customer(filter.customer, query.from("sales_invoices"))
            if let kind = filter.kind { query = query.where("kind", .equal, kind.rawValue) }
            if let orderID { query = query.where("order_id", .equal, orderID) }
            if let from = filter.from { query = query.where("issue_date", .greaterThanOrEqual, from.description) }
            if let to = filter.to { query = query.where("issue_date", .lessThanOrEqual, to.description) }
            switch filter.state {
            case .draft: query = query.where("status", .equal, "draft")
            case .open: query = query.where("status", .equal, "issued").where(SQLRaw("allocated <> gross"))
            case .overdue:
                query = query.where("status", .equal, "issued").where("kind", .equal, "invoice")
                    .where(SQLRaw("allocated <> gross")).where("due_date", .lessThan, today?.description ?? "")
            case .paid: query = query.where("status", .equal, "issued").where(SQLRaw("allocated = gross"))
            case nil: break
            }
            return query
        }
        let total = try await filtered(db.sql.select().column(SQLRaw("COUNT(*)"), as: "n")).first()?
            .decode(column: "n", as: Int.self) ?? 0
        let order: [(String, SQLDirection)] = switch filter.sort {
        case .newest: [("issue_date", .descending), ("id", .descending)]
        case .oldest: [("issue_date", .ascending), ("id", .ascending)]
        case .due: [("due_date", .ascending), ("id", .ascending)]
        case .number: [("number", .ascending), ("id", .ascending)]
        case .customer: [("customer_name", .ascending), ("issue_date", .descending), ("id", .descending)]
        case .amount: [("gross", .descending), ("id", .descending)]
        case .open: [("gross - allocated", .descending), ("due_date", .ascending), ("id", .ascending)]
        }
        let rows = try await SalesRows.ordered(filtered(db.sql.select().column("*")), by: order)
            .limit(filter.limit).offset(filter.offset).all()
        return (try await SalesRows.invoices(rows, withLines: false, on: db), total)
    }

    public func invoice(_ reference: String, by actor: Principal) async throws -> Invoice {
        try Self.requireRead(actor)
        return try await findInvoice(reference)
    }

    func findInvoice(_ reference: String) async throws -> Invoice {
        let row = try await SalesRows.row("sales_invoices", reference, on: db, code: "sales.invoice.not_found",
                                          noun: "invoice")
        return try await SalesRows.invoices([row], on: db)[0]
    }

    /// The allocations made to an invoice or from a credit note or receipt, oldest first.
    public func allocations(of id: String, by actor: Principal) async throws -> [Allocation] {
        try Self.requireRead(actor)
        guard let uuid = UUID(uuidString: id) else { return [] }
        let rows = try await db.sql.select().column("*").from("sales_allocations")
            .where { $0.where("target_id", .equal, uuid).orWhere("source_id", .equal, uuid) }.orderBy("id").all()
        return try await SalesRows.allocations(rows, on: db)
    }

    /// Credit notes issued against an invoice.
    public func creditNotes(of invoice: Invoice) async throws -> [Invoice] {
        let rows = try await db.sql.select().column("*").from("sales_invoices")
            .where("credited_invoice_id", .equal, UUID(uuidString: invoice.id)!).orderBy("id").all()
        return try await SalesRows.invoices(rows, withLines: false, on: db)
    }

    // MARK: Drafts

    /// Saves a draft invoice: nothing is numbered or posted until it is issued.
    public func createInvoice(_ input: InvoiceInput, idempotencyKey: String? = nil, by actor: Principal) async throws -> Invoice {
        try Self.requireWrite(actor)
        let service = self
        return try await Idempotency.run(db, actor: actor, scope: "sales.invoice.create", key: idempotencyKey,
                                         request: input, clock: context.clock) { tx in
            let sales = service.on(tx)
            let books = try await sales.books()
            let customer = try await sales.customer(input.customer, new: nil, by: actor)
            let currency = try input.currency.map { text throws(DomainError) in try Currency.parse(text) }
                ?? customer.currency ?? books.company.currency
            let date = try input.issueDate.map { text throws(DomainError) in try CivilDate.parse(text, field: "issueDate") }
                ?? books.company.today(sales.context.clock)
            let terms = try Self.terms(input.paymentTerms, default: customer.paymentTerms)
            let priced = try await sales.price(input.lines, currency: currency, books: books, by: actor)
            let amounts = try DocumentRules.amounts(priced, currency: currency, rounding: books.rounding)
            let draft = NewInvoice(id: UUID.v7(), kind: .invoice, customer: customer, orderID: nil, period: nil,
                                   currency: currency, issueDate: date, dueDate: terms.dueDate(invoiceDate: date),
                                   paymentTerms: terms.description, amounts: amounts, creditedInvoiceID: nil,
                                   reference: try Self.optionalText(input.reference, field: "reference", max: 200),
                                   notes: try Self.optionalText(input.notes, field: "notes", max: 2000))
            try await sales.insert([draft], numbers: [nil], entries: [nil], by: actor)
            let invoice = try await sales.findInvoice(draft.id.uuidString)
            try await sales.context.audit(tx, actor, "sales.invoice.create", entity: "sales_invoice", id: invoice.id,
                                          before: nil as Invoice?, after: invoice)
            return invoice
        }.value
    }

    /// Issues a draft: it gets the next number of its year, is posted to the ledger, and can no longer change.
    public func issueInvoice(_ reference: String, date: CivilDate? = nil, by actor: Principal) async throws -> Invoice {
        try Self.requireWrite(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let sales = service.on(tx)
            let draft = try await sales.findInvoice(reference)
            guard draft.status == .draft else {
                throw DomainError.conflict("sales.invoice.not_draft", "Invoice \(draft.number ?? draft.id) is already issued")
            }
            let books = try await sales.books()
            let customer = try await sales.parties.partner(draft.customerID, by: .system)
            let issueDate = date ?? draft.issueDate
            let terms = (try? PaymentTerms.parse(draft.paymentTerms)) ?? .net30
            guard draft.gross > 0 else {
                throw DomainError.invalid("sales.invoice.total_not_positive", "An invoice's total is more than zero")
            }
            try await tx.sql.delete(from: "sales_document_lines").where("document_id", .equal, UUID(uuidString: draft.id)!).run()
            try await tx.sql.delete(from: "sales_invoices").where("id", .equal, UUID(uuidString: draft.id)!).run()
            let new = NewInvoice(id: UUID(uuidString: draft.id)!, kind: .invoice, customer: customer, orderID: nil,
                                 period: nil, currency: draft.currency, issueDate: issueDate,
                                 dueDate: date == nil ? draft.dueDate : terms.dueDate(invoiceDate: issueDate),
                                 paymentTerms: draft.paymentTerms,
                                 amounts: DocumentAmounts(lines: draft.lines, taxSummary: try Self.summary(of: draft.lines, books: books),
                                                          net: draft.net, tax: draft.tax, gross: draft.gross),
                                 creditedInvoiceID: nil, reference: draft.reference, notes: draft.notes)
            return try await sales.issue([new], books: books, by: actor)[0]
        }
    }

    // MARK: Issuing

    /// Numbers, posts and stores invoices and credit notes inside the caller's transaction: one number reservation
    /// per series and year, one ledger batch, one insert per 200 documents, one audit write, and the events.
    func issue(_ documents: [NewInvoice], books: Books, by actor: Principal) async throws -> [Invoice] {
        precondition(db.inTransaction, "documents are issued inside a write transaction")
        guard !documents.isEmpty else { return [] }
        var numbers = [String?](repeating: nil, count: documents.count)
        var groups: [String: [Int]] = [:]
        for (index, document) in documents.enumerated() {
            groups["\(document.kind == .invoice ? "INV" : "CN")|\(document.issueDate.year)", default: []].append(index)
        }
        for (key, members) in groups.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|")
            let series = String(parts[0]), year = Int(parts[1])!
            let first = try await DocumentNumbers.reserve(series, year: year, count: members.count, on: db)
            for (offset, index) in members.enumerated() {
                numbers[index] = DocumentNumbers.format(series: series, year: year, value: first + Int64(offset))
            }
        }
        let entries = documents.enumerated().map { index, document in
            SalesPostings.document(kind: document.kind, number: numbers[index]!, customer: document.customer.code,
                                   date: document.issueDate, dueDate: document.dueDate, currency: document.currency,
                                   lines: document.amounts.lines, taxSummary: document.amounts.taxSummary,
                                   gross: document.amounts.gross, accounts: books.postingAccounts)
        }
        let posted: [PostingResult]
        do {
            posted = try await ledger.post(batch: entries, by: Self.poster(actor))
        } catch let error as DomainError where error.code == "ledger.batch.invalid" && documents.count == 1 && !error.items.isEmpty {
            let first = error.items[0]
            throw DomainError(error.kind, first.code, first.message, field: first.field,
                              items: error.items.map { .init(field: $0.field, code: $0.code, message: $0.message) })
        }
        try await insert(documents, numbers: numbers, entries: posted, by: actor)
        let rows = try await db.sql.select().column("*").from("sales_invoices")
            .where("id", .in, SQLBind.group(documents.map(\.id))).orderBy("number").all()
        let issued = try await SalesRows.invoices(rows, on: db)
        try await context.audit(db, actor, try issued.map {
            try AuditChain.Entry(action: $0.kind == .invoice ? "sales.invoice.issue" : "sales.credit_note.issue",
                                 entity: "sales_invoice", entityID: $0.id, before: nil as Invoice?, after: $0)
        })
        for invoice in issued {
            try await context.publish(invoice.kind == .invoice ? "invoice.issued" : "credit_note.issued",
                                      InvoiceEvent(invoice), on: db)
        }
        return issued
    }

    /// Inserts documents (issued when they have a number and an entry, else drafts) with their lines.
    func insert(_ documents: [NewInvoice], numbers: [String?], entries: [PostingResult?], by actor: Principal) async throws {
        let now = RFC3339.format(context.clock.now())
        let columns = ["id", "number", "kind", "status", "customer_id", "customer_code", "customer_name", "customer_address",
                       "customer_tax_id", "order_id", "period_no", "period_start", "period_end", "currency", "issue_date",
                       "due_date", "payment_terms", "net", "tax", "gross", "allocated", "credited_invoice_id", "entry_id",
                       "entry_number", "reference", "notes", "tax_summary", "created_by", "created_at", "updated_at"]
        for start in stride(from: 0, to: documents.count, by: 200) {
            var insert = db.sql.insert(into: "sales_invoices").columns(columns)
            for index in start..<min(start + 200, documents.count) {
                let document = documents[index]
                let customer = document.customer
                let address = ([customer.billingAddress.lines.joined(separator: "\n")].first { !$0.isEmpty })
                let values: [any Encodable & Sendable] = [
                    document.id, numbers[index], document.kind.rawValue,
                    (numbers[index] == nil ? Invoice.Status.draft : .issued).rawValue,
                    UUID(uuidString: customer.id)!, customer.code, customer.name, address, customer.taxID,
                    document.orderID.flatMap(UUID.init(uuidString:)), document.period?.number,
                    document.period?.start.description, document.period?.end.description, document.currency.code,
                    document.issueDate.description, document.dueDate.description, document.paymentTerms,
                    document.amounts.net, document.amounts.tax, document.amounts.gross, Int64(0),
                    document.creditedInvoiceID.flatMap(UUID.init(uuidString:)), entries[index]?.id,
                    entries[index]?.number, document.reference, document.notes,
                    try SalesRows.json(document.amounts.taxSummary),
                    actor.username, now, now,
                ]
                insert = insert.values(values.map { SQLBind($0) })
            }
            try await insert.run()
        }
        var lines: [DocumentLine] = [], owners: [UUID] = []
        for document in documents {
            lines += document.amounts.lines
            owners += Array(repeating: document.id, count: document.amounts.lines.count)
        }
        try await SalesRows.insertLines(lines, of: owners, on: db)
    }

    // MARK: Credit notes

    /// Issues a credit note against an issued invoice: all of it, or chosen lines (part of a quantity, or an amount
    /// including tax). It is set against what is still open on the invoice; any rest is customer credit.
    public func creditNote(for reference: String, _ input: CreditNoteInput, by actor: Principal) async throws -> Invoice {
        try Self.requireWrite(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let sales = service.on(tx)
            let invoice = try await sales.findInvoice(reference)
            guard invoice.kind == .invoice, invoice.status == .issued, let number = invoice.number else {
                throw DomainError.conflict("sales.credit_note.invoice_not_issued",
                                           "Only an issued invoice is credited; correct a draft by changing it")
            }
            let books = try await sales.books()
            let date = try input.date.map { text throws(DomainError) in try CivilDate.parse(text, field: "date") }
                ?? books.company.today(sales.context.clock)
            guard date >= invoice.issueDate else {
                throw DomainError.invalid("sales.credit_note.date_before_invoice",
                                          "A credit note is dated on or after its invoice (\(invoice.issueDate))", field: "date")
            }
            var lines: [DocumentLine] = []
            if let chosen = input.lines, !chosen.isEmpty {
                for (index, choice) in chosen.enumerated() {
                    guard let line = invoice.lines.first(where: { $0.lineNo == choice.line }) else {
                        throw DomainError.invalid("sales.credit_note.line_unknown", "Invoice \(number) has no line \(choice.line)",
                                                  field: "lines[\(index)].line")
                    }
                    let code = line.taxCode.isEmpty ? nil : books.taxCodes[line.taxCode]
                    if let amountText = choice.amount {
                        let amount = try Money.parse(amountText, currency: invoice.currency, field: "lines[\(index)].amount")
                        guard amount.minorUnits > 0, amount.minorUnits <= line.gross else {
                            throw DomainError.invalid("sales.credit_note.amount_invalid",
                                                      "Line \(choice.line): credit more than 0 and at most the line's "
                                                      + Money(minorUnits: line.gross, currency: invoice.currency).decimalString,
                                                      field: "lines[\(index)].amount")
                        }
                        lines.append(try DocumentRules.creditOf(gross: amount.minorUnits, on: line, taxCode: code,
                                                                currency: invoice.currency))
                    } else {
                        let quantity = try choice.quantity.map { text throws(DomainError) in
                            try Decimals.parse(text, field: "lines[\(index)].quantity") } ?? line.quantity
                        guard quantity > 0, quantity <= line.quantity else {
                            throw DomainError.invalid("sales.credit_note.quantity_invalid",
                                                      "Line \(choice.line): credit a quantity more than 0 and at most \(line.quantity)",
                                                      field: "lines[\(index)].quantity")
                        }
                        let priced = PricedLine(sku: line.sku, description: line.description, quantity: quantity,
                                                unitPrice: line.unitPrice, taxCode: code, account: line.account,
                                                dimensions: line.dimensions)
                        let single = try DocumentRules.amounts([priced], currency: invoice.currency, rounding: .line).lines[0]
                        lines.append(quantity == line.quantity ? line : single)
                    }
                }
            } else {
                lines = invoice.lines
            }
            return try await sales.issueCreditNote(against: invoice, lines: lines, date: date, books: books,
                                                   reason: try Self.optionalText(input.reason, field: "reason", max: 2000),
                                                   by: actor)
        }
    }

    /// Issues a credit note of `lines` against an issued invoice, inside the caller's transaction, and sets it against
    /// what is open on the invoice. Refused when the invoice's credit notes would come to more than the invoice.
    func issueCreditNote(against invoice: Invoice, lines given: [DocumentLine], date: CivilDate, books: Books,
                         reason: String?, by actor: Principal) async throws -> Invoice {
        precondition(db.inTransaction, "a credit note is issued inside a write transaction")
        let number = invoice.number ?? invoice.id
        let lines = given.enumerated().map { index, line in
            DocumentLine(lineNo: index + 1, sku: line.sku, description: line.description, quantity: line.quantity,
                         unitPrice: line.unitPrice, taxCode: line.taxCode, account: line.account,
                         dimensions: line.dimensions, net: line.net, tax: line.tax, gross: line.gross)
        }
        let gross = lines.reduce(0) { $0 + $1.gross }
        let credited = try await creditNotes(of: invoice).reduce(0) { $0 + $1.gross }
        guard credited + gross <= invoice.gross else {
            throw DomainError.invalid("sales.credit_note.exceeds_invoice", "Invoice \(number) was for "
                                      + Money(minorUnits: invoice.gross, currency: invoice.currency).decimalString
                                      + " and " + Money(minorUnits: credited, currency: invoice.currency).decimalString
                                      + " is already credited", field: "lines")
        }
        let customer = try await parties.partner(invoice.customerID, by: .system)
        let amounts = DocumentAmounts(lines: lines, taxSummary: try Self.summary(of: lines, books: books),
                                      net: lines.reduce(0) { $0 + $1.net }, tax: lines.reduce(0) { $0 + $1.tax },
                                      gross: gross)
        let note = NewInvoice(id: UUID.v7(), kind: .creditNote, customer: customer, orderID: nil, period: nil,
                              currency: invoice.currency, issueDate: date, dueDate: date,
                              paymentTerms: invoice.paymentTerms, amounts: amounts, creditedInvoiceID: invoice.id,
                              reference: number, notes: reason)
        let issued = try await issue([note], books: books, by: actor)[0]
        let open = try await findInvoice(invoice.id).open
        let use = min(issued.gross, open)
        if use > 0 {
            try await allocate([.init(target: .invoice, targetID: invoice.id, source: .creditNote,
                                      sourceID: issued.id, amount: use)],
                               customerID: invoice.customerID, currency: invoice.currency, date: date, by: actor)
        }
        return try await findInvoice(issued.id)
    }
}

/// The payload of `invoice.issued`, `invoice.paid` and `credit_note.issued`.
struct InvoiceEvent: Codable, Sendable {
    let id: String
    let number: String?
    let kind: String
    let customer: String
    let currency: String
    let gross: String
    let open: String
    let issueDate: String
    let dueDate: String
    let order: String?

    init(_ invoice: Invoice) {
        id = invoice.id
        number = invoice.number
        kind = invoice.kind.rawValue
        customer = invoice.customerCode
        currency = invoice.currency.code
        gross = Money(minorUnits: invoice.gross, currency: invoice.currency).decimalString
        open = Money(minorUnits: invoice.open, currency: invoice.currency).decimalString
        issueDate = invoice.issueDate.description
        dueDate = invoice.dueDate.description
        order = invoice.orderNumber
    }
}
