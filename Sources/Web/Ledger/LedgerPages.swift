import Foundation
import Kernel
import Ledger
import Platform
import Plot
import Vapor

/// Pages of the general ledger.
enum LedgerPages {
    static let formLines = 6

    static func register(_ routes: any RoutesBuilder) {
        let ledger = routes.grouped("ledger")
        ledger.get("setup", use: setupForm)
        ledger.post("setup", use: setUp)
        ledger.get("accounts", use: accounts)
        ledger.post("accounts", use: createAccount)
        ledger.post("accounts", "import", use: importChart)
        ledger.post("accounts", ":code", "archive", use: archiveAccount)
        ledger.get("entries", use: entries)
        ledger.get("entries", "new", use: newEntry)
        ledger.post("entries", use: postEntry)
        ledger.get("entries", ":id", use: entry)
        ledger.post("entries", ":id", "reverse", use: reverse)
        ledger.get("trial-balance", use: trialBalance)
        ledger.get("drafts", ":id", use: draft)
        ledger.post("drafts", ":id", use: updateDraft)
        ledger.post("drafts", ":id", "delete", use: deleteDraft)
    }

    static func needsSetup(_ request: Request) -> Response {
        Layout.page("Set up the books first", request,
            .section(.class("card"),
                .p(.text("The company is not set up yet, so there are no books to show.")),
                .if(request.principal?.can(Permission("settings", .admin)) == true,
                    .p(.a(.class("button primary"), .href("/ledger/setup"), .text("Set up the company"))),
                    else: .p(.class("muted"), .text("Ask an administrator to set the company up.")))))
    }

    // MARK: Setup

    struct SetupForm: Content {
        var name: String?
        var currency: String?
        var fiscalYearStartMonth: String?
        var timeZone: String?
    }

