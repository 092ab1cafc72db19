import Foundation
import Kernel
import People
import Platform
import Plot
import Vapor

/// Leave: one's balances and requests with the request form, what the viewer has to decide, the team calendar,
/// and the leave types and holidays for hr.
enum LeavePages {
    static func register(_ routes: any RoutesBuilder) {
        routes.get("people", "leave", use: overview)
        routes.post("people", "leave", use: request)
        routes.post("people", "leave", ":id", ":decision", use: decide)
        routes.get("people", "leave", "calendar", use: calendar)
        routes.get("people", "leave", "settings", use: settings)
        routes.post("people", "leave", "types", use: createType)
        routes.post("people", "holidays", use: importHolidays)
    }

    static func days(_ value: Decimal) -> String { "\(value)" }

    // MARK: Overview

    struct RequestForm: Content {
        var employee: String?
        var type: String?
        var start: String?
        var end: String?
        var halfStart: String?
        var halfEnd: String?
        var note: String?
    }

    @Sendable static func overview(_ request: Request) async throws -> Response {
        try await render(request, form: RequestForm(), error: nil, notice: nil)
    }

    static func render(_ request: Request, form: RequestForm, error: DomainError?, notice: String?,
                       status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let people = request.people
        let viewer = try await people.viewer(principal)
        let types = try await people.leaveTypes()
        let shown = error.map { FormError($0) }
        var mine: Node<HTML.BodyContext> = .empty
        if let own = viewer.employeeID {
            let balances = try await people.leaveBalances(own, by: principal)
            let requests = try await people.leaveRequests(employee: own, by: principal)
            let balanceRows: [Node<HTML.TableContext>] = balances.map { type, balance in
                .tr(.td(.text(type.name)), .td(.class("num"), .text(days(balance.entitled))),
                    .td(.class("num"), .text(days(balance.carriedOver - balance.lapsed))),
                    .td(.class("num"), .text(days(balance.taken))), .td(.class("num"), .text(days(balance.pending))),
                    .td(.class("num"), .strong(.text(days(balance.available)))))
            }
            mine = .section(.class("card"), .h2(.text("My leave \(balances.first?.balance.year ?? 0)")),
                .div(.class("table-wrap"), .table(
                    .thead(.tr(.th("Type"), .th(.class("num"), .text("Entitled")), .th(.class("num"), .text("Carried over")),
                               .th(.class("num"), .text("Taken")), .th(.class("num"), .text("Pending")),
                               .th(.class("num"), .text("Available")))),
                    .tbody(.group(balanceRows)))),
                requestTable(request, requests, viewer: viewer, showEmployee: false))
        }
        let pending = try await people.leaveRequests(status: .pending, by: principal)
            .filter { viewer.canApprove(for: $0.employeeID) }
        let decide: Node<HTML.BodyContext> = pending.isEmpty ? .empty : .section(.class("card"),
            .h2(.text("To decide")), requestTable(request, pending, viewer: viewer, showEmployee: true))
        let mayAskForOthers = principal.can(Permission("people", .write))
        let requestForm: Node<HTML.BodyContext> = (viewer.employeeID != nil || mayAskForOthers) && !types.isEmpty
            ? .section(.class("card"), .h2(.text("Ask for leave")),
                .form(.method(.post), .action("/people/leave"),
                    Layout.csrfField(request),
                    Layout.formError(shown, fields: ["employee", "type", "start", "end"]),
                    .if(mayAskForOthers, Layout.field("Employee", name: "employee", value: form.employee ?? "", error: shown,
                                                      hint: "Employee number; empty: yourself")),
                    Layout.select("Type", name: "type", options: types.map { ($0.code, $0.name) },
                                  value: form.type ?? types.first(where: \.limited)?.code, error: shown),
                    Layout.field("From", name: "start", type: .date, value: form.start ?? "", error: shown, required: true),
                    Layout.field("To", name: "end", type: .date, value: form.end ?? "", error: shown, required: true),
                    .label(.class("check"), .input(.type(.checkbox), .name("halfStart"), .checked(form.halfStart == "on")),
                           .text("First day is a half day")),
                    .label(.class("check"), .input(.type(.checkbox), .name("halfEnd"), .checked(form.halfEnd == "on")),
                           .text("Last day is a half day")),
                    Layout.field("Note", name: "note", value: form.note ?? "", error: nil),
                    Layout.submit("Ask"))) : .empty
        return Layout.page("Leave", request, status: status, notice: notice,
            .p(.class("actions"), .a(.class("button"), .href("/people/leave/calendar"), .text("Team calendar")),
               .if(principal.can(Permission("people", .read)),
                   .a(.class("button"), .href("/people/leave/settings"), .text("Leave types and holidays")))),
            .if(viewer.employeeID == nil && !mayAskForOthers,
                .p(.class("muted"), .text("Your user is not linked to an employee record, so you have no leave here."))),
            mine, decide, requestForm)
    }

