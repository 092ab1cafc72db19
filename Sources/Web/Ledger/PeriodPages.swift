import Foundation
import Kernel
import Ledger
import Platform
import Plot
import Vapor

/// Months of the books: close, reopen (admin, with a reason), lock; and the year-end close.
enum PeriodPages {
    static func register(_ routes: any RoutesBuilder) {
        let ledger = routes.grouped("ledger")
        ledger.get("periods", use: list)
        ledger.post("periods", ":month", ":action", use: change)
        ledger.post("year-end-close", use: closeYear)
    }

    struct ChangeForm: Content {
        var reason: String?
        var date: String?
    }

    @Sendable static func list(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        guard try await request.ledger.company() != nil else { return LedgerPages.needsSetup(request) }
        return try await render(request, notice: try? request.query.get(String.self, at: "notice"), error: nil)
    }

    static func render(_ request: Request, notice: String?, error: FormError?, form: ChangeForm = .init(),
                       status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let company = try await request.ledger.requireCompany()
        let periods = try await request.ledger.periods().reversed()
        let canClose = principal.can(Permission("ledger", .approve))
        let isAdmin = principal.roles.contains("admin")
        let today = company.today(request.context.clock)
        let lastYearEnd = company.fiscalYear(containing: today).start.addingDays(-1)
        return Layout.page("Periods", request, status: status, notice: notice,
            .p(.class("muted"), .text("A month opens with its first posting. Nothing can be posted into a closed month, "
                + "by anyone; an administrator may reopen it with a reason, which the audit log keeps. A locked month "
                + "can never be reopened.")),
            .if(error?.field != "date", .unwrap(error) { .p(.class("error banner"), .attribute(named: "role", value: "alert"),
                                                            .text($0.message)) }),
            .if(canClose, .section(.class("card"),
                .h2("Year-end close"),
                .p(.class("muted"), .text("Moves the year's income and expense balances to retained earnings with one "
                    + "entry in the closing journal on the year's last day, then closes the year's months.")),
                .form(.method(.post), .action("/ledger/year-end-close"),
                    Layout.csrfField(request),
                    Layout.field("Last day of the fiscal year", name: "date", type: .date,
                                 value: form.date ?? lastYearEnd.description, error: error),
                    Layout.submit("Close the year")))),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Month"), .th("State"), .th("Reason"), .th("Actions"))),
                .tbody(.forEach(periods) { period in
                    .tr(.td(.text(period.month)),
                        .td(.span(.class(period.state == .open ? "badge ok" : "badge off"), .text(period.state.rawValue))),
                        .td(.class("muted"), .text(period.reason ?? "")),
                        .td(actions(request, period, canClose: canClose, isAdmin: isAdmin)))
                }))))
    }

    static func actions(_ request: Request, _ period: PeriodInfo, canClose: Bool, isAdmin: Bool) -> Node<HTML.BodyContext> {
        let path = "/ledger/periods/\(period.month)"
        switch period.state {
        case .open:
            return .if(canClose, .form(.method(.post), .action("\(path)/close"), .class("inline"),
                                       Layout.csrfField(request), .button(.type(.submit), .class("small"), .text("Close"))))
        case .closed:
            return .if(isAdmin, .group(
                .form(.method(.post), .action("\(path)/reopen"), .class("inline"),
                      Layout.csrfField(request),
                      .input(.type(.text), .name("reason"), .placeholder("Reason to reopen"), .required(true),
                             .attribute(named: "aria-label", value: "Reason to reopen \(period.month)")),
                      .button(.type(.submit), .class("small"), .text("Reopen"))),
                .form(.method(.post), .action("\(path)/lock"), .class("inline"),
                      Layout.csrfField(request), .button(.type(.submit), .class("small danger"), .text("Lock")))))
        case .locked:
            return .empty
        }
    }

    @Sendable static func change(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let month = request.parameters.get("month") ?? ""
        let form = try request.form(ChangeForm.self)
        let ledger = request.ledger
        do {
            switch request.parameters.get("action") {
            case "close": _ = try await ledger.closePeriod(month, by: principal)
            case "reopen": _ = try await ledger.reopenPeriod(month, reason: form.reason ?? "", by: principal)
            case "lock": _ = try await ledger.lockPeriod(month, by: principal)
            default: throw Abort(.notFound)
            }
            let done = ["close": "closed", "reopen": "reopened", "lock": "locked"][request.parameters.get("action") ?? ""]
            return request.redirect(to: "/ledger/periods?notice=\(month)%20\(done ?? "")")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await render(request, notice: nil, error: FormError(field: nil, message: error.message),
                                    status: error.kind == .conflict ? .conflict : .unprocessableEntity)
        }
    }

    @Sendable static func closeYear(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(ChangeForm.self)
        do {
            let date = try CivilDate.parse(form.date ?? "", field: "date")
            let company = try await request.ledger.requireCompany()
            let result = try await request.ledger.closeYear(endingOn: date, by: principal)
            let earnings = Money(minorUnits: result.earnings, currency: company.currency).grouped
            return try await render(request, notice: "Closed \(result.from)..\(result.to) with entry \(result.entry.number): "
                                    + "earnings of \(earnings) \(company.currency.code) moved to retained earnings; "
                                    + "\(result.monthsClosed.count) months closed.", error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await render(request, notice: nil, error: FormError(error), form: form,
                                    status: error.kind == .conflict ? .conflict : .unprocessableEntity)
        }
    }
}
