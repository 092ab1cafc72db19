import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// A checklist template: tasks that start when someone joins (onboarding) or leaves (offboarding).
public struct Checklist: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case onboarding, offboarding }

    /// Who does a task: a team by role, the employee's manager, or the employee.
    public enum Owner: String, Sendable, Codable, CaseIterable { case hr, it, facilities, payroll, manager, employee }

    public struct Item: Sendable, Codable, Equatable {
        public let title: String
        public let owner: Owner
        /// Days from the start date (onboarding) or the leaving date (offboarding); negative is before.
        public let dueOffsetDays: Int

        public init(title: String, owner: Owner, dueOffsetDays: Int) {
            self.title = title
            self.owner = owner
            self.dueOffsetDays = dueOffsetDays
        }
    }

    public let id: String
    public let code: String
    public let name: String
    public let kind: Kind
    public let items: [Item]
}

/// One task of one employee's onboarding or offboarding, in its owner's inbox.
public struct PeopleTask: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case open, done }

    public let id: String
    public let employeeID: String
    public let employeeNumber: String
    public let employeeName: String
    public let kind: Checklist.Kind
    public let title: String
    public let owner: Checklist.Owner
    public let dueDate: CivilDate
    public let status: Status
    public let doneBy: String?
    public let doneAt: String?

    public func isOverdue(today: CivilDate) -> Bool { status == .open && dueDate < today }
}

extension PeopleService {
    public func checklists() async throws -> [Checklist] {
        let rows = try await db.sql.select().column("*").from("people_checklists").where("archived", .equal, false)
            .orderBy("kind").orderBy("name").all()
        let items = try await db.sql.select().column("*").from("people_checklist_items").orderBy("position").all()
        var byChecklist: [String: [Checklist.Item]] = [:]
        for row in items {
            byChecklist[try PeopleRows.id(row, "checklist_id"), default: []].append(Checklist.Item(
                title: try row.decode(column: "title", as: String.self),
                owner: Checklist.Owner(rawValue: try row.decode(column: "owner", as: String.self)) ?? .hr,
                dueOffsetDays: try row.decode(column: "due_offset_days", as: Int.self)))
        }
        return try rows.map { row in
            let id = try PeopleRows.id(row)
            return Checklist(id: id, code: try row.decode(column: "code", as: String.self),
                             name: try row.decode(column: "name", as: String.self),
                             kind: Checklist.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .onboarding,
                             items: byChecklist[id] ?? [])
        }
    }

    /// Adds a checklist template with its tasks (needs people:write). Hiring starts every onboarding checklist;
    /// recording a leaving date starts every offboarding one.
    public func createChecklist(code: String, name: String, kind: Checklist.Kind, items: [Checklist.Item],
                                by actor: Principal) async throws -> Checklist {
        try Self.requireWrite(actor)
        let code = try Self.checkCode(code, noun: "checklist")
        let name = try Self.checkName(name, noun: "checklist")
        guard (1...100).contains(items.count) else {
            throw DomainError.invalid("people.checklist.items_count", "A checklist has 1 to 100 tasks", field: "items")
        }
        for (index, item) in items.enumerated() {
            guard (1...200).contains(item.title.trimmed.count) else {
                throw DomainError.invalid("people.checklist.title_invalid", "Task \(index + 1) needs a title of 1 to 200 characters",
                                          field: "items[\(index)].title")
            }
            guard (-365...365).contains(item.dueOffsetDays) else {
                throw DomainError.invalid("people.checklist.offset_invalid", "Task \(index + 1) is due within a year of the date",
                                          field: "items[\(index)].dueOffsetDays")
            }
        }
        let service = self
        return try await writeTransaction(db) { tx in
            try await service.on(tx).requireFree("people_checklists", code: code, noun: "checklist")
            let id = UUID.v7()
            try await tx.sql.insert(into: "people_checklists").columns("id", "code", "name", "kind", "archived")
                .values(SQLBind(id), SQLBind(code), SQLBind(name), SQLBind(kind.rawValue), SQLBind(false)).run()
            for (index, item) in items.enumerated() {
                try await tx.sql.insert(into: "people_checklist_items")
                    .columns("id", "checklist_id", "position", "title", "owner", "due_offset_days")
                    .values(SQLBind(UUID.v7()), SQLBind(id), SQLBind(index), SQLBind(String(item.title.trimmed)),
                            SQLBind(item.owner.rawValue), SQLBind(item.dueOffsetDays)).run()
            }
            let checklist = Checklist(id: id.lowercaseText, code: code, name: name, kind: kind, items: items)
            try await service.context.audit(tx, actor, "people.checklist.create", entity: "checklist", id: checklist.id,
                                            before: nil as Checklist?, after: checklist)
            return checklist
        }
    }

