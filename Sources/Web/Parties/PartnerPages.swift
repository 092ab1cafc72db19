import Kernel
import Parties
import Platform
import Plot
import Vapor

/// Customers and vendors: the list (search, filter, sort, pages, CSV export and import), the form and the detail.
enum PartnerPages {
    static let pageSize = 50

    static func register(_ routes: any RoutesBuilder) {
        routes.get("partners", use: list)
        routes.get("partners.csv", use: exportCSV)
        routes.post("partners", "import", use: importCSV)
        routes.get("partners", "new", use: newForm)
        routes.post("partners", use: create)
        routes.get("partners", ":code", use: detail)
        routes.post("partners", ":code", use: update)
        routes.post("partners", ":code", "archive", use: archive)
        routes.post("partners", ":code", "restore", use: restore)
        routes.post("partners", ":code", "merge", use: merge)
    }

    struct ListQuery: Content {
        var q: String?
        var role: String?
        var archived: String?
        var sort: String?
        var page: Int?

        func filter(limit: Int) -> PartiesService.Filter {
            PartiesService.Filter(search: q, role: role.flatMap(PartiesService.Filter.Role.init(rawValue:)),
                                  includeArchived: archived == "on", sort: sort.flatMap(PartiesService.Filter.Sort.init(rawValue:)) ?? .name,
                                  limit: limit, offset: max(page ?? 0, 0) * limit)
        }
    }

    /// The form's flat fields; addresses and contacts are folded in and out of `PartnerInput` here.
    struct PartnerForm: Content {
        var code: String?
        var name: String?
        var isCustomer: String?
        var isVendor: String?
        var taxId: String?
        var email: String?
        var phone: String?
        var currency: String?
        var paymentTerms: String?
        var creditLimit: String?
        var billingLine1: String?, billingLine2: String?, billingPostalCode: String?, billingCity: String?
        var billingRegion: String?, billingCountry: String?
        var shippingLine1: String?, shippingLine2: String?, shippingPostalCode: String?, shippingCity: String?
        var shippingRegion: String?, shippingCountry: String?
        var iban: String?
        var bic: String?
        var notes: String?
        /// One contact per line: name; email; phone; role.
        var contacts: String?

        var input: PartnerInput {
            PartnerInput(
                code: code, name: name ?? "", isCustomer: isCustomer == "on", isVendor: isVendor == "on", taxID: taxId,
                email: email, phone: phone, currency: currency, paymentTerms: paymentTerms, creditLimit: creditLimit,
                billingAddress: Address(line1: billingLine1, line2: billingLine2, postalCode: billingPostalCode,
                                        city: billingCity, region: billingRegion, country: billingCountry),
                shippingAddress: Address(line1: shippingLine1, line2: shippingLine2, postalCode: shippingPostalCode,
                                         city: shippingCity, region: shippingRegion, country: shippingCountry),
                iban: iban, bic: bic, notes: notes,
                contacts: (contacts ?? "").split(whereSeparator: \.isNewline).compactMap { line in
                    let parts = line.split(separator: ";", omittingEmptySubsequences: false)
                        .map { String($0.trimmed) }
                    guard parts.contains(where: { !$0.isEmpty }) else { return nil }
                    func part(_ index: Int) -> String? { index < parts.count && !parts[index].isEmpty ? parts[index] : nil }
                    return Contact(name: parts[0], email: part(1), phone: part(2), role: part(3))
                })
        }

        init() { isCustomer = "on" }

        init(_ partner: Partner) {
            code = partner.code
            name = partner.name
            isCustomer = partner.isCustomer ? "on" : nil
            isVendor = partner.isVendor ? "on" : nil
            taxId = partner.taxID
            email = partner.email
            phone = partner.phone
            currency = partner.currency?.code
            paymentTerms = partner.paymentTerms.description
            creditLimit = partner.creditLimitText
            let b = partner.billingAddress, s = partner.shippingAddress
            (billingLine1, billingLine2, billingPostalCode, billingCity, billingRegion, billingCountry) =
                (b.line1, b.line2, b.postalCode, b.city, b.region, b.country)
            (shippingLine1, shippingLine2, shippingPostalCode, shippingCity, shippingRegion, shippingCountry) =
                (s.line1, s.line2, s.postalCode, s.city, s.region, s.country)
            iban = partner.iban.map(IBAN.printed)
            bic = partner.bic
            notes = partner.notes
            contacts = partner.contacts.map { contact in
                [contact.name, contact.email ?? "", contact.phone ?? "", contact.role ?? ""].joined(separator: "; ")
            }.joined(separator: "\n")
        }
    }