    static func requestTable(_ request: Request, _ requests: [LeaveRequest], viewer: PeopleViewer,
                             showEmployee: Bool) -> Node<HTML.BodyContext> {
        let rows: [Node<HTML.TableContext>] = requests.map { leave in
            let actions: Node<HTML.BodyContext> = .group(
                .if(leave.status == .pending && viewer.canApprove(for: leave.employeeID), .group(
                    form(request, leave, "approve", "Approve", style: "primary"),
                    form(request, leave, "reject", "Reject", style: "secondary"))),
                .if((leave.status == .pending || leave.status == .approved)
                    && (viewer.isSelf(leave.employeeID) || request.principal?.can(Permission("people", .write)) == true),
                    form(request, leave, "cancel", "Cancel", style: "secondary")))
            return .tr(.if(showEmployee, .td(.a(.href("/people/\(leave.employeeNumber)"), .text(leave.employeeName)))),
                       .td(.text(leave.typeName)),
                       .td(.text("\(leave.start)\(leave.halfStart ? " (afternoon)" : "")")),
                       .td(.text("\(leave.end)\(leave.halfEnd ? " (morning)" : "")")),
                       .td(.class("num"), .text(days(leave.days))),
                       .td(.span(.class(leave.status == .approved ? "badge ok" : leave.status == .pending ? "badge" : "badge off"),
                                 .text(leave.status.rawValue))),
                       .td(.text(leave.note ?? "")), .td(actions))
        }
        return .div(.class("table-wrap"), .table(
            .thead(.tr(.if(showEmployee, .th("Employee")), .th("Type"), .th("From"), .th("To"), .th(.class("num"), .text("Days")),
                       .th("Status"), .th("Note"), .th())),
            .tbody(.group(rows), .if(requests.isEmpty, .tr(.td(.attribute(named: "colspan", value: "8"), .class("muted"),
                                                                .text("No requests.")))))))
    }

    static func form(_ request: Request, _ leave: LeaveRequest, _ decision: String, _ title: String,
                     style: String) -> Node<HTML.BodyContext> {
        .form(.method(.post), .action("/people/leave/\(leave.id)/\(decision)"), .class("inline"),
              Layout.csrfField(request), Layout.submit(title, style: style))
    }

    @Sendable static func request(_ request: Request) async throws -> Response {
        let form = try request.form(RequestForm.self)
        do {
            let leave = try await request.people.requestLeave(LeaveRequestInput(
                employee: form.employee, type: form.type ?? "", start: form.start ?? "", end: form.end ?? "",
                halfStart: form.halfStart == "on", halfEnd: form.halfEnd == "on", note: form.note),
                by: try request.requirePrincipal())
            return try await render(request, form: RequestForm(), error: nil,
                                    notice: "\(leave.typeName): \(days(leave.days)) day(s) from \(leave.start) asked for.")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await render(request, form: form, error: error, notice: nil, status: .unprocessableEntity)
        }
    }

    @Sendable static func decide(_ request: Request) async throws -> Response {
        guard let decision = PeopleService.LeaveDecision(rawValue: request.parameters.get("decision") ?? "") else {
            throw DomainError.notFound("people.leave.decision_unknown", "Approve, reject or cancel")
        }
        do {
            let leave = try await request.people.decideLeave(request.parameters.get("id") ?? "", decision,
                                                            by: try request.requirePrincipal())
            return try await render(request, form: RequestForm(), error: nil,
                                    notice: "\(leave.employeeName)'s \(leave.typeName.lowercased()) from \(leave.start) is \(leave.status.rawValue).")
        } catch let error as DomainError where error.kind == .conflict {
            return try await render(request, form: RequestForm(), error: error, notice: nil, status: .conflict)
        }
    }

    // MARK: Calendar

