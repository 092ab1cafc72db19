import Foundation
import Kernel
import People
import Platform
import Plot
import Vapor

/// Employees: the list, a record with its history, hiring, changes, leaving and self-service contacts. What a page
/// shows is what `PeopleService` returns, already redacted for the viewer.
enum PeoplePages {
    static let pageSize = 50

    static func register(_ routes: any RoutesBuilder) {
        routes.get("people", use: list)
        routes.get("people.csv", use: csv)
        routes.get("people", "new", use: newForm)
        routes.post("people", use: hire)
        routes.get("people", "me", use: me)
        routes.get("people", "org-chart", use: OrgPages.chart)
        routes.get("people", "organisation", use: OrgPages.organisation)
        routes.post("people", "departments", use: OrgPages.createDepartment)
        routes.post("people", "positions", use: OrgPages.createPosition)
        routes.post("people", "locations", use: OrgPages.createLocation)
        routes.get("people", ":number", use: detail)
        routes.post("people", ":number", "changes", use: change)
        routes.post("people", ":number", "terminate", use: terminate)
        routes.post("people", ":number", "contacts", use: contacts)
        routes.post("people", ":number", "documents", use: attach)
        routes.get("people", ":number", "documents", ":id", use: download)
    }

    static func canWrite(_ request: Request) -> Bool { request.principal?.can(Permission("people", .write)) ?? false }

    // MARK: List

    struct ListQuery: Content {
        var q: String?
        var department: String?
        var status: String?
        var asOf: String?
        var sort: String?
        var page: Int?

        func filter(limit: Int, offset: Int) throws -> PeopleService.Filter {
            PeopleService.Filter(
                search: q, department: department, status: status.flatMap(Employee.Status.init(rawValue:)),
                asOf: try asOf.flatMap { $0.isEmpty ? nil : $0 }.map { text throws(DomainError) in try CivilDate.parse(text, field: "asOf") },
                sort: sort.flatMap(PeopleService.Filter.Sort.init(rawValue:)) ?? .name, limit: limit, offset: offset)
        }

        var parameters: [(String, String?)] {
            [("q", q), ("department", department), ("status", status), ("asOf", asOf), ("sort", sort)]
        }
    }

