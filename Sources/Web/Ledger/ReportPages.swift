import Foundation
import Kernel
import Ledger
import Platform
import Plot
import Vapor

/// Financial statements, the general-ledger detail and the charts of the reports overview.
enum ReportPages {
    static func register(_ routes: any RoutesBuilder) {
        let ledger = routes.grouped("ledger")
        ledger.get("reports", use: overview)
        ledger.get("reports", "balance-sheet") { try await statement($0, .balanceSheet) }
        ledger.get("reports", "income-statement") { try await statement($0, .incomeStatement) }
        ledger.get("reports", "cash-flow") { try await statement($0, .cashFlow) }
        ledger.get("reports", "budget-vs-actual") { try await statement($0, .budgetVsActual) }
        ledger.get("reports", "dimensions") { try await statement($0, .dimensions) }
        ledger.post("budgets", use: importBudget)
        ledger.get("general-ledger", use: generalLedger)
    }

    /// What the filter forms send. Everything is text so a bad date comes back as a message beside its field.
    struct Query: Content {
        var asOf: String?
        var from: String?
        var to: String?
        var compare: String?
        var format: String?
        var account: String?
        var page: String?
        var dimension: String?
        var key: String?

        func value(_ text: String?) -> String? { (text ?? "").isEmpty ? nil : text }
        var comparing: Bool { compare == "1" || compare == "on" }
    }

    enum Kind: String {
        case balanceSheet = "balance-sheet", incomeStatement = "income-statement", cashFlow = "cash-flow"
        case budgetVsActual = "budget-vs-actual", dimensions

        var title: String {
            switch self {
            case .balanceSheet: "Balance sheet"
            case .incomeStatement: "Income statement"
            case .cashFlow: "Cash-flow statement"
            case .budgetVsActual: "Budget vs actual"
            case .dimensions: "Activity by dimension"
            }
        }

        var comparable: Bool { self == .balanceSheet || self == .incomeStatement || self == .cashFlow }
    }

