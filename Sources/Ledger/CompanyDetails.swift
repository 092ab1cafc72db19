import Fluent
import Foundation
import Kernel
import Platform

/// What a document must say about the company beyond its name: the address, the VAT and register numbers, and
/// where customers pay. Printed invoices and e-invoices (EN 16931 needs the seller's country and VAT id) read it.
public struct CompanyDetails: Sendable, Codable, Equatable {
    public var address: Address
    /// The VAT identification number (EN 16931 BT-31), compact ("DE123456789").
    public var taxID: String?
    /// The commercial register number (BT-30), as written ("HRB 12345, Amtsgericht Berlin").
    public var registrationID: String?
    public var iban: String?
    public var bic: String?
    public var email: String?
    public var phone: String?

    public init(address: Address = Address(), taxID: String? = nil, registrationID: String? = nil, iban: String? = nil,
                bic: String? = nil, email: String? = nil, phone: String? = nil) {
        self.address = address
        self.taxID = taxID
        self.registrationID = registrationID
        self.iban = iban
        self.bic = bic
        self.email = email
        self.phone = phone
    }

    /// The details in their stored form, or one `ledger.company.details_invalid` error listing every bad field.
    public static func validated(_ given: CompanyDetails) throws(DomainError) -> CompanyDetails {
        var problems: [DomainError.Item] = []
        func check(_ field: String, _ text: String?,
                   _ normalize: (String) throws(DomainError) -> String) -> String? {
            guard let text = text.nonBlank else { return nil }
            do { return try normalize(text) } catch {
                problems.append(.init(field: field, code: error.code, message: error.message))
                return nil
            }
        }
        let address = Address.validated(given.address, field: "address", &problems)
        let taxID = check("taxId", given.taxID) { text throws(DomainError) in try TaxID.normalize(text) }
        let iban = check("iban", given.iban) { text throws(DomainError) in try IBAN.normalize(text) }
        let bic = check("bic", given.bic) { text throws(DomainError) in try BIC.normalize(text) }
        let registration = given.registrationID.nonBlank
        if let registration, registration.count > Address.lineLengthMax {
            problems.append(.init(field: "registrationId", code: "ledger.company.registration_too_long",
                                  message: "A register number has at most \(Address.lineLengthMax) characters"))
        }
        let email = given.email.nonBlank
        if let email, !EmailAddress.isPlausible(email) {
            problems.append(.init(field: "email", code: "ledger.company.email_invalid",
                                  message: "'\(email)' is not an email address"))
        }
        let phone = given.phone.nonBlank
        if let phone, phone.count > 40 {
            problems.append(.init(field: "phone", code: "ledger.company.phone_invalid",
                                  message: "A phone number has at most 40 characters"))
        }
        if let first = problems.first {
            throw DomainError(.invalid, "ledger.company.details_invalid", first.message, field: first.field,
                              items: problems)
        }
        return CompanyDetails(address: address, taxID: taxID, registrationID: registration, iban: iban, bic: bic,
                              email: email, phone: phone)
    }

    enum CodingKeys: String, CodingKey {
        case address, taxID = "taxId", registrationID = "registrationId", iban, bic, email, phone
    }
}

extension LedgerService {
    static let companyDetailsSetting = "company.details"

    /// The company's details; empty until someone fills them in.
    public func companyDetails() async throws -> CompanyDetails {
        guard let text = try await Settings.get(Self.companyDetailsSetting, on: db) else { return CompanyDetails() }
        return (try? JSONDecoder().decode(CompanyDetails.self, from: Data(text.utf8))) ?? CompanyDetails()
    }

    /// Replaces the company's details (all fields at once, as a form sends them). Audited.
    @discardableResult
    public func setCompanyDetails(_ given: CompanyDetails, by actor: Principal) async throws -> CompanyDetails {
        try require(actor, Permission("settings", .admin))
        _ = try await requireCompany()
        let details = try CompanyDetails.validated(given)
        let text = try AuditChain.canonicalJSON(details) ?? "{}"
        try await writeTransaction(db) { tx in
            let before = try await LedgerService(db: tx, context: context).companyDetails()
            try await Settings.set(Self.companyDetailsSetting, text, on: tx)
            try await context.audit(tx, actor, "ledger.company.details", entity: "company", id: "1",
                                    before: before, after: details)
        }
        return details
    }
}
