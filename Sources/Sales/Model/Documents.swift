import Foundation
import Kernel

/// How an order is billed: once, or every month, quarter or year from a start date, for a number of periods or
/// until the order is cancelled, in advance (on each period's first day) or in arrears (the day after it ends).
public struct BillingPlan: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case once, recurring }
    public enum Interval: String, Sendable, Codable, CaseIterable {
        case month, quarter, year
        public var months: Int {
            switch self {
            case .month: 1
            case .quarter: 3
            case .year: 12
            }
        }
    }
    public enum Timing: String, Sendable, Codable, CaseIterable { case advance, arrears }

    public let kind: Kind
    public let interval: Interval
    public let start: CivilDate
    /// How many periods are billed; nil bills until the order is cancelled. Always 1 for `once`.
    public let periods: Int?
    public let timing: Timing

    public init(kind: Kind, interval: Interval = .month, start: CivilDate, periods: Int?, timing: Timing = .advance) {
        self.kind = kind
        self.interval = interval
        self.start = start
        self.periods = kind == .once ? 1 : periods
        self.timing = kind == .once ? .advance : timing
    }

    public static func once(on date: CivilDate) -> BillingPlan { BillingPlan(kind: .once, start: date, periods: 1) }
}

/// One billing period of an order: what it covers and the day its invoice is issued.
public struct BillingPeriod: Sendable, Codable, Equatable {
    /// 1 for the first period.
    public let number: Int
    public let start: CivilDate
    public let end: CivilDate
    public let issueDate: CivilDate
}

/// An order line as the front office or a person gives it.
public struct OrderLineInput: Sendable, Codable, Equatable {
    /// A product by SKU or id; its name, unit price, income account and tax code fill what the line leaves out.
    public var product: String?
    public var description: String?
    /// Decimal text ("1", "2.5"); 1 when absent.
    public var quantity: String?
    /// Decimal text in the order's currency, tax excluded or included as the tax code says.
    public var unitPrice: String?
    public var taxCode: String?
    /// An income account by code or full name.
    public var account: String?
    public var dimensions: [String: String]?

    public init(product: String? = nil, description: String? = nil, quantity: String? = nil, unitPrice: String? = nil,
                taxCode: String? = nil, account: String? = nil, dimensions: [String: String]? = nil) {
        self.product = product
        self.description = description
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.taxCode = taxCode
        self.account = account
        self.dimensions = dimensions
    }
}

/// The billing plan as text, the way JSON and forms carry it.
public struct BillingPlanInput: Sendable, Codable, Equatable {
    public var kind: String?
    public var interval: String?
    public var start: String?
    public var periods: Int?
    public var timing: String?

    public init(kind: String? = nil, interval: String? = nil, start: String? = nil, periods: Int? = nil,
                timing: String? = nil) {
        self.kind = kind
        self.interval = interval
        self.start = start
        self.periods = periods
        self.timing = timing
    }
}

/// An order as the front office sends it: an existing customer (id or code) or a new one, the lines, and how it
/// is billed.
public struct OrderInput: Sendable, Codable, Equatable {
    public var customer: String?
    /// A new customer's record, created with the order when `customer` is absent.
    public var newCustomer: NewCustomer?
    public var currency: String?
    public var orderDate: String?
    public var paymentTerms: String?
    /// The front office's own reference (contract number, CRM deal).
    public var reference: String?
    public var notes: String?
    public var billing: BillingPlanInput?
    public var lines: [OrderLineInput]
    /// Confirms the order at once (a signed contract).
    public var confirm: Bool?

    public struct NewCustomer: Sendable, Codable, Equatable {
        public var name: String
        public var code: String?
        public var email: String?
        public var taxID: String?
        public var currency: String?
        public var paymentTerms: String?
        public var country: String?

        public init(name: String, code: String? = nil, email: String? = nil, taxID: String? = nil,
                    currency: String? = nil, paymentTerms: String? = nil, country: String? = nil) {
            self.name = name
            self.code = code
            self.email = email
            self.taxID = taxID
            self.currency = currency
            self.paymentTerms = paymentTerms
            self.country = country
        }
    }

    public init(customer: String? = nil, newCustomer: NewCustomer? = nil, currency: String? = nil,
                orderDate: String? = nil, paymentTerms: String? = nil, reference: String? = nil, notes: String? = nil,
                billing: BillingPlanInput? = nil, lines: [OrderLineInput], confirm: Bool? = nil) {
        self.customer = customer
        self.newCustomer = newCustomer
        self.currency = currency
        self.orderDate = orderDate
        self.paymentTerms = paymentTerms
        self.reference = reference
        self.notes = notes
        self.billing = billing
        self.lines = lines
        self.confirm = confirm
    }
}

