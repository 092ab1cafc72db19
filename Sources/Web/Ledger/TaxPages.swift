import Foundation
import Kernel
import Ledger
import Platform
import Plot
import Vapor

/// Tax codes: the list, one form to add or change a code, archive/restore, and the company's tax rounding.
enum TaxPages {
    static func register(_ routes: any RoutesBuilder) {
        let ledger = routes.grouped("ledger")
        ledger.get("tax-codes", use: list)
        ledger.get("tax-codes.csv", use: csv)
        ledger.post("tax-codes", use: save)
        ledger.post("tax-codes", ":code", ":action", use: archive)
        ledger.post("tax-rounding", use: setRounding)
    }

    struct TaxCodeForm: Content {
        var code: String?
        var name: String?
        var kind: String?
        var rate: String?
        var pricesIncludeTax: String?
        var account: String?
        var note: String?
    }

    @Sendable static func list(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        guard try await request.ledger.company() != nil else { return LedgerPages.needsSetup(request) }
        var form = TaxCodeForm()
        if let code = try? request.query.get(String.self, at: "edit"),
           let existing = try await request.ledger.taxCodes().first(where: { $0.code == code }) {
            form = TaxCodeForm(code: existing.code, name: existing.name, kind: existing.kind.rawValue, rate: "\(existing.rate)",
                               pricesIncludeTax: existing.pricesIncludeTax ? "on" : nil, account: existing.account,
                               note: existing.note)
        }
        return try await render(request, form: form, error: nil, notice: nil)
    }