    /// The form field an error's field ("billingAddress.city", "contacts[2].email") is shown beside.
    static func formField(_ field: String?) -> String? {
        guard let field else { return nil }
        if field.hasPrefix("contacts") { return "contacts" }
        for prefix in ["billing", "shipping"] where field.hasPrefix("\(prefix)Address.") {
            let part = field.dropFirst("\(prefix)Address.".count)
            return prefix + part.prefix(1).uppercased() + part.dropFirst()
        }
        return field
    }

    // MARK: List

    @Sendable static func list(_ request: Request) async throws -> Response {
        try await renderList(request, importError: nil, notice: nil)
    }

    static func renderList(_ request: Request, importError: FormError?, notice: String?, csv: String? = nil,
                           status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let query = try request.query.decode(ListQuery.self)
        let page = max(query.page ?? 0, 0)
        let (partners, total) = try await request.parties.partners(query.filter(limit: pageSize), by: principal)
        let canWrite = principal.can(Permission("sales", .write)) || principal.can(Permission("purchasing", .write))
        let filter = [("q", query.q), ("role", query.role), ("archived", query.archived), ("sort", query.sort)]
        let exportQuery = Layout.queryString(filter)
        let countText = total == 1 ? "1 partner" : "\(total) partners"
        return Layout.page("Customers and vendors", request, status: status, notice: notice,
            .if(canWrite, .p(.class("actions"),
                .a(.class("button primary"), .href("/partners/new"), .text("New partner")))),
            filters(query, exportQuery: exportQuery),
            .p(.class("muted"), .text(countText)),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Code"), .th("Name"), .th("Role"), .th("Tax id"), .th("City"), .th("Terms"))),
                .tbody(
                    .forEach(partners) { partner in
                        .tr(.td(.a(.href("/partners/\(partner.code)"), .text(partner.code))),
                            .td(.text(partner.name), .if(partner.archived, .span(.class("badge off"), .text("archived")))),
                            .td(.text(roleText(partner))),
                            .td(.text(partner.taxID ?? "")),
                            .td(.text(partner.billingAddress.city ?? "")),
                            .td(.text(partner.paymentTerms.description)))
                    },
                    .if(partners.isEmpty, .tr(.td(.attribute(named: "colspan", value: "6"), .class("muted"),
                                                  .text("No partners match."))))))),
            Layout.pager("/partners", page: page, pageSize: pageSize, total: total, query: filter),
            .if(canWrite, Layout.importCard(request, action: "/partners/import",
                help: "A header row naming any of: \(PartiesService.csvColumns.joined(separator: ", ")). A row whose code "
                    + "exists updates the columns the file has; the others are created. Nothing is imported unless "
                    + "every row is valid.",
                value: csv ?? "code,name,customer,vendor,tax_id,email,currency,payment_terms\n", error: importError)))
    }

    static func filters(_ query: ListQuery, exportQuery: String) -> Node<HTML.BodyContext> {
        let role = query.role ?? ""
        let sortOptions = PartiesService.Filter.Sort.allCases.map { sort in
            Layout.option(sort.rawValue, sort == .created ? "newest" : sort.rawValue, selected: (query.sort ?? "name") == sort.rawValue)
        }
        return .form(.method(.get), .action("/partners"), .class("filters"),
                .div(.class("field"), .label(.for("q"), .text("Search")),
                     .input(.id("q"), .name("q"), .type(.search), .value(query.q ?? ""),
                            .attribute(named: "placeholder", value: "name, code, tax id or e-mail"))),
                .div(.class("field"), .label(.for("role"), .text("Role")),
                     .select(.id("role"), .attribute(named: "name", value: "role"),
                        Layout.option("", "All", selected: role.isEmpty),
                        Layout.option("customer", "Customers", selected: role == "customer"),
                        Layout.option("vendor", "Vendors", selected: role == "vendor"))),
                .div(.class("field"), .label(.for("sort"), .text("Sort by")),
                     .select(.id("sort"), .attribute(named: "name", value: "sort"),
                        .group(sortOptions))),
                .label(.class("check"), .input(.name("archived"), .type(.checkbox), .checked(query.archived == "on")),
                       .text("Show archived")),
                .button(.type(.submit), .text("Show")),
                .a(.class("button"), .href("/partners.csv?\(exportQuery)"), .text("Download CSV")))
    }

    static func roleText(_ partner: Partner) -> String {
        switch (partner.isCustomer, partner.isVendor) {
        case (true, true): "customer, vendor"
        case (true, false): "customer"
        case (false, true): "vendor"
        case (false, false): ""
        }
    }

    @Sendable static func exportCSV(_ request: Request) async throws -> Response {
        let query = try request.query.decode(ListQuery.self)
        let text = try await request.parties.csv(query.filter(limit: PartiesService.pageLimitMax),
                                                 by: try request.requirePrincipal())
        return ReportPages.csv(text, filename: "partners.csv")
    }

    struct ImportForm: Content { var csv: String? }

    @Sendable static func importCSV(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(ImportForm.self)
        do {
            let result = try await request.parties.importCSV(form.csv ?? "", by: principal)
            return try await renderList(request, importError: nil,
                                        notice: "\(result.created) partners created, \(result.updated) updated.")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .tooLarge {
            return try await renderList(request, importError: FormError(importing: error), notice: nil, csv: form.csv,
                                        status: .unprocessableEntity)
        }
    }

    // MARK: Form and detail

    @Sendable static func newForm(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        guard principal.can(Permission("sales", .write)) || principal.can(Permission("purchasing", .write)) else {
            throw DomainError(.forbidden, "auth.forbidden", "You may not create partners")
        }
        return render(request, title: "New partner", action: "/partners", form: PartnerForm(), partner: nil, error: nil)
    }

    static func render(_ request: Request, title: String, action: String, form: PartnerForm, partner: Partner?,
                       error: FormError?, notice: String? = nil, status: HTTPResponseStatus = .ok) -> Response {
        let principal = request.principal
        let canWrite = principal.map { $0.can(Permission("sales", .write)) || $0.can(Permission("purchasing", .write)) } ?? false
        let shown = error.map { FormError(field: formField($0.field), message: $0.message) }
        func field(_ label: String, _ name: String, _ value: String?, hint: String? = nil,
                   required: Bool = false) -> Node<HTML.FormContext> {
            Layout.field(label, name: name, value: value ?? "", error: shown, required: required, hint: hint)
        }
        func address(_ prefix: String, _ title: String, _ values: [String?]) -> Node<HTML.FormContext> {
            Layout.address(prefix, title, values, error: shown)
        }
        return Layout.page(title, request, status: status, notice: notice,
            .unwrap(partner) { partner in
                .section(.class("card"),
                    .p(.text("\(roleText(partner).capitalized) since \(partner.createdAt.prefix(10))"),
                       .if(partner.archived, .span(.class("badge off"), .text("archived")))),
                    .unwrap(partner.iban) { .p(.text("IBAN \(IBAN.printed($0))")) },
                    .if(canWrite, .form(.method(.post),
                        .action("/partners/\(partner.code)/\(partner.archived ? "restore" : "archive")"),
                        Layout.csrfField(request),
                        Layout.submit(partner.archived ? "Restore" : "Archive", style: "secondary"))),
                    .if(canWrite, .form(.method(.post), .action("/partners/\(partner.code)/merge"), .class("filters"),
                        Layout.csrfField(request),
                        Layout.field("Merge a duplicate into this partner", name: "duplicate", value: "", error: shown,
                                     hint: "The duplicate's code; it is deleted, its orders and drafts move here. "
                                           + "Refused once either has posted documents."),
                        Layout.submit("Merge", style: "secondary"))))
            },
            .section(.class("card"),
                .form(.method(.post), .action(action),
                    Layout.csrfField(request),
                    Layout.formError(shown, fields: formFields),
                    field("Legal name", "name", form.name, required: true),
                    field("Code", "code", form.code, hint: "Leave empty for the next P-number"),
                    .fieldset(.class(shown?.field == "isCustomer" ? "field invalid" : "field"),
                        .element(named: "legend", text: "Role"),
                        .label(.class("check"), .input(.type(.checkbox), .name("isCustomer"),
                                                       .checked(form.isCustomer == "on")), .text("Customer")),
                        .label(.class("check"), .input(.type(.checkbox), .name("isVendor"),
                                                       .checked(form.isVendor == "on")), .text("Vendor")),
                        .unwrap(shown?.field == "isCustomer" ? shown?.message : nil) { .p(.class("error"), .text($0)) }),
                    field("Tax id", "taxId", form.taxId, hint: "VAT numbers with their country prefix are checked: DE123456789"),
                    field("E-mail", "email", form.email), field("Phone", "phone", form.phone),
                    field("Currency", "currency", form.currency, hint: "ISO 4217, e.g. EUR"),
                    field("Payment terms", "paymentTerms", form.paymentTerms ?? "net 30",
                          hint: "net 30, eom+15, 2/10 net 30 or immediate"),
                    field("Credit limit", "creditLimit", form.creditLimit, hint: "In the partner's currency"),
                    address("billing", "Billing address", [form.billingLine1, form.billingLine2, form.billingPostalCode,
                                                           form.billingCity, form.billingRegion, form.billingCountry]),
                    address("shipping", "Shipping address", [form.shippingLine1, form.shippingLine2,
                                                             form.shippingPostalCode, form.shippingCity,
                                                             form.shippingRegion, form.shippingCountry]),
                    field("IBAN", "iban", form.iban), field("BIC", "bic", form.bic),
                    Layout.textArea("Contacts", name: "contacts", value: form.contacts ?? "", error: shown,
                                    hint: "One per line: name; e-mail; phone; role"),
                    Layout.textArea("Notes", name: "notes", value: form.notes ?? "", error: shown),
                    .if(canWrite, Layout.submit(partner == nil ? "Create partner" : "Save changes")))))
    }

    static let formFields = ["name", "code", "isCustomer", "taxId", "email", "phone", "currency", "paymentTerms",
                             "creditLimit", "iban", "bic", "contacts", "notes", "duplicate"]
        + ["billing", "shipping"].flatMap { prefix in
            ["Line1", "Line2", "PostalCode", "City", "Region", "Country"].map { prefix + $0 }
        }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(PartnerForm.self)
        do {
            let partner = try await request.parties.create(form.input, by: principal)
            return request.redirect(to: "/partners/\(partner.code)?created=1", redirectType: .normal)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return render(request, title: "New partner", action: "/partners", form: form, partner: nil,
                          error: FormError(error), status: error.kind == .conflict ? .conflict : .unprocessableEntity)
        }
    }

    @Sendable static func detail(_ request: Request) async throws -> Response {
        let partner = try await request.parties.partner(request.parameters.get("code") ?? "", by: try request.requirePrincipal())
        let notice = (try? request.query.get(String.self, at: "created")) != nil ? "Partner \(partner.code) created." : nil
        return render(request, title: partner.name, action: "/partners/\(partner.code)", form: PartnerForm(partner),
                      partner: partner, error: nil, notice: notice)
    }

    @Sendable static func update(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let code = request.parameters.get("code") ?? ""
        let form = try request.form(PartnerForm.self)
        do {
            let partner = try await request.parties.update(code, form.input, by: principal)
            return render(request, title: partner.name, action: "/partners/\(partner.code)", form: PartnerForm(partner),
                          partner: partner, error: nil, notice: "Saved.")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            let partner = try await request.parties.partner(code, by: principal)
            return render(request, title: partner.name, action: "/partners/\(partner.code)", form: form, partner: partner,
                          error: FormError(error), status: error.kind == .conflict ? .conflict : .unprocessableEntity)
        }
    }

    struct MergeForm: Content {
        var duplicate: String?
    }

    @Sendable static func merge(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let code = request.parameters.get("code") ?? ""
        let form = try request.form(MergeForm.self)
        do {
            let partner = try await request.parties.merge(form.duplicate ?? "", into: code,
                                                          documents: PartiesService.documents(request.context), by: principal)
            return render(request, title: partner.name, action: "/partners/\(partner.code)", form: PartnerForm(partner),
                          partner: partner, error: nil, notice: "\(form.duplicate ?? "") merged into \(partner.code).")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            let partner = try await request.parties.partner(code, by: principal)
            return render(request, title: partner.name, action: "/partners/\(partner.code)", form: PartnerForm(partner),
                          partner: partner, error: FormError(field: "duplicate", message: error.message),
                          status: error.kind == .conflict ? .conflict : .unprocessableEntity)
        }
    }

    @Sendable static func archive(_ request: Request) async throws -> Response {
        try await setArchived(request, true)
    }

    @Sendable static func restore(_ request: Request) async throws -> Response {
        try await setArchived(request, false)
    }

    static func setArchived(_ request: Request, _ archived: Bool) async throws -> Response {
        let partner = try await request.parties.setArchived(request.parameters.get("code") ?? "", archived,
                                                            by: try request.requirePrincipal())
        return render(request, title: partner.name, action: "/partners/\(partner.code)", form: PartnerForm(partner),
                      partner: partner, error: nil, notice: archived ? "Archived." : "Restored.")
    }
}
