import Foundation
import Kernel
import People
import Platform
import Plot
import Vapor

/// The task inbox, onboarding and offboarding checklists, and recruiting: openings, the pipeline board, candidates
/// with interviews and offers, and hiring.
enum HiringPages {
    static func register(_ routes: any RoutesBuilder) {
        routes.get("people", "tasks", use: tasks)
        routes.post("people", "tasks", ":id", "done", use: completeTask)
        routes.get("people", "checklists", use: checklists)
        routes.post("people", "checklists", use: createChecklist)
        routes.get("people", "recruiting", use: openings)
        routes.post("people", "recruiting", use: createOpening)
        routes.post("people", "recruiting", "retention", use: setRetention)
        routes.get("people", "recruiting", ":code", use: board)
        routes.post("people", "recruiting", ":code", "candidates", use: addCandidate)
        routes.get("people", "candidates", ":id", use: candidate)
        routes.post("people", "candidates", ":id", "stage", use: moveCandidate)
        routes.post("people", "candidates", ":id", "interviews", use: recordInterview)
        routes.post("people", "candidates", ":id", "hire", use: hireCandidate)
    }

    // MARK: Tasks

    @Sendable static func tasks(_ request: Request) async throws -> Response {
        try await renderTasks(request, notice: nil)
    }