    static func render(_ request: Request, form: TaxCodeForm, error: FormError?, notice: String?,
                       status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let codes = try await request.ledger.taxCodes()
        let rounding = try await request.ledger.taxRounding()
        let isAdmin = principal.can(Permission("ledger", .admin))
        let kinds = TaxCode.Kind.allCases.map { kind in
            Layout.option(kind.rawValue, kind.rawValue.replacing("_", with: " "), selected: (form.kind ?? "standard") == kind.rawValue)
        }
        let roundings = TaxRounding.allCases.map { option in
            Layout.option(option.rawValue, option == .line ? "per line" : "per tax code on the whole document",
                          selected: option == rounding)
        }
        return Layout.page("Tax codes", request, status: status, notice: notice,
            .p(.class("muted"), .text("Rates are percent. Amounts on documents are net, or gross for codes whose prices "
                + "include tax. Tax is rounded half up to the cent, \(rounding == .line ? "on each line" : "once per tax code on each document") "
                + "(company setting)."), .text(" "), .a(.href("/ledger/tax-codes.csv"), .text("Download CSV"))),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Code"), .th("Name"), .th("Kind"), .th(.class("num"), .text("Rate")), .th("Prices"),
                           .th("Account"), .th("Invoice note"), .th(""))),
                .tbody(
                    .forEach(codes) { code in
                        .tr(.td(isAdmin ? .a(.href("/ledger/tax-codes?edit=\(code.code)"), .text(code.code)) : .text(code.code)),
                            .td(.text(code.name), .if(code.archived, .span(.class("badge off"), .text("archived")))),
                            .td(.text(code.kind.rawValue.replacing("_", with: " "))),
                            .td(.class("num"), .text("\(code.rate) %")),
                            .td(.text(code.pricesIncludeTax ? "include tax" : "exclude tax")),
                            .td(.text(code.account ?? "")), .td(.text(code.note ?? "")),
                            .td(.if(isAdmin, .form(.method(.post),
                                .action("/ledger/tax-codes/\(code.code)/\(code.archived ? "restore" : "archive")"),
                                Layout.csrfField(request),
                                Layout.submit(code.archived ? "Restore" : "Archive", style: "secondary")))))
                    },
                    .if(codes.isEmpty, .tr(.td(.attribute(named: "colspan", value: "8"), .class("muted"),
                                               .text("No tax codes yet."))))))),
            .if(isAdmin, .section(.class("card"),
                .h2(.text(form.code == nil ? "Add a tax code" : "Add or change a tax code")),
                .form(.method(.post), .action("/ledger/tax-codes"),
                    Layout.csrfField(request),
                    Layout.formError(error, fields: ["code", "name", "kind", "rate", "account", "note"]),
                    Layout.field("Code", name: "code", value: form.code ?? "", error: error, required: true,
                                 hint: "An existing code is changed"),
                    Layout.field("Name", name: "name", value: form.name ?? "", error: error, required: true),
                    .div(.class("field"), .label(.for("kind"), .text("Kind")),
                         .select(.id("kind"), .attribute(named: "name", value: "kind"), .group(kinds))),
                    Layout.field("Rate (%)", name: "rate", value: form.rate ?? "", error: error,
                                 hint: "19, 7, 5.5; 0 or empty for zero-rated, exempt and reverse charge"),
                    .label(.class("check"), .input(.type(.checkbox), .name("pricesIncludeTax"),
                                                   .checked(form.pricesIncludeTax == "on")),
                           .text("Prices include this tax")),
                    Layout.field("Tax account", name: "account", value: form.account ?? "", error: error,
                                 hint: "Code or full name, e.g. 2100"),
                    Layout.field("Invoice note", name: "note", value: form.note ?? "", error: error,
                                 hint: "The legal reason no tax is charged (exempt, reverse charge)"),
                    Layout.submit("Save tax code")))),
            .if(isAdmin, .section(.class("card"),
                .h2("Tax rounding"),
                .form(.method(.post), .action("/ledger/tax-rounding"), .class("filters"),
                    Layout.csrfField(request),
                    .div(.class("field"), .label(.for("rounding"), .text("Round tax")),
                         .select(.id("rounding"), .attribute(named: "name", value: "rounding"), .group(roundings))),
                    Layout.submit("Save")))))
    }

    @Sendable static func save(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(TaxCodeForm.self)
        do {
            let code = try await request.ledger.saveTaxCode(TaxCodeInput(
                code: form.code ?? "", name: form.name ?? "", kind: form.kind, rate: form.rate ?? "",
                pricesIncludeTax: form.pricesIncludeTax == "on", account: form.account, note: form.note), by: principal)
            return try await render(request, form: TaxCodeForm(), error: nil, notice: "Tax code \(code.code) saved.")
        } catch let error as DomainError where error.kind == .invalid {
            return try await render(request, form: form, error: FormError(error), notice: nil, status: .unprocessableEntity)
        }
    }

    @Sendable static func archive(_ request: Request) async throws -> Response {
        let archived = request.parameters.get("action") == "archive"
        guard archived || request.parameters.get("action") == "restore" else { throw Abort(.notFound) }
        let code = try await request.ledger.setTaxCodeArchived(request.parameters.get("code") ?? "", archived,
                                                               by: try request.requirePrincipal())
        return try await render(request, form: TaxCodeForm(), error: nil,
                                notice: "Tax code \(code.code) \(archived ? "archived" : "restored").")
    }

    struct RoundingForm: Content { var rounding: String? }

    @Sendable static func setRounding(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(RoundingForm.self)
        guard let rounding = form.rounding.flatMap(TaxRounding.init(rawValue:)) else {
            throw DomainError.invalid("ledger.tax_rounding.invalid", "Round per line or per document", field: "rounding")
        }
        try await request.ledger.setTaxRounding(rounding, by: principal)
        return try await render(request, form: TaxCodeForm(), error: nil, notice: "Tax rounding saved.")
    }

    @Sendable static func csv(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        let rows = [["code", "name", "kind", "rate", "prices_include_tax", "account", "note", "archived"]]
            + (try await request.ledger.taxCodes()).map { code in
                [code.code, code.name, code.kind.rawValue, "\(code.rate)", code.pricesIncludeTax ? "yes" : "no",
                 code.account ?? "", code.note ?? "", code.archived ? "yes" : "no"]
            }
        return ReportPages.csv(rows: rows, filename: "tax-codes.csv")
    }
}