    @Sendable static func calendar(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let people = request.people
        let today = try await people.today()
        let monthText = (try? request.query.get(String.self, at: "month")) ?? today.monthText
        let first = try CivilDate.parse(monthText + "-01", field: "month")
        let last = first.monthEnd
        let department = (try? request.query.get(String.self, at: "department")).flatMap { $0.isEmpty ? nil : $0 }
        let (employees, _) = try await people.employees(.init(department: department, status: .active, asOf: first,
                                                              limit: PeopleService.pageLimitMax), by: principal)
        let requests = try await people.leaveRequests(from: first, to: last, by: principal)
            .filter { $0.status == .approved || $0.status == .pending }
        let holidays = Set(try await people.holidays(year: first.year).filter { $0.location == nil }.map(\.date))
        let departments = try await people.departments()
        let dates = (0...first.days(until: last)).map { first.addingDays($0) }
        let header: [Node<HTML.TableRowContext>] = dates.map { day in
            .th(.class(day.weekday.isWeekend || holidays.contains(day) ? "cal-off" : "cal-day"), .text(String(day.day)))
        }
        let rows: [Node<HTML.TableContext>] = employees.map { employee in
            let mine = requests.filter { $0.employeeID == employee.id }
            let cells: [Node<HTML.TableRowContext>] = dates.map { day in
                let leave = mine.first { $0.start <= day && day <= $0.end }
                let off = day.weekday.isWeekend || holidays.contains(day)
                let style = leave.map { $0.status == .approved ? "cal-leave" : "cal-pending" } ?? (off ? "cal-off" : "cal-day")
                return .td(.class(style), .unwrap(leave) { .attribute(named: "title", value: "\($0.typeName) (\($0.status.rawValue))") })
            }
            return .tr(.th(.a(.href("/people/\(employee.number)"), .text(employee.displayName))), .group(cells))
        }
        let previous = first.addingMonths(-1).monthText, next = first.addingMonths(1).monthText
        return Layout.page("Team calendar \(monthText)", request,
            .form(.method(.get), .action("/people/leave/calendar"), .class("filters"),
                .div(.class("field"), .label(.for("month"), .text("Month")),
                     .input(.id("month"), .name("month"), .type(.month), .value(monthText))),
                Layout.select("Department", name: "department", options: [("", "All I may see")] + departments.map { ($0.code, $0.name) },
                              value: department, error: nil),
                .button(.type(.submit), .text("Show")),
                .a(.class("button"), .href("/people/leave/calendar?\(Layout.queryString([("month", previous), ("department", department)]))"), .text("‹ \(previous)")),
                .a(.class("button"), .href("/people/leave/calendar?\(Layout.queryString([("month", next), ("department", department)]))"), .text("\(next) ›"))),
            .p(.class("muted"), .span(.class("cal-key cal-leave")), .text(" approved "), .span(.class("cal-key cal-pending")),
               .text(" asked for "), .span(.class("cal-key cal-off")), .text(" weekend or public holiday")),
            .div(.class("table-wrap"), .table(.class("calendar"),
                .thead(.tr(.th("Employee"), .group(header))),
                .tbody(.group(rows), .if(employees.isEmpty, .tr(.td(.class("muted"), .text("No one to show."))))))))
    }

    // MARK: Settings

    @Sendable static func settings(_ request: Request) async throws -> Response {
        try await renderSettings(request, notice: nil, error: nil)
    }

