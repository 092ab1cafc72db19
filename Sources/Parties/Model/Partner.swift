import Kernel

/// A person to talk to at a partner.
public struct Contact: Sendable, Codable, Equatable {
    public var name: String
    public var email: String?
    public var phone: String?
    public var role: String?

    public init(name: String, email: String? = nil, phone: String? = nil, role: String? = nil) {
        self.name = name
        self.email = email
        self.phone = phone
        self.role = role
    }
}

/// A customer, a vendor, or both: one record per company or person Keel does business with.
public struct Partner: Sendable, Codable, Equatable {
    public let id: String
    /// Short unique reference ("C-ACME"); given, or assigned as P-000001, P-000002, ...
    public let code: String
    /// The legal name, as invoices print it.
    public let name: String
    public let isCustomer: Bool
    public let isVendor: Bool
    /// Compact form (see `TaxID.normalize`).
    public let taxID: String?
    public let email: String?
    public let phone: String?
    /// Default currency of the partner's documents.
    public let currency: Currency?
    public let paymentTerms: PaymentTerms
    /// In minor units of `currency`.
    public let creditLimit: Int64?
    public let billingAddress: Address
    public let shippingAddress: Address
    /// Electronic form (see `IBAN.normalize`).
    public let iban: String?
    public let bic: String?
    public let notes: String?
    public let contacts: [Contact]
    public let archived: Bool
    public let createdAt: String
    public let updatedAt: String
}

/// What a person or the front office gives to create or change a partner; checked by `PartnerRules.validate`.
public struct PartnerInput: Sendable, Codable, Equatable {
    public var code: String?
    public var name: String
    public var isCustomer: Bool
    public var isVendor: Bool
    public var taxID: String?
    public var email: String?
    public var phone: String?
    public var currency: String?
    public var paymentTerms: String?
    /// A decimal string in `currency` ("5000.00").
    public var creditLimit: String?
    public var billingAddress: Address?
    public var shippingAddress: Address?
    public var iban: String?
    public var bic: String?
    public var notes: String?
    public var contacts: [Contact]?

    public init(code: String? = nil, name: String, isCustomer: Bool = true, isVendor: Bool = false,
                taxID: String? = nil, email: String? = nil, phone: String? = nil, currency: String? = nil,
                paymentTerms: String? = nil, creditLimit: String? = nil, billingAddress: Address? = nil,
                shippingAddress: Address? = nil, iban: String? = nil, bic: String? = nil, notes: String? = nil,
                contacts: [Contact]? = nil) {
        self.code = code
        self.name = name
        self.isCustomer = isCustomer
        self.isVendor = isVendor
        self.taxID = taxID
        self.email = email
        self.phone = phone
        self.currency = currency
        self.paymentTerms = paymentTerms
        self.creditLimit = creditLimit
        self.billingAddress = billingAddress
        self.shippingAddress = shippingAddress
        self.iban = iban
        self.bic = bic
        self.notes = notes
        self.contacts = contacts
    }
}

extension PartnerInput {
    /// A partner's fields as input again, so a change can start from what is stored (contacts are left out: an
    /// update without contacts keeps them).
    public init(_ partner: Partner) {
        self.init(code: partner.code, name: partner.name, isCustomer: partner.isCustomer, isVendor: partner.isVendor,
                  taxID: partner.taxID, email: partner.email, phone: partner.phone, currency: partner.currency?.code,
                  paymentTerms: partner.paymentTerms.description, creditLimit: partner.creditLimitText,
                  billingAddress: partner.billingAddress, shippingAddress: partner.shippingAddress, iban: partner.iban,
                  bic: partner.bic, notes: partner.notes, contacts: nil)
    }
}

extension Partner {
    /// The credit limit as a plain decimal in the partner's currency ("5000.00"), as the API, CSV and form show it.
    public var creditLimitText: String? {
        guard let creditLimit, let currency else { return nil }
        return Money(minorUnits: creditLimit, currency: currency).decimalString
    }
}
