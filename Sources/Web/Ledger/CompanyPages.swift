import Kernel
import Ledger
import Platform
import Plot
import Vapor

/// The company's page: what was set up once (name, currency, time zone, fiscal year) and the details documents
/// print, which an administrator keeps current.
enum CompanyPages {
    static func register(_ routes: any RoutesBuilder) {
        routes.get("admin", "company", use: show)
        routes.post("admin", "company", use: save)
    }

    struct DetailsForm: Content {
        var addressLine1: String?, addressLine2: String?, addressPostalCode: String?, addressCity: String?
        var addressRegion: String?, addressCountry: String?
        var taxId: String?
        var registrationId: String?
        var iban: String?
        var bic: String?
        var email: String?
        var phone: String?

        init() {}

        init(_ details: CompanyDetails) {
            let address = details.address
            (addressLine1, addressLine2, addressPostalCode, addressCity, addressRegion, addressCountry) =
                (address.line1, address.line2, address.postalCode, address.city, address.region, address.country)
            taxId = details.taxID
            registrationId = details.registrationID
            iban = details.iban.map(IBAN.printed)
            bic = details.bic
            email = details.email
            phone = details.phone
        }

        var details: CompanyDetails {
            CompanyDetails(address: Address(line1: addressLine1, line2: addressLine2, postalCode: addressPostalCode,
                                            city: addressCity, region: addressRegion, country: addressCountry),
                           taxID: taxId, registrationID: registrationId, iban: iban, bic: bic, email: email, phone: phone)
        }
    }

    @Sendable static func show(_ request: Request) async throws -> Response {
        let details = try await request.ledger.companyDetails()
        return try await render(request, form: DetailsForm(details), error: nil, notice: nil)
    }

    static func render(_ request: Request, form: DetailsForm, error: DomainError?, notice: String?,
                       status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        try require(principal, Permission("settings", .admin))
        guard let company = try await request.ledger.company() else {
            return Layout.page("Company", request, notice: notice,
                .section(.class("card"), .p(.text("The company is not set up yet. "),
                                            .a(.href("/ledger/setup"), .text("Set it up")), .text(" first."))))
        }
        // "address.city" is shown beside the input named "addressCity".
        let shown = error.map { error in
            FormError(field: error.field.map { field in
                field.hasPrefix("address.") ? "address" + field.dropFirst(8).prefix(1).uppercased() + field.dropFirst(9) : field
            }, message: error.message)
        }
        func field(_ label: String, _ name: String, _ value: String?, hint: String? = nil) -> Node<HTML.FormContext> {
            Layout.field(label, name: name, value: value ?? "", error: shown, hint: hint)
        }
        let facts: Node<HTML.BodyContext> = .section(.class("card"), .h2(.text(company.name)),
            .p(.text("Books in \(company.currency.code) · time zone \(company.timeZone) · fiscal year starts in month "
                     + "\(company.fiscalYearStartMonth)")),
            .p(.class("muted"), .text("These are fixed when the company is set up.")))
        let details: Node<HTML.BodyContext> = .section(.class("card"), .h2(.text("Details on documents")),
            .p(.class("muted"), .text("Invoices print these. EN 16931 e-invoices need the country and, when VAT is "
                                      + "charged or exempted, the VAT number.")),
            .form(.method(.post), .action("/admin/company"),
                Layout.csrfField(request),
                Layout.formError(shown, fields: ["addressLine1", "addressLine2", "addressPostalCode", "addressCity",
                                                 "addressRegion", "addressCountry", "taxId", "registrationId", "iban",
                                                 "bic", "email", "phone"]),
                Layout.address("address", "Address", [form.addressLine1, form.addressLine2, form.addressPostalCode,
                                                      form.addressCity, form.addressRegion, form.addressCountry],
                               error: shown),
                field("VAT number", "taxId", form.taxId, hint: "With its country prefix: DE123456789"),
                field("Register number", "registrationId", form.registrationId, hint: "As written: HRB 12345 B"),
                field("IBAN", "iban", form.iban, hint: "Printed on invoices as where to pay"),
                field("BIC", "bic", form.bic),
                field("Email", "email", form.email),
                field("Phone", "phone", form.phone),
                Layout.submit("Save details")))
        return Layout.page("Company", request, status: status, notice: notice, facts, details)
    }

    @Sendable static func save(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(DetailsForm.self)
        do {
            let saved = try await request.ledger.setCompanyDetails(form.details, by: principal)
            return try await render(request, form: DetailsForm(saved), error: nil, notice: "Company details saved.")
        } catch let error as DomainError where error.kind == .invalid {
            return try await render(request, form: form, error: error, notice: nil, status: .unprocessableEntity)
        }
    }
}