    @Sendable static func setupForm(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("settings", .admin))
        if try await request.ledger.company() != nil { return request.redirect(to: "/ledger/accounts") }
        return renderSetup(request, form: SetupForm(currency: "EUR", fiscalYearStartMonth: "1", timeZone: "UTC"), error: nil)
    }

    static func renderSetup(_ request: Request, form: SetupForm, error: FormError?,
                            status: HTTPResponseStatus = .ok) -> Response {
        Layout.page("Set up the company", request, status: status,
            .section(.class("card"),
                .p(.class("muted"), .text("Once set up, the functional currency cannot change. The standard chart of "
                    + "accounts is loaded; you can add accounts afterwards.")),
                .form(.method(.post), .action("/ledger/setup"),
                    Layout.csrfField(request),
                    Layout.formError(error, fields: ["name", "currency", "fiscalYearStartMonth", "timeZone"]),
                    Layout.field("Company name", name: "name", value: form.name ?? "", error: error, required: true),
                    Layout.field("Functional currency", name: "currency", value: form.currency ?? "", error: error,
                                 required: true, hint: "ISO 4217 code, e.g. EUR, USD, CHF"),
                    Layout.field("Fiscal year starts in month", name: "fiscalYearStartMonth", type: .number,
                                 value: form.fiscalYearStartMonth ?? "1", error: error, hint: "1 = January"),
                    Layout.field("Time zone", name: "timeZone", value: form.timeZone ?? "", error: error,
                                 hint: "What 'today' means, e.g. Europe/Berlin"),
                    Layout.submit("Set up"))))
    }

    @Sendable static func setUp(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(SetupForm.self)
        do {
            guard let month = Int(form.fiscalYearStartMonth ?? "") else {
                throw DomainError.invalid("ledger.company.fiscal_month_invalid", "Give the month as a number 1 to 12",
                                          field: "fiscalYearStartMonth")
            }
            _ = try await request.ledger.setUpCompany(name: form.name ?? "", currency: form.currency ?? "",
                                                      fiscalYearStartMonth: month,
                                                      timeZone: (form.timeZone ?? "").isEmpty ? "UTC" : form.timeZone!,
                                                      by: principal)
            return request.redirect(to: "/ledger/accounts")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return renderSetup(request, form: form, error: FormError(error), status: .unprocessableEntity)
        }
    }

    // MARK: Chart of accounts

    struct AccountForm: Content {
        var code: String?
        var fullName: String?
        var subtype: String?
        var header: String?
        var currency: String?
        var csv: String?
    }

    @Sendable static func accounts(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        guard try await request.ledger.company() != nil else { return needsSetup(request) }
        if (try? request.query.get(String.self, at: "format")) == "csv" {
            return ReportPages.csv(try await request.ledger.chartCSV(), filename: "chart-of-accounts.csv")
        }
        return try await renderAccounts(request, form: AccountForm(), error: nil,
                                        notice: try? request.query.get(String.self, at: "notice"))
    }

    static func renderAccounts(_ request: Request, form: AccountForm, error: FormError?, notice: String?,
                               status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let accounts = try await request.ledger.accounts()
        let canAdmin = principal.can(Permission("ledger", .admin))
        return Layout.page("Chart of accounts", request, status: status, notice: notice,
            .p(.class("actions"), .a(.class("button"), .href("/ledger/accounts?format=csv"), .text("Download CSV"))),
            .if(canAdmin, .section(.class("card"),
                .h2("Add an account"),
                .form(.method(.post), .action("/ledger/accounts"), .class("filters"),
                    Layout.csrfField(request),
                    Layout.field("Code", name: "code", value: form.code ?? "", error: error, required: true),
                    Layout.field("Full name", name: "fullName", value: form.fullName ?? "", error: error, required: true,
                                 hint: "Under an existing header, e.g. Expenses:Marketing"),
                    Layout.field("Subtype", name: "subtype", value: form.subtype ?? "", error: error,
                                 hint: "Optional: bank, cash, receivable, payable, tax, ..."),
                    Layout.field("Currency only", name: "currency", value: form.currency ?? "", error: error,
                                 hint: "Optional restriction, e.g. USD"),
                    .label(.class("check"), .input(.type(.checkbox), .name("header"), .value("1"),
                                                  .checked(form.header == "1")), .text("Header (groups accounts)")),
                    Layout.formError(error?.field == "csv" ? nil : error,
                                     fields: ["code", "fullName", "subtype", "currency"]),
                    Layout.submit("Add account")))),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Code"), .th("Account"), .th("Type"), .th("Subtype"), .th("Status"),
                           .if(canAdmin, .th("")))),
                .tbody(.forEach(accounts) { account in
                    let depth = account.fullName.split(separator: ":").count - 1
                    return .tr(.class(account.isHeader ? "header-row" : ""),
                        .td(.code(.text(account.code))),
                        .td(.span(.class("indent-\(min(depth, 4))"), .text(account.name)),
                            .small(.class("muted block"), .text(account.fullName))),
                        .td(.text(account.type.rawValue)),
                        .td(.text(account.subtype == .none ? "" : account.subtype.rawValue)),
                        .td(account.archived ? .span(.class("badge off"), .text("archived"))
                            : .text(account.isHeader ? "header" : "")),
                        .if(canAdmin, .td(.if(!account.archived && !account.isHeader,
                            .form(.method(.post), .action("/ledger/accounts/\(account.code)/archive"), .class("inline"),
                                  Layout.csrfField(request),
                                  .button(.type(.submit), .class("small"), .text("Archive")))))))
                }))),
            .if(canAdmin, .section(.class("card"),
                .h2("Add accounts from CSV"),
                .form(.method(.post), .action("/ledger/accounts/import"),
                    Layout.csrfField(request),
                    Layout.textArea("Columns code,full_name[,type,subtype,header,archived,currency], as the download "
                                    + "writes them; existing accounts are left alone", name: "csv",
                                    value: form.csv ?? "code,full_name,subtype,header\n", error: error, rows: 6),
                    Layout.submit("Add accounts")))))
    }

    @Sendable static func createAccount(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(AccountForm.self)
        do {
            let account = try await request.ledger.createAccount(
                code: form.code ?? "", fullName: form.fullName ?? "", subtype: try AccountSubtype.parse(form.subtype),
                isHeader: form.header == "1", currency: form.currency, by: principal)
            return request.redirect(to: "/ledger/accounts?notice=Account%20\(account.code)%20added")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderAccounts(request, form: form, error: FormError(error), notice: nil,
                                            status: error.kind == .conflict ? .conflict : .unprocessableEntity)
        }
    }

    @Sendable static func archiveAccount(_ request: Request) async throws -> Response {
        let account = try await request.ledger.archiveAccount(code: request.parameters.get("code") ?? "",
                                                              by: try request.requirePrincipal())
        return request.redirect(to: "/ledger/accounts?notice=Account%20\(account.code)%20archived")
    }

    @Sendable static func importChart(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(AccountForm.self)
        do {
            let count = try await request.ledger.importChart(form.csv ?? "", source: "pasted CSV", by: principal)
            return request.redirect(to: "/ledger/accounts?notice=\(count)%20accounts%20added")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderAccounts(request, form: form, error: FormError(importing: error), notice: nil,
                                            status: .unprocessableEntity)
        }
    }

    // MARK: Journal

    @Sendable static func entries(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        try require(principal, Permission("ledger", .read))
        guard let company = try await request.ledger.company() else { return needsSetup(request) }
        let page = max(0, (try? request.query.get(Int.self, at: "page")) ?? 0)
        let rows = try await request.ledger.entries(limit: 50, offset: page * 50)
        let canWrite = principal.can(Permission("ledger", .write))
        let drafts = canWrite && page == 0 ? try await request.ledger.drafts() : []
        return Layout.page("Journal entries", request,
            .if(canWrite,
                .p(.class("actions"), .a(.class("button primary"), .href("/ledger/entries/new"), .text("New entry")))),
            .if(!drafts.isEmpty, .group(
                .h2("Drafts"),
                .div(.class("table-wrap"), .table(
                    .thead(.tr(.th("Date"), .th("Memo"), .th("Lines"), .th("Saved by"))),
                    .tbody(.forEach(drafts) { draft in
                        .tr(.td(.text(draft.entry.date.description)),
                            .td(.a(.href("/ledger/drafts/\(draft.id)"), .text(draft.entry.memo.isEmpty ? "(no memo)" : draft.entry.memo))),
                            .td(.text("\(draft.entry.lines.count)")), .td(.text(draft.updatedBy)))
                    }))),
                .h2("Posted"))),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Date"), .th("Number"), .th("Memo"), .th(.class("num"), .text("Amount (\(company.currency.code))")))),
                .tbody(
                    .forEach(rows) { row in
                        .tr(.td(.text(row.date.description)),
                            .td(.a(.href("/ledger/entries/\(row.id)"), .text(row.number))),
                            .td(.text(row.memo), .if(row.reversed, .span(.class("badge off"), .text(" reversed")))),
                            .td(.class("num"), .text(Money(minorUnits: row.amount, currency: company.currency).grouped)))
                    },
                    .if(rows.isEmpty, .tr(.td(.attribute(named: "colspan", value: "4"), .class("muted"),
                                              .text("No entries yet."))))))),
            .p(.if(page > 0, .a(.class("button"), .href("/ledger/entries?page=\(page - 1)"), .text("Newer"))),
               .if(rows.count == 50, .a(.class("button"), .href("/ledger/entries?page=\(page + 1)"), .text("Older")))))
    }

    @Sendable static func entry(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        try require(principal, Permission("ledger", .read))
        guard let company = try await request.ledger.company() else { return needsSetup(request) }
        return try await renderEntry(request, id: request.parameters.get("id") ?? "", company: company,
                                     principal: principal, notice: nil, error: nil)
    }

    static func renderEntry(_ request: Request, id: String, company: Company, principal: Principal, notice: String?,
                            error: FormError?, status: HTTPResponseStatus = .ok) async throws -> Response {
        let entry = try await request.ledger.entry(id: id)
        let canReverse = principal.can(Permission("ledger", .write)) && entry.reversedBy == nil && entry.reversalOf == nil
        return Layout.page("Entry \(entry.number)", request, status: status, notice: notice,
            .section(.class("card"),
                .element(named: "dl", nodes: [
                    .dt("Date"), .dd(.text(entry.date.description)), .dt("Journal"), .dd(.text(entry.journal)),
                    .dt("Memo"), .dd(.text(entry.memo)), .dt("Posted by"), .dd(.text(entry.createdBy)),
                    .unwrap(entry.reversalOf) { .group(.dt("Reverses"), .dd(.a(.href("/ledger/entries/\($0)"), .text("original")))) },
                    .unwrap(entry.reversedBy) { .group(.dt("Reversed by"), .dd(.a(.href("/ledger/entries/\($0)"), .text("reversal")))) },
                ])),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Account"), .th(.class("num"), .text("Debit")), .th(.class("num"), .text("Credit")),
                           .th(.class("num"), .text("In \(company.currency.code)")), .th("Memo"))),
                .tbody(.forEach(entry.lines) { line in
                    .tr(.td(.code(.text(line.account.code)), .text(" \(line.account.fullName)")),
                        .td(.class("num"), .text(line.debit > 0 ? Money(minorUnits: line.debit, currency: line.currency).description : "")),
                        .td(.class("num"), .text(line.credit > 0 ? Money(minorUnits: line.credit, currency: line.currency).description : "")),
                        .td(.class("num"), .text(Money(minorUnits: line.functionalDebit - line.functionalCredit,
                                                       currency: company.currency).grouped)),
                        .td(.text(line.memo ?? "")))
                }))),
            .if(canReverse,
                .section(.class("card"),
                    .h2("Reverse this entry"),
                    .form(.method(.post), .action("/ledger/entries/\(entry.id)/reverse"),
                        Layout.csrfField(request),
                        Layout.formError(error, fields: ["date"]),
                        Layout.field("Reversal date", name: "date", type: .date,
                                     value: company.today(request.context.clock).description, error: error, required: true),
                        Layout.submit("Post reversal", style: "danger")))))
    }

    struct ReverseForm: Content { var date: String? }

    @Sendable static func reverse(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        guard let company = try await request.ledger.company() else { return needsSetup(request) }
        let id = request.parameters.get("id") ?? ""
        let form = try request.form(ReverseForm.self)
        do {
            let date = try CivilDate.parse(form.date ?? "", field: "date")
            let result = try await request.ledger.reverse(entryID: id, on: date, by: principal)
            return request.redirect(to: "/ledger/entries/\(result.id)")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderEntry(request, id: id, company: company, principal: principal, notice: nil,
                                         error: FormError(field: error.field ?? "date", message: error.message),
                                         status: .unprocessableEntity)
        }
    }

    // MARK: Trial balance

    @Sendable static func trialBalance(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        guard let company = try await request.ledger.company() else { return needsSetup(request) }
        let text = (try? request.query.get(String.self, at: "asOf")) ?? ""
        var error: FormError?
        var asOf = company.today(request.context.clock)
        if !text.isEmpty {
            if let parsed = try? CivilDate.parse(text, field: "asOf") {
                asOf = parsed
            } else {
                error = FormError(field: "asOf", message: "'\(text)' is not a date in the form YYYY-MM-DD")
            }
        }
        let rows = error == nil ? try await request.ledger.trialBalance(asOf: asOf) : []
        if (try? request.query.get(String.self, at: "format")) == "csv", error == nil {
            return ReportPages.csv(TrialBalanceFormat.csv(rows, functional: company.currency),
                                   filename: "trial-balance-\(asOf).csv")
        }
        let debit = rows.reduce(Int64(0)) { $0 + max($1.functionalBalance, 0) }
        let credit = rows.reduce(Int64(0)) { $0 + max(-$1.functionalBalance, 0) }
        func amount(_ minor: Int64, _ currency: Currency) -> String { Money(minorUnits: minor, currency: currency).grouped }
        return Layout.page("Trial balance", request, status: error == nil ? .ok : .unprocessableEntity,
            .form(.method(.get), .action("/ledger/trial-balance"), .class("filters"),
                Layout.field("As of", name: "asOf", type: .date, value: text.isEmpty ? asOf.description : text, error: error),
                Layout.submit("Show")),
            .p(.a(.class("button"), .href("/ledger/trial-balance?asOf=\(asOf)&format=csv"), .text("Download CSV"))),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Account"), .th("Currency"), .th(.class("num"), .text("Debit")),
                           .th(.class("num"), .text("Credit")), .th(.class("num"), .text("In \(company.currency.code)")))),
                .tbody(
                    .forEach(rows) { row in
                        .tr(.td(.code(.text(row.account.code)), .text(" \(row.account.fullName)")),
                            .td(.text(row.currency.code)),
                            .td(.class("num"), .text(row.balance > 0 ? amount(row.balance, row.currency) : "")),
                            .td(.class("num"), .text(row.balance < 0 ? amount(-row.balance, row.currency) : "")),
                            .td(.class("num"), .text(amount(row.functionalBalance, company.currency))))
                    },
                    .tr(.class("total"), .td(.strong("Total")), .td(.text(company.currency.code)),
                        .td(.class("num"), .strong(.text(amount(debit, company.currency)))),
                        .td(.class("num"), .strong(.text(amount(credit, company.currency)))), .td())))))
    }
}
