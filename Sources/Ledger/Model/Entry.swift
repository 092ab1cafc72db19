import Foundation
import Kernel

/// One line of an entry as proposed by a person, an area, an import or the API.
public struct ProposedLine: Sendable, Codable, Equatable {
    /// The account, by code ("1010") or full name ("Assets:Current Assets:Bank").
    public var account: String
    /// Exactly one of debit and credit, positive, in `currency`.
    public var debit: Int64?
    public var credit: Int64?
    public var currency: Currency
    /// Units of functional currency per unit of `currency` ("0.92"); required for foreign-currency lines unless
    /// `functionalAmount` is given or a rate is on file for the date.
    public var rate: Decimal?
    /// The amount in functional currency (minor units, positive) when the caller fixed it (imports, `@@` prices).
    public var functionalAmount: Int64?
    public var memo: String?
    public var partner: String?
    public var dueDate: CivilDate?
    public var dimensions: [String: String]

    public init(account: String, debit: Int64? = nil, credit: Int64? = nil, currency: Currency, rate: Decimal? = nil,
                functionalAmount: Int64? = nil, memo: String? = nil, partner: String? = nil, dueDate: CivilDate? = nil,
                dimensions: [String: String] = [:]) {
        self.account = account
        self.debit = debit
        self.credit = credit
        self.currency = currency
        self.rate = rate
        self.functionalAmount = functionalAmount
        self.memo = memo
        self.partner = partner
        self.dueDate = dueDate
        self.dimensions = dimensions
    }
}

/// An entry some area hands the ledger. Only the Ledger writes ledger rows.
public struct ProposedEntry: Sendable, Codable, Equatable {
    public var journal: String
    public var date: CivilDate
    public var memo: String
    public var lines: [ProposedLine]
    /// The same key with the same content returns the first posting; with other content it is a conflict.
    public var idempotencyKey: String?

    public init(journal: String = "GEN", date: CivilDate, memo: String, lines: [ProposedLine],
                idempotencyKey: String? = nil) {
        self.journal = journal
        self.date = date
        self.memo = memo
        self.lines = lines
        self.idempotencyKey = idempotencyKey
    }
}

/// A posted entry.
public struct PostedEntry: Sendable, Codable, Equatable {
    public struct Line: Sendable, Codable, Equatable {
        public let account: Account
        public let debit: Int64
        public let credit: Int64
        public let currency: Currency
        public let functionalDebit: Int64
        public let functionalCredit: Int64
        public let rate: String
        public let memo: String?
        public let partner: String?
        public let dueDate: CivilDate?
        public let dimensions: [String: String]
    }

    public let id: String
    public let number: String
    public let journal: String
    public let date: CivilDate
    public let memo: String
    public let lines: [Line]
    public let reversalOf: String?
    public let reversedBy: String?
    public let createdBy: String
}
