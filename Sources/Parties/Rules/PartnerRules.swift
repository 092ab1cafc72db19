import Kernel

/// Checks a partner as given and brings every field to its stored form. Every problem is reported, each with
/// its field, in one `parties.partner.invalid` error whose message is the first problem's.
public enum PartnerRules {
    public static let nameLengthMax = 200
    public static let codeLengthMax = 20
    public static let notesLengthMax = 4_000
    public static let contactsMax = 50
    public static let textLengthMax = 200

    /// A partner's fields in their stored form.
    public struct Valid: Sendable, Equatable {
        public var code: String?
        public var name: String
        public var isCustomer: Bool
        public var isVendor: Bool
        public var taxID: String?
        public var email: String?
        public var phone: String?
        public var currency: Currency?
        public var paymentTerms: PaymentTerms
        public var creditLimit: Int64?
        public var billingAddress: Address
        public var shippingAddress: Address
        public var iban: String?
        public var bic: String?
        public var notes: String?
        public var contacts: [Contact]
    }

    public static func validate(_ input: PartnerInput) throws(DomainError) -> Valid {
        var problems: [DomainError.Item] = []
        func check<T>(_ field: String, _ work: () throws(DomainError) -> T?) -> T? {
            do { return try work() } catch {
                problems.append(.init(field: error.field ?? field, code: error.code, message: error.message))
                return nil
            }
        }
        func fail(_ field: String, _ code: String, _ message: String) {
            problems.append(.init(field: field, code: code, message: message))
        }
        let name = String(input.name.trimmed)
        if name.isEmpty || name.count > nameLengthMax {
            fail("name", "parties.partner.name_invalid", "A partner has a name of 1 to \(nameLengthMax) characters")
        }
        let code = input.code.nonBlank
        if let code, code.count > codeLengthMax || !code.unicodeScalars.allSatisfy({
            $0.isASCIIAlphanumeric || "-_.".unicodeScalars.contains($0) }) {
            fail("code", "parties.partner.code_invalid",
                 "A code has 1 to \(codeLengthMax) letters, digits, dashes, dots or underscores")
        }
        if !input.isCustomer && !input.isVendor {
            fail("isCustomer", "parties.partner.role_missing", "A partner is a customer, a vendor, or both")
        }
        let taxID = check("taxId") { () throws(DomainError) -> String? in
            guard let text = input.taxID.nonBlank else { return nil }
            return try TaxID.normalize(text)
        }
        let email = input.email.nonBlank
        if let email, !EmailAddress.isPlausible(email) {
            fail("email", "parties.partner.email_invalid", "'\(email)' is not an email address")
        }
        let phone = input.phone.nonBlank
        if let phone, phone.count > 40 { fail("phone", "parties.partner.phone_invalid", "A phone number has at most 40 characters") }
        var currency: Currency?
        if let text = input.currency.nonBlank {
            currency = Currency(code: text.uppercased())
            if currency == nil { fail("currency", "parties.partner.currency_unknown", "'\(text)' is not an ISO 4217 currency") }
        }
        let terms = check("paymentTerms") { () throws(DomainError) -> PaymentTerms? in
            guard let text = input.paymentTerms.nonBlank else { return .net30 }
            return try PaymentTerms.parse(text)
        }
        var creditLimit: Int64?
        if let text = input.creditLimit.nonBlank {
            if let currency {
                creditLimit = check("creditLimit") { () throws(DomainError) -> Int64? in
                    let money = try Money.parse(text, currency: currency, field: "creditLimit")
                    guard money.minorUnits >= 0 else {
                        throw .invalid("parties.partner.credit_limit_negative", "A credit limit is 0 or more",
                                       field: "creditLimit")
                    }
                    return money.minorUnits
                }
            } else if input.currency.nonBlank == nil {
                fail("creditLimit", "parties.partner.credit_limit_currency",
                     "A credit limit is in the partner's currency: set the currency too")
            }
        }
        let billing = Address.validated(input.billingAddress, field: "billingAddress", &problems)
        let shipping = Address.validated(input.shippingAddress, field: "shippingAddress", &problems)
        let iban = check("iban") { () throws(DomainError) -> String? in
            guard let text = input.iban.nonBlank else { return nil }
            return try IBAN.normalize(text)
        }
        let bic = check("bic") { () throws(DomainError) -> String? in
            guard let text = input.bic.nonBlank else { return nil }
            return try BIC.normalize(text)
        }
        let notes = input.notes.nonBlank
        if let notes, notes.count > notesLengthMax {
            fail("notes", "parties.partner.notes_too_long", "Notes have at most \(notesLengthMax) characters")
        }
        let contacts = Self.contacts(input.contacts ?? [], &problems)
        guard problems.isEmpty else {
            throw DomainError(.invalid, "parties.partner.invalid", problems[0].message, field: problems[0].field,
                              items: problems)
        }
        return Valid(code: code, name: name, isCustomer: input.isCustomer, isVendor: input.isVendor, taxID: taxID,
                     email: email, phone: phone, currency: currency, paymentTerms: terms ?? .net30,
                     creditLimit: creditLimit, billingAddress: billing, shippingAddress: shipping, iban: iban,
                     bic: bic, notes: notes, contacts: contacts)
    }

    static func contacts(_ given: [Contact], _ problems: inout [DomainError.Item]) -> [Contact] {
        if given.count > contactsMax {
            problems.append(.init(field: "contacts", code: "parties.contact.too_many",
                                  message: "A partner has at most \(contactsMax) contacts"))
        }
        return given.prefix(contactsMax).enumerated().map { index, contact in
            let name = String(contact.name.trimmed)
            if name.isEmpty || name.count > textLengthMax {
                problems.append(.init(index: index, field: "contacts[\(index)].name", code: "parties.contact.name_invalid",
                                      message: "Contact \(index + 1) needs a name of 1 to \(textLengthMax) characters"))
            }
            let email = contact.email.nonBlank
            if let email, !EmailAddress.isPlausible(email) {
                problems.append(.init(index: index, field: "contacts[\(index)].email", code: "parties.contact.email_invalid",
                                      message: "Contact \(index + 1): '\(email)' is not an email address"))
            }
            return Contact(name: name, email: email, phone: contact.phone.nonBlank, role: contact.role.nonBlank)
        }
    }
}