/// A document line with its amounts (orders: per billing period; invoices and credit notes: as issued).
public struct DocumentLine: Sendable, Codable, Equatable {
    public let lineNo: Int
    public let sku: String?
    public let description: String
    public let quantity: Decimal
    public let unitPrice: Decimal
    /// Empty when the line carries no tax.
    public let taxCode: String
    /// The income account's code.
    public let account: String
    public let dimensions: [String: String]
    public let net: Int64
    public let tax: Int64
    public let gross: Int64
}

/// Tax per code on a document, with the legal note zero-rated, exempt and reverse-charge codes print.
public struct TaxSummaryLine: Sendable, Codable, Equatable {
    public let taxCode: String
    public let rate: Decimal
    public let base: Int64
    public let tax: Int64
    public let note: String?
}

public struct Order: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable { case draft, confirmed, cancelled, completed }

    public let id: String
    public let number: String
    public let status: Status
    public let customerID: String
    public let customerCode: String
    public let customerName: String
    public let currency: Currency
    public let orderDate: CivilDate
    public let paymentTerms: String
    public let reference: String?
    public let notes: String?
    public let billing: BillingPlan
    /// Periods invoiced so far.
    public let billedPeriods: Int
    /// Set when cancelled: no period starting on or after this day is billed.
    public let endsOn: CivilDate?
    public let lines: [DocumentLine]
    /// Per billing period.
    public let net: Int64
    public let tax: Int64
    public let gross: Int64
    public let createdBy: String
    public let createdAt: String
    public let updatedAt: String
}

public struct Invoice: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case invoice
        case creditNote = "credit_note"
    }
    public enum Status: String, Sendable, Codable, CaseIterable { case draft, issued }

    public let id: String
    /// Given when issued (INV-2026-000001, CN-2026-000001).
    public let number: String?
    public let kind: Kind
    public let status: Status
    public let customerID: String
    public let customerCode: String
    public let customerName: String
    public let orderID: String?
    public let orderNumber: String?
    public let period: BillingPeriod?
    public let currency: Currency
    public let issueDate: CivilDate
    public let dueDate: CivilDate
    public let paymentTerms: String
    public let net: Int64
    public let tax: Int64
    public let gross: Int64
    /// Receipts and credit notes allocated to this invoice, or (for a credit note) the part of it used on invoices.
    public let allocated: Int64
    /// A credit note's invoice.
    public let creditedInvoiceID: String?
    public let creditedInvoiceNumber: String?
    public let entryNumber: String?
    public let reference: String?
    public let notes: String?
    public let lines: [DocumentLine]
    public let taxSummary: [TaxSummaryLine]
    public let createdBy: String
    public let createdAt: String

    /// What is still owed on an invoice, or still to be used of a credit note.
    public var open: Int64 { gross - allocated }

    /// draft, paid, partially_paid, overdue or open for invoices; draft, used or open for credit notes.
    public func state(today: CivilDate) -> String {
        if status == .draft { return "draft" }
        if kind == .creditNote { return open == 0 ? "used" : "open" }
        if open == 0 { return "paid" }
        if dueDate < today { return "overdue" }
        return allocated > 0 ? "partially_paid" : "open"
    }
}

public struct Receipt: Sendable, Codable, Equatable {
    public enum Method: String, Sendable, Codable, CaseIterable { case bank, cash, card }
    public enum Kind: String, Sendable, Codable, CaseIterable { case receipt, refund }

    public let id: String
    public let number: String
    /// A refund pays customer credit back; it takes from the receipts' unused amounts.
    public let kind: Kind
    public let customerID: String
    public let customerCode: String
    public let customerName: String
    public let date: CivilDate
    public let amount: Int64
    public let currency: Currency
    public let method: Method
    /// The bank or cash account's code.
    public let account: String
    public let reference: String?
    /// The part allocated to invoices (receipts) or taken from credit (refunds).
    public let allocated: Int64
    public let entryNumber: String
    public let createdBy: String
    public let createdAt: String

    public var unallocated: Int64 { amount - allocated }
}

/// A receipt's or credit note's amount set against an invoice (or, for a refund, the credit the refund pays back).
/// Un-allocating writes a reversing allocation; nothing is edited.
public struct Allocation: Sendable, Codable, Equatable {
    public enum Source: String, Sendable, Codable { case receipt, creditNote = "credit_note" }
    public enum Target: String, Sendable, Codable { case invoice, refund }

    public let id: String
    public let target: Target
    public let targetID: String
    public let targetNumber: String
    public let source: Source
    public let sourceID: String
    public let sourceNumber: String
    public let date: CivilDate
    /// Negative for a reversal.
    public let amount: Int64
    public let currency: Currency
    public let reversalOf: String?
    public let reversedBy: String?
    public let createdBy: String
}
