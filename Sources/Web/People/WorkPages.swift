import Foundation
import Kernel
import People
import Platform
import Plot
import Vapor

/// Timesheets, training and (hr only) discipline and grievance cases.
enum WorkPages {
    static func register(_ routes: any RoutesBuilder) {
        routes.get("people", "timesheets", use: timesheets)
        routes.post("people", "timesheets", use: saveTimesheet)
        routes.post("people", "timesheets", ":id", ":decision", use: decideTimesheet)
        routes.get("people", "training", use: training)
        routes.post("people", "courses", use: createCourse)
        routes.post("people", "sessions", use: createSession)
        routes.post("people", "enrolments", use: enrol)
        routes.post("people", "enrolments", ":id", "complete", use: completeEnrolment)
        routes.get("people", "cases", use: cases)
        routes.post("people", "cases", use: openCase)
        routes.get("people", "cases", ":number", use: caseDetail)
        routes.post("people", "cases", ":number", "notes", use: addNote)
        routes.post("people", "cases", ":number", "close", use: closeCase)
    }

    static let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    // MARK: Timesheets

    @Sendable static func timesheets(_ request: Request) async throws -> Response {
        try await renderTimesheets(request, notice: nil, error: nil)
    }

    static func renderTimesheets(_ request: Request, notice: String?, error: DomainError?,
                                 status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let people = request.people
        let viewer = try await people.viewer(principal)
        let today = try await people.today()
        let weekText = (try? request.query.get(String.self, at: "week")).flatMap { $0.isEmpty ? nil : $0 }
        let week = try weekText.map { text throws(DomainError) in try CivilDate.parse(text, field: "week") } ?? today
        let shown = error.map { FormError($0) }
        var mine: Node<HTML.BodyContext> = .empty
        if viewer.employeeID != nil {
            let sheet = try await people.timesheet(nil, week: week, by: principal)
            let editable = sheet.status == .draft || sheet.status == .rejected
            let rows = sheet.lines + Array(repeating: TimesheetLine(project: "", hours: Array(repeating: 0, count: 7)),
                                           count: editable ? 3 : 0)
            let header: [Node<HTML.TableRowContext>] = (0..<7).map { day in
                .th(.class("num"), .text("\(days[day]) \(sheet.weekStart.addingDays(day).day)"))
            }
            let lines: [Node<HTML.TableContext>] = rows.enumerated().map { index, line in
                let cells: [Node<HTML.TableRowContext>] = (0..<7).map { day in
                    .td(.input(.name("h\(day)[]"), .attribute(named: "aria-label", value: "Line \(index + 1) \(days[day])"),
                               .value(line.hours[day] == 0 ? "" : "\(line.hours[day])"), .class("hours"),
                               .attribute(named: "readonly", value: editable ? "" : "readonly")))
                }
                return .tr(.td(.input(.name("project[]"), .attribute(named: "aria-label", value: "Project \(index + 1)"),
                                      .value(line.project), .attribute(named: "readonly", value: editable ? "" : "readonly"))),
                           .group(cells),
                           .td(.class("num"), .text("\(line.total)")))
            }
            let previous = sheet.weekStart.addingDays(-7), next = sheet.weekStart.addingDays(7)
            mine = .section(.class("card"),
                .h2(.text("Week of \(sheet.weekStart)")),
                .p(.a(.href("/people/timesheets?week=\(previous)"), .text("‹ previous week")), .text(" · "),
                   .a(.href("/people/timesheets?week=\(next)"), .text("next week ›")), .text(" · "),
                   .span(.class("badge"), .text(sheet.status.rawValue)),
                   .text(" \(sheet.total) h of \(sheet.contractedHours) contracted"),
                   .if(sheet.overtime > 0, .strong(.text(", \(sheet.overtime) h overtime"))),
                   .unwrap(sheet.decisionNote) { .text(" — \($0)") }),
                .form(.method(.post), .action("/people/timesheets"),
                    Layout.csrfField(request), Layout.formError(shown, fields: []),
                    .input(.type(.hidden), .name("week"), .value(sheet.weekStart.description)),
                    .div(.class("table-wrap"), .table(.class("timesheet"),
                        .thead(.tr(.th("Project or activity"), .group(header), .th(.class("num"), .text("Total")))),
                        .tbody(.group(lines)))),
                    .if(editable, .p(.class("actions"),
                        .button(.type(.submit), .name("action"), .value("save"), .class("secondary"), .text("Save")),
                        .button(.type(.submit), .name("action"), .value("submit"), .class("primary"), .text("Submit to my manager"))))))
        }
        let waiting = try await people.timesheets(status: .submitted, by: principal).filter { viewer.canApprove(for: $0.employeeID) }
        let decide: Node<HTML.BodyContext> = waiting.isEmpty ? .empty : .section(.class("card"), .h2(.text("To decide")),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Employee"), .th("Week"), .th(.class("num"), .text("Hours")), .th(.class("num"), .text("Overtime")),
                           .th())),
                .tbody(.forEach(waiting) { sheet in
                    .tr(.td(.a(.href("/people/\(sheet.employeeNumber)"), .text(sheet.employeeName))),
                        .td(.text(sheet.weekStart.description)), .td(.class("num"), .text("\(sheet.total)")),
                        .td(.class("num"), .text("\(sheet.overtime)")),
                        .td(.form(.method(.post), .action("/people/timesheets/\(sheet.id ?? "")/approve"), .class("inline"),
                                  Layout.csrfField(request), Layout.submit("Approve")),
                            .form(.method(.post), .action("/people/timesheets/\(sheet.id ?? "")/reject"), .class("inline"),
                                  Layout.csrfField(request), Layout.submit("Reject", style: "secondary"))))
                }))))
        return Layout.page("Timesheets", request, status: status, notice: notice,
            .if(viewer.employeeID == nil, .p(.class("muted"), .text("Your user is not linked to an employee record."))),
            mine, decide)
    }

    @Sendable static func saveTimesheet(_ request: Request) async throws -> Response {
        struct Form: Content {
            var week: String?
            var action: String?
            var project: [String]?
            var h0: [String]?, h1: [String]?, h2: [String]?, h3: [String]?, h4: [String]?, h5: [String]?, h6: [String]?
        }
        let form = try request.form(Form.self)
        do {
            let projects = form.project ?? []
            let columns = [form.h0, form.h1, form.h2, form.h3, form.h4, form.h5, form.h6].map { $0 ?? [] }
            var lines: [TimesheetLine] = []
            for (index, project) in projects.enumerated() {
                var hours: [Decimal] = []
                for (day, column) in columns.enumerated() {
                    let text = index < column.count ? String(column[index].trimmed) : ""
                    guard let value = text.isEmpty ? 0 : Decimal(string: text.replacing(",", with: "."),
                                                                 locale: Locale(identifier: "en_US_POSIX")) else {
                        throw DomainError.invalid("people.timesheet.hours_invalid",
                                                  "Line \(index + 1), \(days[day]): '\(text)' is not a number of hours", field: "lines")
                    }
                    hours.append(value)
                }
                lines.append(TimesheetLine(project: project, hours: hours))
            }
            let week = try CivilDate.parse(form.week ?? "", field: "week")
            let sheet = try await request.people.saveTimesheet(nil, week: week, lines: lines, submit: form.action == "submit",
                                                               by: try request.requirePrincipal())
            return try await renderTimesheets(request, notice: sheet.status == .submitted
                                              ? "Week of \(sheet.weekStart) submitted." : "Week of \(sheet.weekStart) saved.",
                                              error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderTimesheets(request, notice: nil, error: error, status: .unprocessableEntity)
        }
    }

    @Sendable static func decideTimesheet(_ request: Request) async throws -> Response {
        let approve = request.parameters.get("decision") == "approve"
        let sheet = try await request.people.decideTimesheet(request.parameters.get("id") ?? "", approve: approve,
                                                             by: try request.requirePrincipal())
        return try await renderTimesheets(request, notice: "\(sheet.employeeName)'s week of \(sheet.weekStart) is \(sheet.status.rawValue).",
                                          error: nil)
    }

    // MARK: Training

    @Sendable static func training(_ request: Request) async throws -> Response {
        try await renderTraining(request, notice: nil, error: nil)
    }

    static func renderTraining(_ request: Request, notice: String?, error: DomainError?,
                               status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let people = request.people
        let writer = PeoplePages.canWrite(request)
        let days = max(0, min((try? request.query.get(Int.self, at: "days")) ?? 60, 3_650))
        let courses = try await people.courses()
        let sessions = try await people.sessions()
        let trainings = try await people.trainings(by: principal)
        let expiring = try await people.expiringCertifications(within: days, by: principal)
        let missing = principal.can(Permission("people", .read)) ? try await people.missingMandatory(by: principal) : []
        let shown = error.map { FormError($0) }
        let today = try await people.today()
        let expiringRows: [Node<HTML.TableContext>] = expiring.map { enrolment in
            .tr(.td(.a(.href("/people/\(enrolment.employeeNumber)"), .text(enrolment.employeeName))), .td(.text(enrolment.courseTitle)),
                .td(.text(enrolment.expiresOn?.description ?? ""),
                    .if((enrolment.expiresOn ?? today) < today, .span(.class("badge off"), .text("expired")))))
        }
        let trainingRows: [Node<HTML.TableContext>] = trainings.reversed().prefix(200).map { enrolment in
            .tr(.td(.a(.href("/people/\(enrolment.employeeNumber)"), .text(enrolment.employeeName))), .td(.text(enrolment.courseTitle)),
                .td(.text(enrolment.sessionDate.description)), .td(.text(enrolment.status.rawValue)),
                .td(.text(enrolment.expiresOn?.description ?? "")),
                .td(.if(writer && enrolment.status == .enrolled,
                        .form(.method(.post), .action("/people/enrolments/\(enrolment.id)/complete"), .class("inline"),
                              Layout.csrfField(request), Layout.submit("Completed", style: "secondary")))))
        }
        let forms: Node<HTML.BodyContext> = writer ? .section(.class("card"), .h2(.text("Courses and sessions")),
            .unwrap(shown) { .p(.class("error banner"), .attribute(named: "role", value: "alert"), .text($0.message)) },
            .form(.method(.post), .action("/people/courses"), .class("filters"), Layout.csrfField(request),
                Layout.field("Code", name: "code", value: "", error: nil, required: true),
                Layout.field("Title", name: "title", value: "", error: nil, required: true),
                Layout.field("Valid for months", name: "validityMonths", value: "", error: nil, hint: "Empty: does not expire"),
                Layout.field("Mandatory for positions", name: "mandatoryFor", value: "", error: nil, hint: "Codes, comma-separated"),
                Layout.submit("Add course", style: "secondary")),
            .form(.method(.post), .action("/people/sessions"), .class("filters"), Layout.csrfField(request),
                Layout.select("Course", name: "course", options: courses.map { ($0.code, $0.title) }, value: nil, error: nil),
                Layout.field("Date", name: "date", type: .date, value: "", error: nil, required: true),
                Layout.field("Place", name: "place", value: "", error: nil),
                Layout.field("Capacity", name: "capacity", value: "12", error: nil),
                Layout.submit("Schedule session", style: "secondary")),
            .form(.method(.post), .action("/people/enrolments"), .class("filters"), Layout.csrfField(request),
                Layout.select("Session", name: "session", options: sessions.map {
                    ($0.id, "\($0.courseCode) \($0.date) (\($0.enrolled)/\($0.capacity))") }, value: nil, error: nil),
                Layout.field("Employee", name: "employee", value: "", error: nil, hint: "Employee number"),
                Layout.submit("Enrol", style: "secondary"))) : .empty
        return Layout.page("Training", request, status: status, notice: notice,
            .section(.class("card"), .h2(.text("Certifications expiring within \(days) days")),
                .form(.method(.get), .action("/people/training"), .class("filters"),
                    Layout.field("Days", name: "days", value: String(days), error: nil), .button(.type(.submit), .text("Show"))),
                .div(.class("table-wrap"), .table(.thead(.tr(.th("Employee"), .th("Course"), .th("Expires"))),
                    .tbody(.group(expiringRows), .if(expiring.isEmpty, .tr(.td(.class("muted"), .text("None.")))))))),
            .if(!missing.isEmpty, .section(.class("card"), .h2(.text("Missing mandatory courses")),
                .ul(.forEach(missing) { .li(.a(.href("/people/\($0.employee.number)"), .text($0.employee.displayName)),
                                            .text(": \($0.course.title)")) }))),
            forms,
            .section(.class("card"), .h2(.text("Enrolments")),
                .div(.class("table-wrap"), .table(
                    .thead(.tr(.th("Employee"), .th("Course"), .th("Session"), .th("Status"), .th("Expires"), .th())),
                    .tbody(.group(trainingRows), .if(trainings.isEmpty, .tr(.td(.class("muted"), .text("No trainings.")))))))))
    }

    struct TrainingForm: Content {
        var code: String?, title: String?, validityMonths: String?, mandatoryFor: String?
        var course: String?, date: String?, place: String?, capacity: String?
        var session: String?, employee: String?, completedOn: String?
    }

    static func trainingAction(_ request: Request, _ work: (TrainingForm, Principal) async throws -> String) async throws -> Response {
        let form = try request.form(TrainingForm.self)
        do {
            return try await renderTraining(request, notice: try await work(form, try request.requirePrincipal()), error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict || error.kind == .notFound {
            return try await renderTraining(request, notice: nil, error: error, status: .unprocessableEntity)
        }
    }

    @Sendable static func createCourse(_ request: Request) async throws -> Response {
        try await trainingAction(request) { form, principal in
            let months = try form.validityMonths.nonBlank.map { text throws(DomainError) in
                guard let value = Int(text) else {
                    throw .invalid("people.course.validity_invalid", "Validity is a number of months", field: "validityMonths")
                }
                return value
            }
            let course = try await request.people.createCourse(
                code: form.code ?? "", title: form.title ?? "", validityMonths: months,
                mandatoryFor: (form.mandatoryFor ?? "").split(separator: ",").map { String($0.trimmed) }, by: principal)
            return "Course \(course.title) added."
        }
    }

    @Sendable static func createSession(_ request: Request) async throws -> Response {
        try await trainingAction(request) { form, principal in
            let session = try await request.people.createSession(course: form.course ?? "", date: form.date ?? "", place: form.place,
                                                                 capacity: Int(form.capacity ?? "") ?? 0, by: principal)
            return "Session of \(session.courseCode) on \(session.date) scheduled."
        }
    }

    @Sendable static func enrol(_ request: Request) async throws -> Response {
        try await trainingAction(request) { form, principal in
            let enrolment = try await request.people.enrol(session: form.session ?? "", employee: form.employee ?? "", by: principal)
            return "\(enrolment.employeeName) enrolled in \(enrolment.courseTitle)."
        }
    }

    @Sendable static func completeEnrolment(_ request: Request) async throws -> Response {
        try await trainingAction(request) { form, principal in
            let enrolment = try await request.people.completeEnrolment(request.parameters.get("id") ?? "", on: form.completedOn,
                                                                       by: principal)
            return "\(enrolment.employeeName) completed \(enrolment.courseTitle)."
        }
    }

    // MARK: Cases

    @Sendable static func cases(_ request: Request) async throws -> Response {
        try await renderCases(request, notice: nil, error: nil)
    }

    static func renderCases(_ request: Request, notice: String?, error: DomainError?,
                            status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let cases = try await request.people.cases(by: principal)
        let shown = error.map { FormError($0) }
        return Layout.page("Cases", request, status: status, notice: notice,
            .p(.class("muted"), .text("Confidential: discipline and grievance cases are seen by hr only.")),
            .if(PeoplePages.canWrite(request), .section(.class("card"), .h2(.text("Open a case")),
                .form(.method(.post), .action("/people/cases"),
                    Layout.csrfField(request), Layout.formError(shown, fields: ["employee", "title", "parties", "openedOn"]),
                    Layout.field("Employee", name: "employee", value: "", error: shown, required: true, hint: "Employee number"),
                    Layout.select("Kind", name: "kind", options: [("grievance", "grievance"), ("discipline", "discipline")],
                                  value: "grievance", error: nil),
                    Layout.field("Title", name: "title", value: "", error: shown, required: true),
                    Layout.field("Parties", name: "parties", value: "", error: shown, hint: "Others involved, witnesses"),
                    Layout.field("Opened on", name: "openedOn", type: .date, value: "", error: shown, hint: "Empty: today"),
                    Layout.submit("Open case")))),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Case"), .th("Employee"), .th("Kind"), .th("Title"), .th("Opened"), .th("Status"))),
                .tbody(.forEach(cases) { item in
                    .tr(.td(.a(.href("/people/cases/\(item.number)"), .text(item.number))),
                        .td(.a(.href("/people/\(item.employeeNumber)"), .text(item.employeeName))), .td(.text(item.kind.rawValue)),
                        .td(.text(item.title)), .td(.text(item.openedOn.description)), .td(.text(item.status.rawValue)))
                }, .if(cases.isEmpty, .tr(.td(.attribute(named: "colspan", value: "6"), .class("muted"), .text("No cases."))))))))
    }

    struct CaseForm: Content {
        var employee: String?, kind: String?, title: String?, parties: String?, openedOn: String?
        var text: String?, outcome: String?, closedOn: String?
    }

    @Sendable static func openCase(_ request: Request) async throws -> Response {
        let form = try request.form(CaseForm.self)
        do {
            let opened = try await request.people.openCase(employee: form.employee ?? "",
                                                           kind: PeopleCase.Kind(rawValue: form.kind ?? "") ?? .grievance,
                                                           title: form.title ?? "", parties: form.parties, openedOn: form.openedOn,
                                                           by: try request.requirePrincipal())
            return request.redirect(to: "/people/cases/\(opened.number)", redirectType: .normal)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .notFound {
            return try await renderCases(request, notice: nil, error: error, status: .unprocessableEntity)
        }
    }

    @Sendable static func caseDetail(_ request: Request) async throws -> Response {
        try await renderCase(request, notice: nil, error: nil)
    }

    static func renderCase(_ request: Request, notice: String?, error: DomainError?,
                           status: HTTPResponseStatus = .ok) async throws -> Response {
        let item = try await request.people.peopleCase(request.parameters.get("number") ?? "", by: try request.requirePrincipal())
        let shown = error.map { FormError($0) }
        return Layout.page("\(item.number): \(item.title)", request, status: status, notice: notice,
            .section(.class("card"),
                .p(.span(.class("badge"), .text(item.status.rawValue)), .text(" \(item.kind.rawValue) about "),
                   .a(.href("/people/\(item.employeeNumber)"), .text(item.employeeName)), .text(", opened \(item.openedOn)"),
                   .unwrap(item.closedOn) { .text(", closed \($0)") }),
                .unwrap(item.parties) { .p(.text("Parties: \($0)")) },
                .unwrap(item.outcome) { .p(.strong(.text("Outcome: \($0)"))) }),
            .section(.class("card"), .h2(.text("Notes")),
                .ul(.forEach(item.notes) { .li(.text("\($0.at.prefix(16).replacing("T", with: " ")) \($0.author): \($0.text)")) }),
                .if(item.status == .open, .group(
                    .form(.method(.post), .action("/people/cases/\(item.number)/notes"),
                        Layout.csrfField(request), Layout.formError(shown, fields: ["text", "outcome", "closedOn"]),
                        .div(.class("field"), .label(.for("text"), .text("Note")), .textarea(.id("text"), .name("text"))),
                        Layout.submit("Add note", style: "secondary")),
                    .form(.method(.post), .action("/people/cases/\(item.number)/close"), .class("filters"),
                        Layout.csrfField(request),
                        Layout.field("Outcome", name: "outcome", value: "", error: shown, required: true),
                        Layout.field("Closed on", name: "closedOn", type: .date, value: "", error: shown, hint: "Empty: today"),
                        Layout.submit("Close case", style: "secondary"))))))
    }

    @Sendable static func addNote(_ request: Request) async throws -> Response {
        let form = try request.form(CaseForm.self)
        do {
            _ = try await request.people.addCaseNote(request.parameters.get("number") ?? "", text: form.text ?? "",
                                                     by: try request.requirePrincipal())
            return try await renderCase(request, notice: "Note added.", error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderCase(request, notice: nil, error: error, status: .unprocessableEntity)
        }
    }

    @Sendable static func closeCase(_ request: Request) async throws -> Response {
        let form = try request.form(CaseForm.self)
        do {
            _ = try await request.people.closeCase(request.parameters.get("number") ?? "", outcome: form.outcome ?? "",
                                                   closedOn: form.closedOn, by: try request.requirePrincipal())
            return try await renderCase(request, notice: "Case closed.", error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderCase(request, notice: nil, error: error, status: .unprocessableEntity)
        }
    }
}