    static func csv(_ text: String, filename: String) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        headers.contentDisposition = .init(.attachment, filename: filename)
        return Response(status: .ok, headers: headers, body: .init(string: text))
    }

    /// Rows (the header first) as a CSV download.
    static func csv(rows: [[String]], filename: String) -> Response {
        csv(rows.map(CSVLine.join).joined(separator: "\n") + "\n", filename: filename)
    }

    static func money(_ amount: Int64, _ currency: Currency) -> String { Money(minorUnits: amount, currency: currency).grouped }

    // MARK: Statements

    @Sendable static func statement(_ request: Request, _ kind: Kind) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        let ledger = request.ledger
        guard let company = try await ledger.company() else { return LedgerPages.needsSetup(request) }
        let query = try request.query.decode(Query.self)
        let today = company.today(request.context.clock)
        var statement: Statement?
        var error: FormError?
        var glRange: DateRange?
        do {
            switch kind {
            case .balanceSheet:
                let dates = try ReportDates.balanceSheet(asOf: query.value(query.asOf), compare: query.comparing,
                                                         today: today)
                statement = try await ledger.balanceSheet(asOf: dates)
                glRange = try DateRange(from: company.fiscalYear(containing: dates[0]).start, to: dates[0])
            case .incomeStatement, .cashFlow:
                let ranges = try ReportDates.periods(from: query.value(query.from), to: query.value(query.to),
                                                     compare: query.comparing, company: company, today: today)
                statement = kind == .incomeStatement ? try await ledger.incomeStatement(ranges)
                    : try await ledger.cashFlow(ranges)
                glRange = ranges[0]
            case .budgetVsActual, .dimensions:
                let range = try ReportDates.periods(from: query.value(query.from), to: query.value(query.to), compare: false,
                                                    company: company, today: today)[0]
                statement = kind == .budgetVsActual
                    ? try await ledger.budgetVsActual(range, dimension: query.dimension ?? "")
                    : try await ledger.activityByDimension(range, key: query.value(query.key) ?? "department")
                glRange = range
            }
        } catch let problem as DomainError where problem.kind == .invalid {
            error = FormError(problem)
        }
        if let statement, query.format == "csv" {
            return csv(StatementFormat.csv(statement), filename: "\(kind.rawValue)-\(statement.columns[0]).csv")
        }
        let path = "/ledger/reports/\(kind.rawValue)"
        let csvQuery = (request.url.query ?? "").split(separator: "&").filter { !$0.hasPrefix("format=") }
            .joined(separator: "&")
        return Layout.page(kind.title, request, status: error == nil ? .ok : .unprocessableEntity,
                           notice: try? request.query.get(String.self, at: "notice"),
            .form(.method(.get), .action(path), .class("filters"),
                .if(kind == .balanceSheet,
                    Layout.field("As of", name: "asOf", type: .date,
                                 value: query.asOf ?? statement?.columns.first ?? today.description, error: error),
                    else: .group(
                        Layout.field("From", name: "from", type: .date,
                                     value: query.from ?? glRange?.from.description ?? "", error: error),
                        Layout.field("To", name: "to", type: .date,
                                     value: query.to ?? glRange?.to.description ?? "", error: error))),
                .if(kind.comparable, .label(.class("check"), .input(.type(.checkbox), .name("compare"), .value("1"),
                                                                   .checked(query.comparing)),
                                            .text("Compare with a year earlier"))),
                .if(kind == .budgetVsActual, Layout.field("Dimension", name: "dimension", value: query.dimension ?? "",
                                                          error: error, hint: "Optional, e.g. department=Sales")),
                .if(kind == .dimensions, Layout.field("Dimension", name: "key", value: query.key ?? "department",
                                                      error: error, hint: "department, project, ...")),
                Layout.formError(error, fields: ["asOf", "from", "to", "dimension", "key"]),
                Layout.submit("Show")),
            .unwrap(statement) { statement in
                .group(
                    .p(.a(.class("button"), .href("\(path)?\(csvQuery)\(csvQuery.isEmpty ? "" : "&")format=csv"),
                          .text("Download CSV"))),
                    statementTable(statement, glRange: glRange))
            },
            .if(kind == .budgetVsActual && request.principal?.can(Permission("ledger", .write)) == true,
                .section(.class("card"),
                    .h2("Import budget figures"),
                    .form(.method(.post), .action("/ledger/budgets"),
                        Layout.csrfField(request),
                        Layout.textArea("CSV with a header row: account,month,amount[,dimension]", name: "csv",
                                        value: "account,month,amount,dimension\n", error: nil, rows: 6,
                                        hint: "Amounts in \(company.currency.code); income and expenses as positive "
                                            + "figures. A row replaces the figure for the same account, month and dimension."),
                        Layout.submit("Import budget")))))
    }

    struct BudgetForm: Content { var csv: String? }

    @Sendable static func importBudget(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(BudgetForm.self)
        do {
            let count = try await request.ledger.setBudgets(try LedgerService.budgetCSV(form.csv ?? ""),
                                                            source: "pasted CSV", by: principal)
            return request.redirect(to: "/ledger/reports/budget-vs-actual?notice=\(count)%20budget%20figures%20recorded")
        } catch let error as DomainError where error.kind == .invalid {
            return Layout.page("Budget vs actual", request, status: .unprocessableEntity,
                .p(.class("error banner"), .attribute(named: "role", value: "alert"),
                   .text(FormError(importing: error).message)),
                .pre(.text(form.csv ?? "")),
                .p(.a(.class("button"), .href("/ledger/reports/budget-vs-actual"), .text("Back"))))
        }
    }

    static func statementTable(_ statement: Statement, glRange: DateRange?) -> Node<HTML.BodyContext> {
        .div(.class("table-wrap"), .table(.class("statement"),
            .thead(.tr(.th(.text(statement.currency.code)),
                       .forEach(statement.columns) { .th(.class("num"), .text($0)) })),
            .tbody(.forEach(statement.rows) { row in
                .tr(.class("row-\(row.kind.rawValue)"),
                    .td(.class("indent-\(min(row.level, 4))"),
                        .if(row.kind == .account && row.account != nil && glRange != nil,
                            .a(.href("/ledger/general-ledger?account=\(escapeQuery(row.code ?? row.account ?? ""))"
                                     + "&from=\(glRange?.from.description ?? "")&to=\(glRange?.to.description ?? "")"),
                               .text(row.label)),
                            else: .text(row.label))),
                    .forEach(row.amounts) { .td(.class("num"), .text(money($0, statement.currency))) },
                    .if(row.amounts.isEmpty, .forEach(statement.columns) { _ in .td() }))
            })))
    }

    static func escapeQuery(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    // MARK: General ledger

    static let linesPerPage = 100

    @Sendable static func generalLedger(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        let ledger = request.ledger
        guard let company = try await ledger.company() else { return LedgerPages.needsSetup(request) }
        let query = try request.query.decode(Query.self)
        let accounts = try await ledger.accounts().filter { !$0.archived || $0.code == query.account }
        let page = max(Int(query.page ?? "") ?? 1, 1)
        var detail: GeneralLedger?
        var error: FormError?
        var range: DateRange?
        do {
            range = try ReportDates.periods(from: query.value(query.from), to: query.value(query.to), compare: false,
                                            company: company, today: company.today(request.context.clock))[0]
            if let account = query.value(query.account), let range {
                let limit = query.format == "csv" ? LedgerService.generalLedgerPageLimit : linesPerPage
                detail = try await ledger.generalLedger(account: account, range: range, limit: limit,
                                                        offset: query.format == "csv" ? 0 : (page - 1) * linesPerPage)
            }
        } catch let problem as DomainError where problem.kind == .invalid || problem.kind == .notFound {
            error = FormError(field: problem.code == "ledger.account.unknown" ? "account" : problem.field,
                              message: problem.message)
        }
        if let detail, query.format == "csv" {
            return csv(GeneralLedgerFormat.csv(detail), filename: "general-ledger-\(detail.account.code).csv")
        }
        let base = "/ledger/general-ledger?account=\(escapeQuery(query.account ?? ""))"
            + "&from=\(range?.from.description ?? "")&to=\(range?.to.description ?? "")"
        let pages = detail.map { max(1, ($0.count + linesPerPage - 1) / linesPerPage) } ?? 1
        return Layout.page("General ledger", request, status: error == nil ? .ok : .unprocessableEntity,
            .form(.method(.get), .action("/ledger/general-ledger"), .class("filters"),
                .div(.class(error?.field == "account" ? "field invalid" : "field"),
                    .label(.for("account"), .text("Account")),
                    .select(.id("account"), .attribute(named: "name", value: "account"),
                        Layout.option("", "Choose an account", selected: false),
                        .forEach(accounts) { account in
                            Layout.option(account.code, "\(account.code) \(account.fullName)",
                                          selected: account.code == query.account)
                        }),
                    .unwrap(error?.field == "account" ? error?.message : nil) { .p(.class("error"), .text($0)) }),
                Layout.field("From", name: "from", type: .date, value: query.from ?? range?.from.description ?? "",
                             error: error),
                Layout.field("To", name: "to", type: .date, value: query.to ?? range?.to.description ?? "", error: error),
                Layout.formError(error, fields: ["account", "from", "to"]),
                Layout.submit("Show")),
            .unwrap(detail) { detail in
                .group(
                    .p(.a(.class("button"), .href(base + "&format=csv"), .text("Download CSV")),
                       .span(.class("muted"), .text("  \(detail.count) lines; amounts in \(company.currency.code)"))),
                    .div(.class("table-wrap"), .table(
                        .thead(.tr(.th("Date"), .th("Entry"), .th("Memo"), .if(detail.account.isHeader, .th("Account")),
                                   .th(.class("num"), .text("Debit")), .th(.class("num"), .text("Credit")),
                                   .th(.class("num"), .text("Balance")))),
                        .tbody(
                            .tr(.class("row-line"), .td(.class("nowrap"), .text(detail.range.from.description)), .td(),
                                .td(.text(page == 1 ? "Opening balance" : "Brought forward")),
                                .if(detail.account.isHeader, .td()), .td(), .td(),
                                .td(.class("num"), .text(money(page == 1 ? detail.opening : (detail.lines.first.map {
                                    $0.balance - $0.debit + $0.credit } ?? detail.opening), company.currency)))),
                            .forEach(detail.lines) { line in
                                .tr(.td(.class("nowrap"), .text(line.date.description)),
                                    .td(.class("nowrap"), .a(.href("/ledger/entries/\(line.entryID)"), .text(line.number))),
                                    .td(.text(line.memo)),
                                    .if(detail.account.isHeader, .td(.class("muted"), .text(line.account))),
                                    .td(.class("num"), .text(line.debit == 0 ? "" : money(line.debit, company.currency))),
                                    .td(.class("num"), .text(line.credit == 0 ? "" : money(line.credit, company.currency))),
                                    .td(.class("num"), .text(money(line.balance, company.currency))))
                            },
                            .if(page >= pages,
                                .tr(.class("row-total"), .td(.class("nowrap"), .text(detail.range.to.description)), .td(),
                                    .td("Closing balance"), .if(detail.account.isHeader, .td()), .td(), .td(),
                                    .td(.class("num"), .text(money(detail.closing, company.currency)))))))),
                    .if(pages > 1, .p(.class("actions"),
                        .if(page > 1, .a(.class("button"), .href(base + "&page=\(page - 1)"), .text("Previous"))),
                        .span(.class("muted"), .text("Page \(page) of \(pages)")),
                        .if(page < pages, .a(.class("button"), .href(base + "&page=\(page + 1)"), .text("Next"))))))
            })
    }

    // MARK: Overview

    @Sendable static func overview(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        let ledger = request.ledger
        guard let company = try await ledger.company() else { return LedgerPages.needsSetup(request) }
        let today = company.today(request.context.clock)
        let figures = try await ledger.monthlyFigures(through: today)
        let labels = figures.map { month -> String in
            let number = Int(month.month.suffix(2)) ?? 1
            return ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][number - 1]
                + (number == 1 ? " \(month.month.prefix(4))" : "")
        }
        let reports: [(String, String, String)] = [
            ("Balance sheet", "/ledger/reports/balance-sheet", "Assets, liabilities and equity as of a date"),
            ("Income statement", "/ledger/reports/income-statement", "Income and expenses over a period"),
            ("Cash-flow statement", "/ledger/reports/cash-flow", "Where cash came from and went, indirect method"),
            ("General ledger", "/ledger/general-ledger", "Every line of an account with its running balance"),
            ("Trial balance", "/ledger/trial-balance", "Balances per account and currency"),
            ("Budget vs actual", "/ledger/reports/budget-vs-actual", "Income and expenses against the budget"),
            ("Activity by dimension", "/ledger/reports/dimensions", "Income and expenses per department or project"),
            ("Periods", "/ledger/periods", "Close, reopen and lock months; close the year"),
        ]
        return Layout.page("Reports", request,
            .div(.class("tiles"), .forEach(reports) { report in
                .a(.class("tile"), .href(report.1), .span(.class("tile-label"), .strong(.text(report.0))),
                   .span(.class("muted"), .text(report.2)))
            }),
            .section(.class("card"),
                .h2(.text("Income and expenses, last 12 months (\(company.currency.code))")),
                .raw(Charts.bars(title: "Monthly income and expenses", labels: labels, series: [
                    .init(name: "Income", style: "chart-a", values: figures.map(\.income)),
                    .init(name: "Expenses", style: "chart-b", values: figures.map(\.expenses)),
                ], currency: company.currency))),
            .section(.class("card"),
                .h2(.text("Cash at month end (\(company.currency.code))")),
                .raw(Charts.line(title: "Cash balance at each month end", labels: labels,
                                 series: .init(name: "Cash and bank", style: "chart-a", values: figures.map(\.cash)),
                                 currency: company.currency))))
    }
}
