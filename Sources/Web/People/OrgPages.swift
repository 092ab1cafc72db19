import Foundation
import Kernel
import People
import Platform
import Plot
import Vapor

/// The organisation: departments (a tree), positions with budgeted and filled headcount, locations, and the org
/// chart drawn from the manager hierarchy.
enum OrgPages {
    // MARK: Org chart

    @Sendable static func chart(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let people = request.people
        let department = (try? request.query.get(String.self, at: "department")).flatMap { $0.isEmpty ? nil : $0 }
        let (employees, _) = try await people.employees(.init(department: department, status: .active,
                                                              limit: PeopleService.pageLimitMax), by: principal)
        let directory = try await people.directory()
        let departments = try await people.departments()
        let nodes = employees.map { employee in
            OrgChart.Node(id: employee.id, title: employee.displayName,
                          subtitle: directory.position(employee.assignment?.positionID)?.title
                            ?? directory.department(employee.assignment?.departmentID)?.name ?? "",
                          managerID: employee.assignment?.managerID)
        }
        let numbers = Dictionary(uniqueKeysWithValues: employees.map { ($0.id, $0.number) })
        return Layout.page("Org chart", request,
            .form(.method(.get), .action("/people/org-chart"), .class("filters"),
                Layout.select("Department", name: "department",
                              options: [("", "Whole company")] + departments.map { ($0.code, $0.name) },
                              value: department, error: nil),
                .button(.type(.submit), .text("Show"))),
            nodes.isEmpty ? .p(.class("muted"), .text("No one to show."))
                : .div(.class("org-chart"), .raw(svg(OrgChart.layout(nodes), numbers: numbers))),
            .p(.class("muted"), .text("Drawn from each employee's manager today; a box links to the record.")))
    }

    static let boxWidth = 168.0, boxHeight = 46.0, gapX = 24.0, gapY = 30.0

    /// The tree as SVG: a box per person (name and position, linking to the record) and a line to the manager.
    static func svg(_ placed: [OrgChart.Placed], numbers: [String: String]) -> String {
        let width = (placed.map(\.x).max() ?? 0) * (boxWidth + gapX) + boxWidth + 2 * gapX
        let height = Double((placed.map(\.y).max() ?? 0) + 1) * (boxHeight + gapY) + gapY
        func left(_ item: OrgChart.Placed) -> Double { gapX + item.x * (boxWidth + gapX) }
        func top(_ item: OrgChart.Placed) -> Double { gapY / 2 + Double(item.y) * (boxHeight + gapY) }
        let byID = Dictionary(uniqueKeysWithValues: placed.map { ($0.node.id, $0) })
        var svg = "<svg class=\"org\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" role=\"img\" "
            + "aria-label=\"Org chart\" xmlns=\"http://www.w3.org/2000/svg\"><title>Org chart</title>"
        for item in placed {
            guard let manager = item.node.managerID.flatMap({ byID[$0] }) else { continue }
            if item.stacked {
                // Down the manager's left edge, then across into the report's box.
                let x1 = left(manager) + 6, y1 = top(manager) + boxHeight
                let y2 = top(item) + boxHeight / 2
                svg += "<path class=\"org-line\" d=\"M\(Charts.f(x1)) \(Charts.f(y1)) V\(Charts.f(y2)) H\(Charts.f(left(item)))\"/>"
                continue
            }
            let x1 = left(manager) + boxWidth / 2, y1 = top(manager) + boxHeight
            let x2 = left(item) + boxWidth / 2, y2 = top(item)
            let middle = (y1 + y2) / 2
            svg += "<path class=\"org-line\" d=\"M\(Charts.f(x1)) \(Charts.f(y1)) V\(Charts.f(middle)) H\(Charts.f(x2)) V\(Charts.f(y2))\"/>"
        }
        for item in placed {
            let x = left(item), y = top(item)
            let number = numbers[item.node.id] ?? ""
            svg += "<a href=\"/people/\(Charts.escape(number))\"><g class=\"org-box\">"
                + "<rect x=\"\(Charts.f(x))\" y=\"\(Charts.f(y))\" width=\"\(Int(boxWidth))\" height=\"\(Int(boxHeight))\" rx=\"6\"/>"
                + "<text class=\"org-name\" x=\"\(Charts.f(x + 10))\" y=\"\(Charts.f(y + 19))\">\(Charts.escape(clip(item.node.title)))</text>"
                + "<text class=\"org-title\" x=\"\(Charts.f(x + 10))\" y=\"\(Charts.f(y + 36))\">\(Charts.escape(clip(item.node.subtitle)))</text>"
                + "<title>\(Charts.escape(item.node.title)), \(Charts.escape(item.node.subtitle))</title></g></a>"
        }
        return svg + "</svg>"
    }

    static func clip(_ text: String) -> String { text.count > 24 ? String(text.prefix(23)) + "…" : text }

    // MARK: Departments, positions, locations

    @Sendable static func organisation(_ request: Request) async throws -> Response {
        try await render(request, notice: nil, error: nil)
    }