    /// Starts every checklist of a kind for an employee, each task due its offset from `anchor`.
    func startChecklists(_ kind: Checklist.Kind, employeeID: String, anchor: CivilDate) async throws {
        precondition(db.inTransaction, "checklists start inside the hire's or the leaving's transaction")
        let now = RFC3339.format(context.clock.now())
        for checklist in try await checklists() where checklist.kind == kind {
            for item in checklist.items {
                try await db.sql.insert(into: "people_tasks")
                    .columns("id", "employee_id", "checklist_id", "kind", "title", "owner", "due_date", "status", "created_at")
                    .values(SQLBind(UUID.v7()), SQLBind(UUID(uuidString: employeeID)!), SQLBind(UUID(uuidString: checklist.id)!),
                            SQLBind(kind.rawValue), SQLBind(item.title), SQLBind(item.owner.rawValue),
                            SQLBind(anchor.addingDays(item.dueOffsetDays).description), SQLBind(PeopleTask.Status.open.rawValue),
                            SQLBind(now)).run()
            }
        }
    }

    /// Whether a task is in the viewer's inbox: its owner is one of the viewer's roles, it is the manager's and the
    /// employee reports to the viewer, or it is the employee's own; people:write (hr) sees every task.
    static func owns(_ task: PeopleTask, viewer: PeopleViewer) -> Bool {
        if viewer.principal.can(Permission("people", .write)) { return true }
        switch task.owner {
        case .manager: return viewer.reports.contains(task.employeeID)
        case .employee: return viewer.isSelf(task.employeeID)
        default: return viewer.principal.roles.contains(task.owner.rawValue)
        }
    }

    /// The viewer's task inbox, soonest due first; `employee` narrows it to one person.
    public func tasks(status: PeopleTask.Status? = .open, employee: String? = nil,
                      by actor: Principal) async throws -> [PeopleTask] {
        let viewer = try await viewer(actor)
        var query = db.sql.select().column(SQLColumn(SQLLiteral.all, table: SQLIdentifier("t")))
            .column(SQLColumn("number", table: "e"), as: "employee_number")
            .column(SQLColumn("legal_name", table: "e"), as: "legal_name")
            .column(SQLColumn("preferred_name", table: "e"), as: "preferred_name")
            .from(SQLAlias(SQLIdentifier("people_tasks"), as: SQLIdentifier("t")))
            .join(SQLAlias(SQLIdentifier("people_employees"), as: SQLIdentifier("e")), on: SQLColumn("employee_id", table: "t"),
                  .equal, SQLColumn("id", table: "e"))
        if let status { query = query.where(SQLColumn("status", table: "t"), .equal, SQLBind(status.rawValue)) }
        if let employee = employee.map({ String($0.trimmed) }), !employee.isEmpty {
            let found = try await find(employee)
            query = query.where(SQLColumn("employee_id", table: "t"), .equal, SQLBind(UUID(uuidString: found.id)!))
        }
        let rows = try await query.orderBy(SQLColumn("due_date", table: "t")).limit(2_000).all()
        return try rows.map(Self.task).filter { Self.owns($0, viewer: viewer) }
    }

    static func task(_ row: any SQLRow) throws -> PeopleTask {
        PeopleTask(id: try PeopleRows.id(row), employeeID: try PeopleRows.id(row, "employee_id"),
                   employeeNumber: try row.decode(column: "employee_number", as: String.self),
                   employeeName: try row.decode(column: "preferred_name", as: String?.self)
                    ?? row.decode(column: "legal_name", as: String.self),
                   kind: Checklist.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .onboarding,
                   title: try row.decode(column: "title", as: String.self),
                   owner: Checklist.Owner(rawValue: try row.decode(column: "owner", as: String.self)) ?? .hr,
                   dueDate: try PeopleRows.date(row, "due_date"),
                   status: PeopleTask.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .open,
                   doneBy: try row.decode(column: "done_by", as: String?.self),
                   doneAt: try row.decode(column: "done_at", as: String?.self))
    }

    /// Marks a task done; only someone whose inbox holds it may.
    public func completeTask(_ id: String, by actor: Principal) async throws -> PeopleTask {
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            guard let uuid = UUID(uuidString: id), let task = try await people.tasks(status: nil, by: actor)
                .first(where: { $0.id == uuid.lowercaseText }) else {
                throw DomainError.notFound("people.task.not_found", "There is no task '\(id)' in your inbox")
            }
            guard task.status == .open else {
                throw DomainError.conflict("people.task.done", "\(task.title) was done by \(task.doneBy ?? "someone")")
            }
            try await tx.sql.update("people_tasks").set("status", to: PeopleTask.Status.done.rawValue)
                .set("done_by", to: actor.username).set("done_at", to: RFC3339.format(service.context.clock.now()))
                .where("id", .equal, uuid).run()
            let after = try await people.tasks(status: nil, by: actor).first { $0.id == task.id }!
            try await service.context.audit(tx, actor, "people.task.done", entity: "task", id: task.id, before: task, after: after)
            return after
        }
    }
}
