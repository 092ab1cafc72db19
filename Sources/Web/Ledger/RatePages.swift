import Foundation
import Kernel
import Ledger
import Platform
import Plot
import Vapor

/// Exchange rates: the list, one rate at a time, a pasted CSV, and the period-end revaluation.
enum RatePages {
    static func register(_ routes: any RoutesBuilder) {
        let ledger = routes.grouped("ledger")
        ledger.get("rates", use: list)
        ledger.post("rates", use: add)
        ledger.post("rates", "import", use: importCSV)
        ledger.post("revaluation", use: revalue)
    }

    struct RateForm: Content {
        var currency: String?
        var date: String?
        var rate: String?
        var csv: String?
    }

    @Sendable static func list(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        guard try await request.ledger.company() != nil else { return LedgerPages.needsSetup(request) }
        return try await render(request, form: RateForm(), error: nil, notice: nil)
    }

    static func render(_ request: Request, form: RateForm, error: FormError?, notice: String?,
                       status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let company = try await request.ledger.requireCompany()
        let rates = try await request.ledger.rates(limit: 200)
        let today = company.today(request.context.clock)
        let canWrite = principal.can(Permission("ledger", .write))
        return Layout.page("Exchange rates", request, status: status, notice: notice,
            .p(.class("muted"), .text("Units of \(company.currency.code) per unit of each currency. A posting uses the "
                + "latest rate on or before its date; conversions round half up to the cent.")),
            .if(canWrite, .section(.class("card"),
                .h2("Add a rate"),
                .form(.method(.post), .action("/ledger/rates"), .class("filters"),
                    Layout.csrfField(request),
                    Layout.field("Currency", name: "currency", value: form.currency ?? "", error: error, required: true),
                    Layout.field("Date", name: "date", type: .date, value: form.date ?? today.description, error: error,
                                 required: true),
                    Layout.field("Rate", name: "rate", value: form.rate ?? "", error: error, required: true),
                    Layout.formError(error?.field == "csv" ? nil : error, fields: ["currency", "date", "rate"]),
                    Layout.submit("Save rate")))),
            .if(canWrite, .section(.class("card"),
                .h2("Import rates from CSV"),
                .form(.method(.post), .action("/ledger/rates/import"),
                    Layout.csrfField(request),
                    Layout.textArea("CSV with a header row: date,currency,rate", name: "csv",
                                    value: form.csv ?? "date,currency,rate\n", error: error, rows: 6),
                    Layout.submit("Import")))),
            .if(principal.can(Permission("ledger", .approve)), .section(.class("card"),
                .h2("Revalue foreign-currency balances"),
                .p(.class("muted"), .text("Posts one entry that brings every foreign-currency asset and liability to its "
                    + "value at the rate on file for the date, against Exchange Gains or Exchange Losses.")),
                .form(.method(.post), .action("/ledger/revaluation"), .class("filters"),
                    Layout.csrfField(request),
                    Layout.field("As of", name: "date", type: .date, value: today.monthStart.addingDays(-1).description,
                                 error: nil, required: true),
                    Layout.submit("Revalue")))),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Date"), .th("Currency"), .th(.class("num"), .text("Rate")))),
                .tbody(
                    .forEach(rates) { rate in
                        .tr(.td(.text(rate.date.description)), .td(.text(rate.currency.code)),
                            .td(.class("num"), .text("\(rate.rate)")))
                    },
                    .if(rates.isEmpty, .tr(.td(.attribute(named: "colspan", value: "3"), .class("muted"),
                                               .text("No rates yet.")))))))
        )
    }

    @Sendable static func add(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(RateForm.self)
        do {
            _ = try await request.ledger.setRates([(line: 1, currency: (form.currency ?? "").uppercased(),
                                                    date: form.date ?? "", rate: form.rate ?? "")],
                                                  source: "form", by: principal)
            return try await render(request, form: RateForm(), error: nil,
                                    notice: "Rate for \((form.currency ?? "").uppercased()) saved.")
        } catch let error as DomainError where error.kind == .invalid {
            let item = error.items.first
            return try await render(request, form: form,
                                    error: FormError(field: item?.field, message: item?.message ?? error.message),
                                    notice: nil, status: .unprocessableEntity)
        }
    }

    @Sendable static func importCSV(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(RateForm.self)
        do {
            let rows = try LedgerService.ratesCSV(form.csv ?? "")
            let count = try await request.ledger.setRates(rows, source: "pasted CSV", by: principal)
            return try await render(request, form: RateForm(), error: nil, notice: "\(count) rates imported.")
        } catch let error as DomainError where error.kind == .invalid {
            return try await render(request, form: form, error: FormError(importing: error), notice: nil,
                                    status: .unprocessableEntity)
        }
    }

    struct RevalueForm: Content { var date: String? }

    @Sendable static func revalue(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(RevalueForm.self)
        do {
            let result = try await request.ledger.revalue(asOf: try CivilDate.parse(form.date ?? "", field: "date"),
                                                          by: principal)
            return request.redirect(to: "/ledger/entries/\(result.entry.id)")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await render(request, form: RateForm(), error: FormError(field: nil, message: error.message),
                                    notice: nil, status: error.kind == .conflict ? .conflict : .unprocessableEntity)
        }
    }
}