    static func renderSettings(_ request: Request, notice: String?, error: (form: String, error: DomainError)?,
                               status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        try require(principal, Permission("people", .read))
        let people = request.people
        let today = try await people.today()
        let year = (try? request.query.get(Int.self, at: "year")) ?? today.year
        let types = try await people.leaveTypes()
        let holidays = try await people.holidays(year: year)
        let writer = PeoplePages.canWrite(request)
        func shown(_ form: String) -> FormError? { error.flatMap { $0.form == form ? FormError($0.error) : nil } }
        let typeRows: [Node<HTML.TableContext>] = types.map { type in
            .tr(.td(.text(type.name)), .td(.text(type.code)), .td(.text(type.paid ? "paid" : "unpaid")),
                .td(.class("num"), .text(type.limited ? days(type.annualDays) : "not limited")),
                .td(.text(type.limited ? type.accrual.rawValue : "")),
                .td(.text(type.limited ? "\(days(type.carryOverMax)) until \(String(format: "%02d-%02d", type.carryOverExpiryMonth, type.carryOverExpiryDay))" : "")))
        }
        let typeForm: Node<HTML.BodyContext> = writer ? .form(.method(.post), .action("/people/leave/types"), .class("filters"),
            Layout.csrfField(request),
            Layout.formError(shown("type"), fields: ["code", "name", "annualDays", "accrual", "carryOverMax", "carryOverExpiry"]),
            Layout.field("Code", name: "code", value: "", error: shown("type"), required: true),
            Layout.field("Name", name: "name", value: "", error: shown("type"), required: true),
            Layout.select("Kind", name: "limited", options: [("on", "limited by an entitlement"), ("off", "recorded, not limited")],
                          value: "on", error: nil),
            Layout.select("Pay", name: "paid", options: [("on", "paid"), ("off", "unpaid")], value: "on", error: nil),
            Layout.field("Days a year", name: "annualDays", value: "", error: shown("type"), hint: "At FTE 1"),
            Layout.select("Earned", name: "accrual", options: [("annual", "all from January"), ("monthly", "month by month")],
                          value: "annual", error: shown("type")),
            Layout.field("Carry over at most", name: "carryOverMax", value: "", error: shown("type")),
            Layout.field("Carried days lapse after", name: "carryOverExpiry", value: "03-31", error: shown("type"), hint: "MM-DD"),
            Layout.submit("Add leave type")) : .empty
        let holidayForm: Node<HTML.BodyContext> = writer ? .form(.method(.post), .action("/people/holidays"),
            Layout.csrfField(request), Layout.formError(shown("holidays"), fields: []),
            .div(.class("field"), .label(.for("csv"), .text("Holidays as CSV")),
                 .textarea(.id("csv"), .name("csv"), .text("date,name,location\n")),
                 .p(.class("hint"), .text("A header row, then one holiday a line; an empty location applies everywhere."))),
            Layout.submit("Import holidays")) : .empty
        return Layout.page("Leave types and holidays", request, status: status, notice: notice,
            .section(.class("card"), .h2(.text("Leave types")), typeForm,
                .div(.class("table-wrap"), .table(
                    .thead(.tr(.th("Name"), .th("Code"), .th("Pay"), .th(.class("num"), .text("Days a year")), .th("Earned"),
                               .th("Carry-over"))),
                    .tbody(.group(typeRows))))),
            .section(.class("card"), .h2(.text("Public holidays \(year)")),
                .p(.a(.href("/people/leave/settings?year=\(year - 1)"), .text("‹ \(year - 1)")), .text(" · "),
                   .a(.href("/people/leave/settings?year=\(year + 1)"), .text("\(year + 1) ›"))),
                .ul(.forEach(holidays) { .li(.text("\($0.date) \($0.name)\($0.location.map { " (\($0))" } ?? "")")) }),
                holidayForm))
    }

    struct TypeForm: Content {
        var code: String?
        var name: String?
        var limited: String?
        var paid: String?
        var annualDays: String?
        var accrual: String?
        var carryOverMax: String?
        var carryOverExpiry: String?
    }

    @Sendable static func createType(_ request: Request) async throws -> Response {
        let form = try request.form(TypeForm.self)
        do {
            let type = try await request.people.createLeaveType(LeaveTypeInput(
                code: form.code ?? "", name: form.name ?? "", paid: form.paid != "off", limited: form.limited != "off",
                annualDays: form.annualDays, accrual: form.accrual, carryOverMax: form.carryOverMax,
                carryOverExpiry: form.carryOverExpiry), by: try request.requirePrincipal())
            return try await renderSettings(request, notice: "Leave type \(type.name) added.", error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderSettings(request, notice: nil, error: ("type", error), status: .unprocessableEntity)
        }
    }

    struct HolidayForm: Content {
        var csv: String?
    }

    @Sendable static func importHolidays(_ request: Request) async throws -> Response {
        let form = try request.form(HolidayForm.self)
        do {
            let added = try await request.people.importHolidays(form.csv ?? "", by: try request.requirePrincipal())
            return try await renderSettings(request, notice: "\(added) holiday(s) added.", error: nil)
        } catch let error as DomainError where error.kind == .invalid {
            let lines = error.items.map(\.message)
            let shown = DomainError(.invalid, error.code, ([error.message] + lines.dropFirst()).joined(separator: " · "))
            return try await renderSettings(request, notice: nil, error: ("holidays", shown), status: .unprocessableEntity)
        }
    }
}