    static func renderTasks(_ request: Request, notice: String?) async throws -> Response {
        let principal = try request.requirePrincipal()
        let people = request.people
        let showDone = (try? request.query.get(String.self, at: "status")) == "done"
        let tasks = try await people.tasks(status: showDone ? .done : .open, by: principal)
        let today = try await people.today()
        let rows: [Node<HTML.TableContext>] = tasks.map { task in
            .tr(.td(.text(task.dueDate.description), .if(task.isOverdue(today: today), .span(.class("badge off"), .text("overdue")))),
                .td(.text(task.title)), .td(.a(.href("/people/\(task.employeeNumber)"), .text(task.employeeName))),
                .td(.text(task.kind.rawValue)), .td(.text(task.owner.rawValue)),
                .td(task.status == .open
                    ? .form(.method(.post), .action("/people/tasks/\(task.id)/done"), .class("inline"),
                            Layout.csrfField(request), Layout.submit("Done", style: "secondary"))
                    : .text("done by \(task.doneBy ?? "")")))
        }
        return Layout.page("Tasks", request, notice: notice,
            .p(.class("actions"),
               .a(.class("button"), .href(showDone ? "/people/tasks" : "/people/tasks?status=done"),
                  .text(showDone ? "Open tasks" : "Done tasks")),
               .if(principal.can(Permission("people", .read)), .a(.class("button"), .href("/people/checklists"), .text("Checklists")))),
            .p(.class("muted"), .text("Onboarding and offboarding tasks for your role, your reports, or yourself.")),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Due"), .th("Task"), .th("Employee"), .th("For"), .th("Owner"), .th())),
                .tbody(.group(rows), .if(tasks.isEmpty, .tr(.td(.attribute(named: "colspan", value: "6"), .class("muted"),
                                                                 .text("Nothing here."))))))))
    }

    @Sendable static func completeTask(_ request: Request) async throws -> Response {
        let task = try await request.people.completeTask(request.parameters.get("id") ?? "", by: try request.requirePrincipal())
        return try await renderTasks(request, notice: "\(task.title) for \(task.employeeName): done.")
    }

    // MARK: Checklists

    @Sendable static func checklists(_ request: Request) async throws -> Response {
        try await renderChecklists(request, notice: nil, error: nil)
    }

    static func renderChecklists(_ request: Request, notice: String?, error: DomainError?,
                                 status: HTTPResponseStatus = .ok) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("people", .read))
        let checklists = try await request.people.checklists()
        let shown = error.map { FormError($0) }
        let cards: [Node<HTML.BodyContext>] = checklists.map { checklist in
            .section(.class("card"), .h2(.text("\(checklist.name) (\(checklist.kind.rawValue))")),
                .ul(.forEach(checklist.items) { item in
                    .li(.text("\(item.title) — \(item.owner.rawValue), "
                              + (item.dueOffsetDays == 0 ? "on the day" : item.dueOffsetDays < 0
                                 ? "\(-item.dueOffsetDays) day(s) before" : "\(item.dueOffsetDays) day(s) after")))
                }))
        }
        let form: Node<HTML.BodyContext> = PeoplePages.canWrite(request) ? .section(.class("card"), .h2(.text("Add a checklist")),
            .form(.method(.post), .action("/people/checklists"),
                Layout.csrfField(request), Layout.formError(shown, fields: ["code", "name"]),
                Layout.field("Code", name: "code", value: "", error: shown, required: true),
                Layout.field("Name", name: "name", value: "", error: shown, required: true),
                Layout.select("Starts", name: "kind", options: [("onboarding", "when someone is hired"),
                                                                ("offboarding", "when a leaving date is recorded")],
                              value: "onboarding", error: nil),
                .div(.class("field"), .label(.for("items"), .text("Tasks")),
                     .textarea(.id("items"), .name("items"), .text("")),
                     .p(.class("hint"), .text("One a line: title; owner (hr, it, facilities, payroll, manager, employee); "
                                              + "days from the date (-3 is three days before)"))),
                Layout.submit("Add checklist"))) : .empty
        return Layout.page("Checklists", request, status: status, notice: notice, .group(cards), form)
    }

    struct ChecklistForm: Content {
        var code: String?
        var name: String?
        var kind: String?
        var items: String?
    }

    @Sendable static func createChecklist(_ request: Request) async throws -> Response {
        let form = try request.form(ChecklistForm.self)
        do {
            var items: [Checklist.Item] = []
            for (index, line) in (form.items ?? "").split(whereSeparator: \.isNewline).enumerated() {
                let parts = line.split(separator: ";").map { String($0.trimmed) }
                guard parts.count == 3, let owner = Checklist.Owner(rawValue: parts[1].lowercased()), let days = Int(parts[2]) else {
                    throw DomainError.invalid("people.checklist.line_invalid", "Line \(index + 1): title; owner; days "
                                              + "(owner one of hr, it, facilities, payroll, manager, employee)", field: "items")
                }
                items.append(.init(title: parts[0], owner: owner, dueOffsetDays: days))
            }
            let checklist = try await request.people.createChecklist(
                code: form.code ?? "", name: form.name ?? "", kind: Checklist.Kind(rawValue: form.kind ?? "") ?? .onboarding,
                items: items, by: try request.requirePrincipal())
            return try await renderChecklists(request, notice: "Checklist \(checklist.name) added.", error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderChecklists(request, notice: nil, error: error, status: .unprocessableEntity)
        }
    }

    // MARK: Recruiting

    @Sendable static func openings(_ request: Request) async throws -> Response {
        try await renderOpenings(request, notice: nil, error: nil)
    }

    static func renderOpenings(_ request: Request, notice: String?, error: DomainError?,
                               status: HTTPResponseStatus = .ok) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("people", .write))
        let people = request.people
        let openings = try await people.openings()
        let positions = try await people.positions()
        let directory = try await people.directory()
        let retention = try await people.candidateRetentionDays()
        let shown = error.map { FormError($0) }
        let rows: [Node<HTML.TableContext>] = openings.map { opening in
            .tr(.td(.a(.href("/people/recruiting/\(opening.code)"), .text(opening.title))), .td(.text(opening.code)),
                .td(.text(directory.position(opening.positionID)?.title ?? "")), .td(.text(opening.status.rawValue)),
                .td(.class("num"), .text(String(opening.candidates))))
        }
        return Layout.page("Recruiting", request, status: status, notice: notice,
            .section(.class("card"), .h2(.text("Open a job")),
                .form(.method(.post), .action("/people/recruiting"), .class("filters"),
                    Layout.csrfField(request), Layout.formError(shown, fields: ["code", "title", "position"]),
                    Layout.field("Code", name: "code", value: "", error: shown, required: true),
                    Layout.field("Title", name: "title", value: "", error: shown, required: true),
                    Layout.select("Position", name: "position",
                                  options: [("", "—")] + positions.map { ($0.code, "\($0.title) (\($0.open) open)") },
                                  value: nil, error: shown),
                    Layout.submit("Open"))),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Opening"), .th("Code"), .th("Position"), .th("Status"), .th(.class("num"), .text("In the pipeline")))),
                .tbody(.group(rows), .if(openings.isEmpty, .tr(.td(.attribute(named: "colspan", value: "5"), .class("muted"),
                                                                    .text("No openings yet."))))))),
            .section(.class("card"), .h2(.text("Candidate data retention")),
                .form(.method(.post), .action("/people/recruiting/retention"), .class("filters"),
                    Layout.csrfField(request),
                    Layout.field("Keep for days", name: "days", value: String(retention), error: shown?.field == "days" ? shown : nil,
                                 hint: "After the last step; then the data of candidates not hired is anonymised"),
                    Layout.submit("Save", style: "secondary"))))
    }

    @Sendable static func setRetention(_ request: Request) async throws -> Response {
        struct Form: Content { var days: String? }
        let form = try request.form(Form.self)
        do {
            guard let days = Int((form.days ?? "").trimmingCharacters(in: .whitespaces)) else {
                throw DomainError.invalid("people.candidate.retention_invalid", "A number of days", field: "days")
            }
            try await request.people.setCandidateRetentionDays(days, by: try request.requirePrincipal())
            return try await renderOpenings(request, notice: "Candidates' data is kept \(days) days.", error: nil)
        } catch let error as DomainError where error.kind == .invalid {
            return try await renderOpenings(request, notice: nil, error: error, status: .unprocessableEntity)
        }
    }

    struct OpeningForm: Content {
        var code: String?
        var title: String?
        var position: String?
    }

    @Sendable static func createOpening(_ request: Request) async throws -> Response {
        let form = try request.form(OpeningForm.self)
        do {
            let opening = try await request.people.createOpening(code: form.code ?? "", title: form.title ?? "",
                                                                 position: form.position, by: try request.requirePrincipal())
            return request.redirect(to: "/people/recruiting/\(opening.code)", redirectType: .normal)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderOpenings(request, notice: nil, error: error, status: .unprocessableEntity)
        }
    }

    @Sendable static func board(_ request: Request) async throws -> Response {
        try await renderBoard(request, notice: nil, error: nil)
    }

    /// The pipeline as a board: a column per stage, a card per candidate.
    static func renderBoard(_ request: Request, notice: String?, error: DomainError?,
                            status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let code = request.parameters.get("code") ?? ""
        let people = request.people
        guard let opening = try await people.openings().first(where: { $0.code == code }) else {
            throw DomainError.notFound("people.opening.not_found", "There is no opening '\(code)'")
        }
        let candidates = try await people.candidates(opening: opening.code, by: principal)
        let shown = error.map { FormError($0) }
        let columns: [Node<HTML.BodyContext>] = Candidate.Stage.allCases.map { stage in
            let here = candidates.filter { $0.stage == stage }
            return .div(.class("board-column"),
                .h3(.text("\(stage.rawValue.capitalized) (\(here.count))")),
                .group(here.map { candidate in
                    .div(.class("board-card"), .a(.href("/people/candidates/\(candidate.id)"), .text(candidate.name)),
                         .p(.class("muted"), .text("applied \(candidate.appliedAt.prefix(10))")))
                }))
        }
        return Layout.page("\(opening.title) (\(opening.code))", request, status: status, notice: notice,
            .div(.class("board"), .group(columns)),
            .section(.class("card"), .h2(.text("Add a candidate")),
                .form(.method(.post), .action("/people/recruiting/\(opening.code)/candidates"),
                    Layout.csrfField(request), Layout.formError(shown, fields: ["name", "email"]),
                    Layout.field("Name", name: "name", value: "", error: shown, required: true),
                    Layout.field("Email", name: "email", value: "", error: shown),
                    Layout.field("Phone", name: "phone", value: "", error: nil),
                    Layout.field("Notes", name: "notes", value: "", error: nil),
                    Layout.submit("Add candidate"))),
            .p(.class("muted"), .text("Candidates who are not hired are anonymised once their last step is older than the "
                                      + "retention period (set on the recruiting page).")))
    }

    struct CandidateForm: Content {
        var name: String?
        var email: String?
        var phone: String?
        var notes: String?
    }

    @Sendable static func addCandidate(_ request: Request) async throws -> Response {
        let form = try request.form(CandidateForm.self)
        do {
            let candidate = try await request.people.addCandidate(opening: request.parameters.get("code") ?? "",
                                                                  name: form.name ?? "", email: form.email, phone: form.phone,
                                                                  notes: form.notes, by: try request.requirePrincipal())
            return try await renderBoard(request, notice: "\(candidate.name) added.", error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderBoard(request, notice: nil, error: error, status: .unprocessableEntity)
        }
    }

    @Sendable static func candidate(_ request: Request) async throws -> Response {
        try await renderCandidate(request, notice: nil, error: nil)
    }

    static func renderCandidate(_ request: Request, notice: String?, error: DomainError?,
                                status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let people = request.people
        let (candidate, interviews) = try await people.candidate(request.parameters.get("id") ?? "", by: principal)
        let currency = try await people.companyCurrencyCode()
        let shown = error.map { FormError($0) }
        let open = !candidate.stage.isFinal && !candidate.anonymised
        let facts: Node<HTML.BodyContext> = .section(.class("card"),
            .p(.span(.class("badge"), .text(candidate.stage.rawValue)), .text(" for "),
               .a(.href("/people/recruiting/\(candidate.openingCode)"), .text(candidate.openingCode))),
            .p(.text([candidate.email, candidate.phone].compactMap { $0 }.joined(separator: " · "))),
            .unwrap(candidate.notes) { .p(.text($0)) },
            .unwrap(candidate.offerSalary) { .p(.text("Offer: \(Money(minorUnits: $0, currency: currency).grouped) "
                                                      + "\(currency.code) a year, from \(candidate.offerStart?.description ?? "—")")) },
            .unwrap(candidate.employeeID) { _ in .p(.text("Hired.")) })
        let interviewList: Node<HTML.BodyContext> = .section(.class("card"), .h2(.text("Interviews")),
            .ul(.forEach(interviews) { interview in
                .li(.text("\(interview.date) with \(interview.interviewers)"
                          + (interview.score.map { ", score \($0)/5" } ?? "") + (interview.notes.map { ": \($0)" } ?? "")))
            }),
            .if(open, .form(.method(.post), .action("/people/candidates/\(candidate.id)/interviews"), .class("filters"),
                Layout.csrfField(request),
                Layout.field("Date", name: "date", type: .date, value: "", error: nil, required: true),
                Layout.field("Interviewers", name: "interviewers", value: "", error: nil, required: true),
                Layout.select("Score", name: "score", options: [("", "—"), ("1", "1 no"), ("2", "2"), ("3", "3"), ("4", "4"),
                                                                ("5", "5 strong yes")], value: nil, error: nil),
                Layout.field("Notes", name: "notes", value: "", error: nil),
                Layout.submit("Record interview", style: "secondary"))))
        let move: Node<HTML.BodyContext> = open ? .section(.class("card"), .h2(.text("Next step")),
            .form(.method(.post), .action("/people/candidates/\(candidate.id)/stage"), .class("filters"),
                Layout.csrfField(request), Layout.formError(shown, fields: ["stage", "offerSalary", "offerStart"]),
                Layout.select("Stage", name: "stage", options: Candidate.Stage.allCases.filter { $0 != .hired }
                    .map { ($0.rawValue, $0.rawValue) }, value: candidate.stage.rawValue, error: shown),
                Layout.field("Offered salary", name: "offerSalary", value: "", error: shown, hint: "For an offer"),
                Layout.field("Start date", name: "offerStart", type: .date, value: "", error: shown, hint: "For an offer"),
                Layout.submit("Move", style: "secondary")),
            .if(candidate.stage == .offer, .form(.method(.post), .action("/people/candidates/\(candidate.id)/hire"),
                Layout.csrfField(request),
                .h3(.text("Hire")),
                Layout.field("Start date", name: "hireDate", type: .date, value: candidate.offerStart?.description ?? "",
                             error: shown),
                Layout.field("Work email", name: "workEmail", value: "", error: shown),
                Layout.field("Keel user", name: "user", value: "", error: shown, hint: "Username, if they have one already"),
                Layout.field("Manager", name: "manager", value: "", error: shown, hint: "Employee number"),
                Layout.submit("Hire and start onboarding")))) : .empty
        return Layout.page(candidate.name, request, status: status, notice: notice, facts, move, interviewList)
    }

    struct MoveForm: Content {
        var stage: String?
        var offerSalary: String?
        var offerStart: String?
    }

    @Sendable static func moveCandidate(_ request: Request) async throws -> Response {
        let form = try request.form(MoveForm.self)
        do {
            guard let stage = Candidate.Stage(rawValue: form.stage ?? "") else {
                throw DomainError.invalid("people.candidate.stage_invalid", "Choose a stage", field: "stage")
            }
            let candidate = try await request.people.moveCandidate(request.parameters.get("id") ?? "", to: stage,
                                                                   offerSalary: form.offerSalary, offerStart: form.offerStart,
                                                                   by: try request.requirePrincipal())
            return try await renderCandidate(request, notice: "\(candidate.name) is at \(candidate.stage.rawValue).", error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderCandidate(request, notice: nil, error: error, status: .unprocessableEntity)
        }
    }

    struct InterviewForm: Content {
        var date: String?
        var interviewers: String?
        var score: String?
        var notes: String?
    }

    @Sendable static func recordInterview(_ request: Request) async throws -> Response {
        let form = try request.form(InterviewForm.self)
        do {
            _ = try await request.people.recordInterview(candidate: request.parameters.get("id") ?? "", date: form.date ?? "",
                                                         interviewers: form.interviewers ?? "",
                                                         score: form.score.flatMap { Int($0) }, notes: form.notes,
                                                         by: try request.requirePrincipal())
            return try await renderCandidate(request, notice: "Interview recorded.", error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderCandidate(request, notice: nil, error: error, status: .unprocessableEntity)
        }
    }

    struct HireForm: Content {
        var hireDate: String?
        var workEmail: String?
        var user: String?
        var manager: String?
    }

    @Sendable static func hireCandidate(_ request: Request) async throws -> Response {
        let form = try request.form(HireForm.self)
        do {
            let employee = try await request.people.hireCandidate(request.parameters.get("id") ?? "", HireInput(
                legalName: "", workEmail: form.workEmail.nonBlank, hireDate: form.hireDate ?? "", user: form.user.nonBlank,
                job: AssignmentInput(manager: form.manager.nonBlank)), by: try request.requirePrincipal())
            return request.redirect(to: "/people/\(employee.number)", redirectType: .normal)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderCandidate(request, notice: nil, error: error, status: .unprocessableEntity)
        }
    }
}