    static func render(_ request: Request, notice: String?, error: (form: String, error: DomainError)?,
                       status: HTTPResponseStatus = .ok) async throws -> Response {
        _ = try request.requirePrincipal()
        let people = request.people
        let departments = try await people.departments()
        let positions = try await people.positions()
        let locations = try await people.locations()
        let names = Dictionary(uniqueKeysWithValues: departments.map { ($0.id, $0.name) })
        let writer = PeoplePages.canWrite(request)
        func shown(_ form: String) -> FormError? { error.flatMap { $0.form == form ? FormError($0.error) : nil } }
        // Departments as a tree: each under its parent, indented by depth.
        var ordered: [(Department, Int)] = []
        func walk(_ parent: String?, _ depth: Int) {
            for department in departments where department.parentID == parent {
                ordered.append((department, depth))
                if depth < 20 { walk(department.id, depth + 1) }
            }
        }
        walk(nil, 0)
        let departmentRows: [Node<HTML.TableContext>] = ordered.map { department, depth in
            .tr(.td(.class("indent-\(min(depth, 3))"), .text(department.name)), .td(.text(department.code)),
                .td(.a(.href("/people?department=\(department.code)"), .text("employees"))),
                .td(.a(.href("/people/org-chart?department=\(department.code)"), .text("chart"))))
        }
        let positionRows: [Node<HTML.TableContext>] = positions.map { position in
            .tr(.td(.text(position.title)), .td(.text(position.code)),
                .td(.text(position.departmentID.flatMap { names[$0] } ?? "")),
                .td(.class("num"), .text(String(position.budgetedHeadcount))), .td(.class("num"), .text(String(position.filled))),
                .td(.class("num"), .text(String(position.open))))
        }
        let departmentOptions: [(value: String, label: String)] = [("", "—")] + departments.map { ($0.code, $0.name) }
        let departmentForm: Node<HTML.BodyContext> = writer ? .form(.method(.post), .action("/people/departments"), .class("filters"),
            Layout.csrfField(request), Layout.formError(shown("department"), fields: ["code", "name", "parent"]),
            Layout.field("Code", name: "code", value: "", error: shown("department"), required: true),
            Layout.field("Name", name: "name", value: "", error: shown("department"), required: true),
            Layout.select("Under", name: "parent", options: departmentOptions, value: nil, error: shown("department")),
            Layout.submit("Add department")) : .empty
        let positionForm: Node<HTML.BodyContext> = writer ? .form(.method(.post), .action("/people/positions"), .class("filters"),
            Layout.csrfField(request),
            Layout.formError(shown("position"), fields: ["code", "title", "department", "budgetedHeadcount"]),
            Layout.field("Code", name: "code", value: "", error: shown("position"), required: true),
            Layout.field("Title", name: "title", value: "", error: shown("position"), required: true),
            Layout.select("Department", name: "department", options: departmentOptions, value: nil, error: shown("position")),
            Layout.field("Budgeted headcount", name: "budgetedHeadcount", value: "1", error: shown("position")),
            Layout.submit("Add position")) : .empty
        let locationForm: Node<HTML.BodyContext> = writer ? .form(.method(.post), .action("/people/locations"), .class("filters"),
            Layout.csrfField(request), Layout.formError(shown("location"), fields: ["code", "name", "country"]),
            Layout.field("Code", name: "code", value: "", error: shown("location"), required: true),
            Layout.field("Name", name: "name", value: "", error: shown("location"), required: true),
            Layout.field("Country", name: "country", value: "", error: shown("location"), hint: "Two letters"),
            Layout.submit("Add location")) : .empty
        return Layout.page("Organisation", request, status: status, notice: notice,
            .section(.class("card"), .h2(.text("Departments")), departmentForm,
                .div(.class("table-wrap"), .table(.thead(.tr(.th("Name"), .th("Code"), .th(), .th())),
                                                  .tbody(.group(departmentRows))))),
            .section(.class("card"), .h2(.text("Positions")), positionForm,
                .div(.class("table-wrap"), .table(
                    .thead(.tr(.th("Title"), .th("Code"), .th("Department"), .th(.class("num"), .text("Budgeted")),
                               .th(.class("num"), .text("Filled")), .th(.class("num"), .text("Open")))),
                    .tbody(.group(positionRows))))),
            .section(.class("card"), .h2(.text("Locations")), locationForm,
                .ul(.forEach(locations) { .li(.text("\($0.name) (\($0.code)\($0.country.map { ", \($0)" } ?? ""))")) })))
    }

    struct CodeForm: Content {
        var code: String?
        var name: String?
        var title: String?
        var parent: String?
        var department: String?
        var budgetedHeadcount: String?
        var country: String?
    }

    static func save(_ request: Request, form name: String,
                     _ work: (CodeForm, Principal) async throws -> String) async throws -> Response {
        let form = try request.form(CodeForm.self)
        do {
            let notice = try await work(form, try request.requirePrincipal())
            return try await render(request, notice: notice, error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await render(request, notice: nil, error: (name, error), status: .unprocessableEntity)
        }
    }

    @Sendable static func createDepartment(_ request: Request) async throws -> Response {
        try await save(request, form: "department") { form, principal in
            let department = try await request.people.createDepartment(code: form.code ?? "", name: form.name ?? "",
                                                                       parent: form.parent, by: principal)
            return "Department \(department.name) added."
        }
    }

    @Sendable static func createPosition(_ request: Request) async throws -> Response {
        try await save(request, form: "position") { form, principal in
            guard let headcount = Int((form.budgetedHeadcount ?? "").trimmingCharacters(in: .whitespaces)) else {
                throw DomainError.invalid("people.position.headcount_invalid", "Budgeted headcount is a whole number",
                                          field: "budgetedHeadcount")
            }
            let position = try await request.people.createPosition(code: form.code ?? "", title: form.title ?? "",
                                                                   department: form.department,
                                                                   budgetedHeadcount: headcount, by: principal)
            return "Position \(position.title) added."
        }
    }

    @Sendable static func createLocation(_ request: Request) async throws -> Response {
        try await save(request, form: "location") { form, principal in
            let location = try await request.people.createLocation(code: form.code ?? "", name: form.name ?? "",
                                                                   country: form.country, by: principal)
            return "Location \(location.name) added."
        }
    }
}