    @Sendable static func list(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let query = try request.query.decode(ListQuery.self)
        let page = max(query.page ?? 0, 0)
        let people = request.people
        let (employees, total) = try await people.employees(try query.filter(limit: pageSize, offset: page * pageSize),
                                                            by: principal)
        let directory = try await people.directory()
        let departments = try await people.departments()
        let rows: [Node<HTML.TableContext>] = employees.map { employee in
            let job = employee.assignment
            return .tr(.td(.a(.href("/people/\(employee.number)"), .text(employee.number))),
                       .td(.text(employee.displayName)),
                       .td(.text(directory.position(job?.positionID)?.title ?? "")),
                       .td(.text(directory.department(job?.departmentID)?.name ?? "")),
                       .td(.text(directory.employee(job?.managerID)?.name ?? "")),
                       .td(.text(directory.location(job?.locationID)?.name ?? "")),
                       .td(statusBadge(employee)))
        }
        let filters: Node<HTML.BodyContext> = .form(.method(.get), .action("/people"), .class("filters"),
            .div(.class("field"), .label(.for("q"), .text("Search")), .input(.id("q"), .name("q"), .value(query.q ?? ""))),
            Layout.select("Department", name: "department",
                          options: [("", "All")] + departments.map { ($0.code, $0.name) }, value: query.department, error: nil),
            Layout.select("Status", name: "status", options: [("", "All")] + Employee.Status.allCases.map { ($0.rawValue, $0.rawValue) },
                          value: query.status, error: nil),
            .div(.class("field"), .label(.for("asOf"), .text("As of")),
                 .input(.id("asOf"), .name("asOf"), .type(.date), .value(query.asOf ?? ""))),
            Layout.select("Sort", name: "sort", options: PeopleService.Filter.Sort.allCases.map { ($0.rawValue, $0.rawValue) },
                          value: query.sort, error: nil),
            .button(.type(.submit), .text("Show")),
            .a(.class("button"), .href("/people.csv?\(Layout.queryString(query.parameters))"), .text("Download CSV")))
        return Layout.page("Employees", request,
            .p(.class("actions"),
               .if(canWrite(request), .a(.class("button primary"), .href("/people/new"), .text("Hire"))),
               .a(.class("button"), .href("/people/org-chart"), .text("Org chart")),
               .a(.class("button"), .href("/people/organisation"), .text("Departments, positions, locations"))),
            filters,
            .p(.class("muted"), .text(total == 1 ? "1 employee" : "\(total) employees")),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Number"), .th("Name"), .th("Position"), .th("Department"), .th("Manager"), .th("Location"),
                           .th("Status"))),
                .tbody(.group(rows), .if(employees.isEmpty, .tr(.td(.attribute(named: "colspan", value: "7"), .class("muted"),
                                                                     .text("No employees you may see match."))))))),
            Layout.pager("/people", page: page, pageSize: pageSize, total: total, query: query.parameters))
    }

    static func statusBadge(_ employee: Employee) -> Node<HTML.BodyContext> {
        let style = employee.status == .active ? "badge ok" : employee.status == .terminated ? "badge off" : "badge"
        return .span(.class(style), .text(employee.status.rawValue.replacing("_", with: " ")))
    }

    /// The list as CSV: group columns appear only for groups the viewer is granted, and stay empty on rows where
    /// the viewer may not see them.
    @Sendable static func csv(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let query = try request.query.decode(ListQuery.self)
        let people = request.people
        let viewer = try await people.viewer(principal)
        let directory = try await people.directory()
        let groups = viewer.grantedGroups
        var header = ["number", "legal_name", "preferred_name", "work_email", "status", "hire_date", "leaving_date",
                      "position", "department", "manager", "location", "contract_type", "weekly_hours", "fte"]
        if groups.contains(.personal) { header += ["birth_date", "national_id", "private_email", "private_phone"] }
        if groups.contains(.bank) { header += ["iban", "bic"] }
        if groups.contains(.pay) { header += ["salary", "currency", "pay_frequency"] }
        var rows = [header]
        var offset = 0
        while true {
            let (employees, total) = try await people.employees(try query.filter(limit: PeopleService.pageLimitMax, offset: offset),
                                                                by: principal)
            for employee in employees {
                let job = employee.assignment
                var row: [String] = [employee.number, employee.legalName, employee.preferredName ?? "",
                                     employee.workEmail ?? "", employee.status.rawValue, employee.hireDate.description,
                                     employee.leavingDate?.description ?? ""]
                let position: String = directory.position(job?.positionID)?.code ?? ""
                let department: String = directory.department(job?.departmentID)?.code ?? ""
                let manager: String = directory.employee(job?.managerID)?.number ?? ""
                let location: String = directory.location(job?.locationID)?.code ?? ""
                let hours: String = job.map { "\($0.weeklyHours)" } ?? ""
                let fte: String = job.map { "\($0.fte)" } ?? ""
                row += [position, department, manager, location, job?.contractType.rawValue ?? "", hours, fte]
                if groups.contains(.personal) {
                    let personal = employee.personal
                    let birth: String = personal?.birthDate?.description ?? ""
                    row += [birth, personal?.nationalID ?? "", personal?.privateEmail ?? "", personal?.privatePhone ?? ""]
                }
                if groups.contains(.bank) { row += [employee.bank?.iban ?? "", employee.bank?.bic ?? ""] }
                if groups.contains(.pay) {
                    let salary: String = job?.salary.map { Money(minorUnits: $0, currency: job?.currency ?? .eur).decimalString } ?? ""
                    row += [salary, job?.currency?.code ?? "", job?.payFrequency?.rawValue ?? ""]
                }
                rows.append(row)
            }
            offset += employees.count
            if employees.isEmpty || offset >= total { break }
        }
        return ReportPages.csv(rows: rows, filename: "employees.csv")
    }

    // MARK: Record

    @Sendable static func me(_ request: Request) async throws -> Response {
        let employee = try await request.people.me(by: try request.requirePrincipal())
        return request.redirect(to: "/people/\(employee.number)", redirectType: .normal)
    }

    @Sendable static func detail(_ request: Request) async throws -> Response {
        try await renderDetail(request, notice: nil, error: nil)
    }

    static func renderDetail(_ request: Request, notice: String?, error: DomainError?, form: String? = nil,
                             status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let people = request.people
        let number = request.parameters.get("number") ?? ""
        let asOf = try (try? request.query.get(String.self, at: "asOf")).flatMap { $0.isEmpty ? nil : $0 }
            .map { text throws(DomainError) in try CivilDate.parse(text, field: "asOf") }
        let employee = try await people.employee(number, asOf: asOf, by: principal)
        let history = try await people.history(employee.number, by: principal)
        let viewer = try await people.viewer(principal)
        let directory = try await people.directory()
        let job = employee.assignment
        let shown = error.map { FormError($0) }
        func item(_ label: String, _ value: String?) -> Node<HTML.BodyContext> {
            .group(.element(named: "dt", text: label), .element(named: "dd", text: value ?? "—"))
        }
        let hiddenNote: Node<HTML.BodyContext> = employee.hidden.filter { $0 != .cases }.isEmpty ? .empty
            : .p(.class("muted"), .text("Not shown to you: " + employee.hidden.filter { $0 != .cases }.map(\.rawValue)
                .joined(separator: ", ") + "."))
        let money = job?.salary.map { "\(Money(minorUnits: $0, currency: job?.currency ?? .eur).grouped) \(job?.currency?.code ?? "") "
            + "a year, paid \(job?.payFrequency?.rawValue ?? "")" }
        let summary: Node<HTML.BodyContext> = .section(.class("card"),
            .p(statusBadge(employee), .text(" hired \(employee.hireDate)"),
               .unwrap(employee.leavingDate) { .text(", leaving \($0)") }),
            .element(named: "dl", nodes: [
                item("Legal name", employee.legalName), item("Preferred name", employee.preferredName),
                item("Work email", employee.workEmail), item("Work phone", employee.workPhone),
                item("Position", directory.position(job?.positionID)?.title),
                item("Department", directory.department(job?.departmentID)?.name),
                item("Manager", directory.employee(job?.managerID).map { "\($0.name) (\($0.number))" }),
                item("Location", directory.location(job?.locationID)?.name),
                item("Contract", job.map { "\($0.contractType.rawValue.replacing("_", with: " ")), \($0.weeklyHours) h a week, FTE \($0.fte)" }),
                .if(job?.salary != nil, item("Salary", money)),
            ]),
            hiddenNote,
            .form(.method(.get), .action("/people/\(employee.number)"), .class("filters"),
                .div(.class("field"), .label(.for("asOf"), .text("Job as of")),
                     .input(.id("asOf"), .name("asOf"), .type(.date), .value(asOf?.description ?? ""))),
                .button(.type(.submit), .text("Show"))))
        let personal: Node<HTML.BodyContext> = .unwrap(employee.personal) { personal in
            .section(.class("card"), .h2(.text("Personal")),
                .element(named: "dl", nodes: [
                    item("Birth date", personal.birthDate?.description), item("National id", personal.nationalID),
                    item("Home address", personal.homeAddress.isEmpty ? nil : personal.homeAddress.lines.joined(separator: ", ")),
                    item("Private email", personal.privateEmail), item("Private phone", personal.privatePhone),
                    item("Emergency contacts", personal.emergencyContacts.isEmpty ? nil : personal.emergencyContacts.map {
                        "\($0.name)\($0.relation.map { " (\($0))" } ?? ""): \($0.phone)" }.joined(separator: "; ")),
                ]))
        }
        let bank: Node<HTML.BodyContext> = .unwrap(employee.bank) { bank in
            .section(.class("card"), .h2(.text("Bank")),
                .element(named: "dl", nodes: [item("IBAN", bank.iban.map(IBAN.printed)), item("BIC", bank.bic)]))
        }
        let historyRows: [Node<HTML.TableContext>] = history.reversed().map { row in
            .tr(.td(.text(row.effectiveDate.description)), .td(.text(row.reason.rawValue)),
                .td(.text(directory.position(row.positionID)?.title ?? "")),
                .td(.text(directory.department(row.departmentID)?.name ?? "")),
                .td(.text(directory.employee(row.managerID)?.name ?? "")),
                .td(.text("\(row.fte)")),
                .td(.class("num"), .text(row.salary.map { Money(minorUnits: $0, currency: row.currency ?? .eur).grouped } ?? "—")),
                .td(.text(row.note ?? "")))
        }
        let historySection: Node<HTML.BodyContext> = .section(.class("card"), .h2(.text("History")),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("From"), .th("Reason"), .th("Position"), .th("Department"), .th("Manager"), .th("FTE"),
                           .th(.class("num"), .text("Salary")), .th("Note"))),
                .tbody(.group(historyRows)))))
        let writer = canWrite(request) && employee.status != .terminated
        let positions = writer ? try await people.positions() : []
        let departments = writer ? try await people.departments() : []
        let changeForm: Node<HTML.BodyContext> = writer ? .section(.class("card"), .h2(.text("Record a change")),
            .form(.method(.post), .action("/people/\(employee.number)/changes"),
                Layout.csrfField(request),
                Layout.formError(form == "change" ? shown : nil, fields: ["effectiveDate", "reason"]),
                Layout.field("From", name: "effectiveDate", type: .date, value: "", error: form == "change" ? shown : nil,
                             required: true),
                Layout.select("Reason", name: "reason", options: [("promotion", "promotion"), ("transfer", "transfer"),
                                                                  ("raise", "raise"), ("change", "other change")],
                              value: "change", error: nil),
                Layout.select("Position", name: "position", options: [("", "unchanged")] + positions.map { ($0.code, $0.title) },
                              value: nil, error: nil),
                Layout.select("Department", name: "department",
                              options: [("", "unchanged")] + departments.map { ($0.code, $0.name) }, value: nil, error: nil),
                Layout.field("Manager", name: "manager", value: "", error: nil, hint: "Employee number; empty: unchanged"),
                Layout.field("Salary", name: "salary", value: "", error: nil, hint: "A year; empty: unchanged"),
                Layout.field("FTE", name: "fte", value: "", error: nil, hint: "0.5 for half time; empty: unchanged"),
                Layout.field("Note", name: "note", value: "", error: nil),
                Layout.submit("Record change"))) : .empty
        let terminateForm: Node<HTML.BodyContext> = writer ? .section(.class("card"), .h2(.text("Leaving")),
            .form(.method(.post), .action("/people/\(employee.number)/terminate"),
                Layout.csrfField(request),
                Layout.formError(form == "terminate" ? shown : nil, fields: ["leavingDate"]),
                Layout.field("Last day employed", name: "leavingDate", type: .date, value: "",
                             error: form == "terminate" ? shown : nil, required: true,
                             hint: "A linked user is disabled on that day"),
                Layout.field("Note", name: "note", value: "", error: nil),
                Layout.submit("Record leaving", style: "secondary"))) : .empty
        let mayEditContacts = viewer.isSelf(employee.id) || (canWrite(request) && viewer.grantedGroups.contains(.personal))
        let contactForm: Node<HTML.BodyContext> = mayEditContacts ? .section(.class("card"), .h2(.text("Contact details")),
            .form(.method(.post), .action("/people/\(employee.number)/contacts"),
                Layout.csrfField(request),
                Layout.formError(form == "contacts" ? shown : nil, fields: ["privateEmail", "privatePhone", "workPhone"]),
                Layout.field("Work phone", name: "workPhone", value: employee.workPhone ?? "", error: nil),
                Layout.field("Private email", name: "privateEmail", value: employee.personal?.privateEmail ?? "",
                             error: form == "contacts" ? shown : nil),
                Layout.field("Private phone", name: "privatePhone", value: employee.personal?.privatePhone ?? "", error: nil),
                .div(.class("field"), .label(.for("emergency"), .text("Emergency contacts")),
                     .textarea(.id("emergency"), .name("emergency"),
                               .text((employee.personal?.emergencyContacts ?? []).map {
                                   [$0.name, $0.relation ?? "", $0.phone].joined(separator: "; ") }.joined(separator: "\n"))),
                     .p(.class("hint"), .text("One a line: name; relation; phone"))),
                Layout.submit("Save contact details"))) : .empty
        let documents = try await people.documents(employee.number, by: principal)
        let documentRows: [Node<HTML.TableContext>] = documents.map { document in
            .tr(.td(.a(.href("/people/\(employee.number)/documents/\(document.id)"), .text(document.title))),
                .td(.text(document.kind.rawValue)), .td(.text(document.confidentiality.rawValue)),
                .td(.class("num"), .text("\(max(document.size / 1024, 1)) KB")), .td(.text(String(document.uploadedAt.prefix(10)))))
        }
        let documentSection: Node<HTML.BodyContext> = .section(.class("card"), .h2(.text("Documents")),
            .if(!documents.isEmpty, .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Title"), .th("Kind"), .th("Who may read"), .th(.class("num"), .text("Size")), .th("Added"))),
                .tbody(.group(documentRows))))),
            .if(documents.isEmpty, .p(.class("muted"), .text("No documents you may read."))),
            .if(canWrite(request), .form(.method(.post), .action("/people/\(employee.number)/documents"), .class("filters"),
                .attribute(named: "enctype", value: "multipart/form-data"),
                Layout.csrfField(request),
                Layout.formError(form == "document" ? shown : nil, fields: ["title", "file"]),
                Layout.field("Title", name: "title", value: "", error: form == "document" ? shown : nil, required: true),
                Layout.select("Kind", name: "kind", options: EmployeeDocument.Kind.allCases.map { ($0.rawValue, $0.rawValue) },
                              value: "contract", error: nil),
                Layout.select("Who may read", name: "confidentiality", options: [
                    ("personal", "the employee and hr"), ("general", "everyone who sees the record"), ("hr", "hr only")],
                              value: "personal", error: nil),
                .div(.class("field"), .label(.for("file"), .text("File")),
                     .input(.id("file"), .name("file"), .type(.file), .attribute(named: "required", value: "required"))),
                Layout.submit("Attach", style: "secondary"))))
        return Layout.page("\(employee.displayName) (\(employee.number))", request, status: status, notice: notice,
                           summary, personal, bank, historySection, documentSection, contactForm, changeForm, terminateForm)
    }

    struct ChangeForm: Content {
        var effectiveDate: String?
        var reason: String?
        var position: String?
        var department: String?
        var manager: String?
        var salary: String?
        var fte: String?
        var note: String?
    }

    @Sendable static func change(_ request: Request) async throws -> Response {
        let form = try request.form(ChangeForm.self)
        do {
            let employee = try await request.people.change(request.parameters.get("number") ?? "", ChangeInput(
                effectiveDate: form.effectiveDate ?? "", reason: form.reason,
                job: AssignmentInput(position: form.position.nonBlank, department: form.department.nonBlank,
                                     manager: form.manager.nonBlank, fte: form.fte.nonBlank, salary: form.salary.nonBlank,
                                     note: form.note.nonBlank)), by: try request.requirePrincipal())
            return try await renderDetail(request, notice: "Change from \(employee.assignment?.effectiveDate.description ?? "") recorded.",
                                          error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderDetail(request, notice: nil, error: error, form: "change", status: .unprocessableEntity)
        }
    }

    struct TerminateForm: Content {
        var leavingDate: String?
        var note: String?
    }

    @Sendable static func terminate(_ request: Request) async throws -> Response {
        let form = try request.form(TerminateForm.self)
        do {
            let employee = try await request.people.terminate(request.parameters.get("number") ?? "",
                                                              leavingDate: form.leavingDate ?? "", note: form.note,
                                                              by: try request.requirePrincipal())
            return try await renderDetail(request, notice: "Leaving on \(employee.leavingDate?.description ?? "") recorded.",
                                          error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderDetail(request, notice: nil, error: error, form: "terminate", status: .unprocessableEntity)
        }
    }

    struct ContactForm: Content {
        var workPhone: String?
        var privateEmail: String?
        var privatePhone: String?
        var emergency: String?

        var input: ContactInput {
            ContactInput(workPhone: workPhone, privateEmail: privateEmail, privatePhone: privatePhone,
                         emergencyContacts: (emergency ?? "").split(whereSeparator: \.isNewline).compactMap { line in
                             let parts = line.split(separator: ";", omittingEmptySubsequences: false).map { String($0.trimmed) }
                             guard parts.contains(where: { !$0.isEmpty }) else { return nil }
                             return EmergencyContact(name: parts[0], relation: parts.count > 2 ? parts[1] : nil,
                                                     phone: parts.count > 2 ? parts[2] : parts.count > 1 ? parts[1] : "")
                         })
        }
    }

    @Sendable static func contacts(_ request: Request) async throws -> Response {
        let form = try request.form(ContactForm.self)
        do {
            _ = try await request.people.updateContacts(request.parameters.get("number") ?? "", form.input,
                                                        by: try request.requirePrincipal())
            return try await renderDetail(request, notice: "Contact details saved.", error: nil)
        } catch let error as DomainError where error.kind == .invalid {
            return try await renderDetail(request, notice: nil, error: error, form: "contacts", status: .unprocessableEntity)
        }
    }

    // MARK: Documents

    struct DocumentForm: Content {
        var title: String?
        var kind: String?
        var confidentiality: String?
        var file: File?
    }

    @Sendable static func attach(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.content.decode(DocumentForm.self)
        do {
            guard let file = form.file, file.data.readableBytes > 0 else {
                throw DomainError.invalid("people.document.empty", "Choose a file", field: "file")
            }
            let document = try await request.people.attachDocument(
                request.parameters.get("number") ?? "", title: form.title ?? "",
                kind: EmployeeDocument.Kind(rawValue: form.kind ?? "") ?? .other,
                confidentiality: EmployeeDocument.Confidentiality(rawValue: form.confidentiality ?? "") ?? .personal,
                filename: file.filename, contentType: file.contentType?.serialize(), data: Data(buffer: file.data),
                by: principal)
            return try await renderDetail(request, notice: "\(document.title) attached.", error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .tooLarge {
            return try await renderDetail(request, notice: nil, error: error, form: "document", status: .unprocessableEntity)
        }
    }

    @Sendable static func download(_ request: Request) async throws -> Response {
        let (document, data) = try await request.people.document(request.parameters.get("number") ?? "",
                                                                 id: request.parameters.get("id") ?? "",
                                                                 by: try request.requirePrincipal())
        let response = Response(status: .ok, body: .init(data: data))
        let parts = document.contentType.split(separator: "/", maxSplits: 1).map(String.init)
        response.headers.contentType = parts.count == 2 ? HTTPMediaType(type: parts[0], subType: parts[1]) : .binary
        // Always a download: a stored HTML or SVG file must never render on Keel's origin.
        response.headers.contentDisposition = .init(.attachment, filename: document.filename)
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    // MARK: Hire

    struct HireForm: Content {
        var legalName: String?
        var preferredName: String?
        var workEmail: String?
        var hireDate: String?
        var user: String?
        var position: String?
        var department: String?
        var manager: String?
        var location: String?
        var contractType: String?
        var weeklyHours: String?
        var fte: String?
        var salary: String?
        var payFrequency: String?
        var birthDate: String?
        var nationalId: String?
        var iban: String?

        var input: HireInput {
            return HireInput(legalName: legalName ?? "", preferredName: preferredName.nonBlank, workEmail: workEmail.nonBlank,
                             hireDate: hireDate ?? "", user: user.nonBlank,
                             personal: PersonalInput(birthDate: birthDate.nonBlank, nationalID: nationalId.nonBlank),
                             bank: BankInput(iban: iban.nonBlank),
                             job: AssignmentInput(position: position.nonBlank, department: department.nonBlank,
                                                  manager: manager.nonBlank, location: location.nonBlank,
                                                  contractType: contractType.nonBlank, weeklyHours: weeklyHours.nonBlank,
                                                  fte: fte.nonBlank, salary: salary.nonBlank, payFrequency: payFrequency.nonBlank))
        }
    }

    @Sendable static func newForm(_ request: Request) async throws -> Response {
        guard canWrite(request) else { throw DomainError.forbidden("auth.forbidden", "You may not hire") }
        return try await renderHire(request, form: HireForm(), error: nil)
    }

    static func renderHire(_ request: Request, form: HireForm, error: DomainError?,
                           status: HTTPResponseStatus = .ok) async throws -> Response {
        let people = request.people
        let positions = try await people.positions()
        let departments = try await people.departments()
        let locations = try await people.locations()
        // "job.salary" is shown beside "salary", "personal.birthDate" beside "birthDate".
        let shown = error.map { error in
            FormError(field: error.field.map { String($0.split(separator: ".").last ?? "") }, message: error.message)
        }
        func field(_ label: String, _ name: String, _ value: String?, type: HTMLInputType = .text, hint: String? = nil,
                   required: Bool = false) -> Node<HTML.FormContext> {
            Layout.field(label, name: name, type: type, value: value ?? "", error: shown, required: required, hint: hint)
        }
        let names = ["legalName", "preferredName", "workEmail", "hireDate", "user", "position", "department", "manager",
                     "location", "contractType", "weeklyHours", "fte", "salary", "payFrequency", "birthDate", "nationalId", "iban"]
        return Layout.page("Hire", request, status: status,
            .section(.class("card"), .form(.method(.post), .action("/people"),
                Layout.csrfField(request),
                Layout.formError(shown, fields: names),
                field("Legal name", "legalName", form.legalName, required: true),
                field("Preferred name", "preferredName", form.preferredName),
                field("Work email", "workEmail", form.workEmail),
                field("Hire date", "hireDate", form.hireDate, type: .date, required: true),
                field("Keel user", "user", form.user, hint: "Username, for self-service and approvals"),
                Layout.select("Position", name: "position", options: [("", "—")] + positions.map { ($0.code, "\($0.title) (\($0.open) open)") },
                              value: form.position, error: shown),
                Layout.select("Department", name: "department", options: [("", "—")] + departments.map { ($0.code, $0.name) },
                              value: form.department, error: shown),
                field("Manager", "manager", form.manager, hint: "Employee number"),
                Layout.select("Location", name: "location", options: [("", "—")] + locations.map { ($0.code, $0.name) },
                              value: form.location, error: shown),
                Layout.select("Contract", name: "contractType",
                              options: Assignment.ContractType.allCases.map { ($0.rawValue, $0.rawValue.replacing("_", with: " ")) },
                              value: form.contractType, error: shown),
                field("Weekly hours", "weeklyHours", form.weeklyHours, hint: "Empty: 40"),
                field("FTE", "fte", form.fte, hint: "Empty: 1"),
                field("Annual salary", "salary", form.salary),
                Layout.select("Paid", name: "payFrequency",
                              options: Assignment.PayFrequency.allCases.map { ($0.rawValue, $0.rawValue) },
                              value: form.payFrequency, error: shown),
                field("Birth date", "birthDate", form.birthDate, type: .date),
                field("National id", "nationalId", form.nationalId),
                field("IBAN", "iban", form.iban),
                Layout.submit("Hire"))))
    }

    @Sendable static func hire(_ request: Request) async throws -> Response {
        let form = try request.form(HireForm.self)
        do {
            let employee = try await request.people.hire(form.input, by: try request.requirePrincipal())
            return request.redirect(to: "/people/\(employee.number)", redirectType: .normal)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderHire(request, form: form, error: error, status: .unprocessableEntity)
        }
    }
}
