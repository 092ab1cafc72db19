import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// One row of a weekly timesheet: a project or activity and the hours on each day, Monday first.
public struct TimesheetLine: Sendable, Codable, Equatable {
    public var project: String
    public var hours: [Decimal]

    public init(project: String, hours: [Decimal]) {
        self.project = project
        self.hours = hours
    }

    public var total: Decimal { hours.reduce(0, +) }
}

public struct Timesheet: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable { case draft, submitted, approved, rejected }

    public let id: String?
    public let employeeID: String
    public let employeeNumber: String
    public let employeeName: String
    /// The Monday the week starts on.
    public let weekStart: CivilDate
    public let status: Status
    public let lines: [TimesheetLine]
    /// Contracted hours that week (from the job in force on its Monday).
    public let contractedHours: Decimal
    public let decidedBy: String?
    public let decisionNote: String?

    public var total: Decimal { lines.reduce(0) { $0 + $1.total } }
    /// Hours beyond the contracted week.
    public var overtime: Decimal { TimesheetRules.overtime(total: total, contracted: contractedHours) }
}

/// Weekly timesheet rules. Pure.
public enum TimesheetRules {
    public static let linesMax = 30

    public static func overtime(total: Decimal, contracted: Decimal) -> Decimal { max(total - contracted, 0) }

    /// Lines in their stored form: projects trimmed, blank lines dropped, hours in quarter hours from 0 to 24, at
    /// most 24 hours a day over all lines. Every problem is reported with its line.
    public static func validate(_ given: [TimesheetLine]) throws(DomainError) -> [TimesheetLine] {
        var problems: [DomainError.Item] = []
        var lines: [TimesheetLine] = []
        for (index, line) in given.enumerated() {
            let project = String(line.project.trimmed)
            if project.isEmpty && line.hours.allSatisfy({ $0 == 0 }) { continue }
            if project.isEmpty || project.count > 100 {
                problems.append(.init(index: index, field: "lines[\(index)].project", code: "people.timesheet.project_invalid",
                                      message: "Line \(index + 1) needs a project or activity of 1 to 100 characters"))
            }
            if line.hours.count != 7 {
                problems.append(.init(index: index, field: "lines[\(index)].hours", code: "people.timesheet.days_invalid",
                                      message: "Line \(index + 1) has hours for the 7 days, Monday first"))
                continue
            }
            for (day, hours) in line.hours.enumerated() where hours < 0 || hours > 24 || !isQuarter(hours) {
                problems.append(.init(index: index, field: "lines[\(index)].hours[\(day)]", code: "people.timesheet.hours_invalid",
                                      message: "Line \(index + 1): \(hours) hours is not 0 to 24 in quarter hours"))
            }
            lines.append(TimesheetLine(project: project, hours: line.hours))
        }
        if lines.count > linesMax {
            problems.append(.init(field: "lines", code: "people.timesheet.too_many_lines", message: "At most \(linesMax) lines"))
        }
        for day in 0..<7 where lines.reduce(Decimal(0), { $0 + ($1.hours.count == 7 ? $1.hours[day] : 0) }) > 24 {
            problems.append(.init(field: "lines", code: "people.timesheet.day_over_24",
                                  message: "\(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][day]) "
                                  + "has more than 24 hours"))
        }
        if let first = problems.first {
            throw DomainError(.invalid, "people.timesheet.invalid", first.message, field: first.field, items: problems)
        }
        return lines
    }

    static func isQuarter(_ hours: Decimal) -> Bool {
        var scaled = hours * 4
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        return rounded == scaled
    }

    /// The Monday of the week a day is in.
    public static func weekStart(of day: CivilDate) -> CivilDate { day.addingDays(1 - day.weekday.rawValue) }
}

extension PeopleService {
    /// An employee's timesheet for the week that `day` falls in: the saved one, or an empty draft.
    public func timesheet(_ reference: String?, week day: CivilDate, by actor: Principal) async throws -> Timesheet {
        let viewer = try await viewer(actor)
        let employee = try await subject(reference, viewer: viewer)
        let monday = TimesheetRules.weekStart(of: day)
        if let row = try await timesheetRow(employeeID: employee.id, monday: monday) {
            return try await timesheet(row, employee: employee)
        }
        return Timesheet(id: nil, employeeID: employee.id, employeeNumber: employee.number, employeeName: employee.displayName,
                         weekStart: monday, status: .draft, lines: [], contractedHours: try await contracted(employee.id, monday),
                         decidedBy: nil, decisionNote: nil)
    }

    /// The employee a self-service call is about: the one named (if the viewer may see them), else the viewer's own.
    func subject(_ reference: String?, viewer: PeopleViewer) async throws -> Employee {
        if let reference = reference.map({ String($0.trimmed) }), !reference.isEmpty {
            let employee = try await find(reference)
            guard viewer.canSee(employee.id) else { throw Self.notFound(reference) }
            return employee
        }
        guard let own = viewer.employeeID else {
            throw DomainError.invalid("people.employee.not_linked", "Your user is not linked to an employee record; name the "
                                      + "employee", field: "employee")
        }
        return try await find(own)
    }

    func contracted(_ employeeID: String, _ monday: CivilDate) async throws -> Decimal {
        let job = OrgRules.assignment(asOf: monday, in: try await history(of: employeeID))
        return job?.weeklyHours ?? 40
    }

    func timesheetRow(employeeID: String, monday: CivilDate) async throws -> (any SQLRow)? {
        try await db.sql.select().column("*").from("people_timesheets")
            .where("employee_id", .equal, UUID(uuidString: employeeID)!).where("week_start", .equal, monday.description).first()
    }

    func timesheet(_ row: any SQLRow, employee: Employee) async throws -> Timesheet {
        let monday = try PeopleRows.date(row, "week_start")
        let lines = (try? JSONDecoder().decode([TimesheetLine].self,
                                               from: Data(try row.decode(column: "lines", as: String.self).utf8))) ?? []
        return Timesheet(id: try PeopleRows.id(row), employeeID: employee.id, employeeNumber: employee.number,
                         employeeName: employee.displayName, weekStart: monday,
                         status: Timesheet.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .draft,
                         lines: lines, contractedHours: try await contracted(employee.id, monday),
                         decidedBy: try row.decode(column: "decided_by", as: String?.self),
                         decisionNote: try row.decode(column: "decision_note", as: String?.self))
    }

    /// Saves the week's lines (the employee, or hr for them), and with `submit` sends it to the manager. A submitted
    /// or approved week is not changed; a rejected one goes back to draft when saved again.
    public func saveTimesheet(_ reference: String?, week day: CivilDate, lines given: [TimesheetLine], submit: Bool,
                              by actor: Principal) async throws -> Timesheet {
        let viewer = try await viewer(actor)
        let lines = try TimesheetRules.validate(given)
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let employee = try await people.subject(reference, viewer: viewer)
            guard viewer.isSelf(employee.id) || actor.can(Permission("people", .write)) else {
                throw DomainError.forbidden("auth.forbidden", "Only the employee or hr fills in a timesheet")
            }
            let monday = TimesheetRules.weekStart(of: day)
            guard monday.addingDays(6) >= employee.hireDate else {
                throw DomainError.invalid("people.timesheet.before_hire", "\(employee.number) starts on \(employee.hireDate)",
                                          field: "week")
            }
            if submit, lines.isEmpty {
                throw DomainError.invalid("people.timesheet.empty", "A submitted week has some hours", field: "lines")
            }
            let status: Timesheet.Status = submit ? .submitted : .draft
            let json = try AuditChain.canonicalJSON(lines) ?? "[]"
            let now = RFC3339.format(service.context.clock.now())
            if let row = try await people.timesheetRow(employeeID: employee.id, monday: monday) {
                let current = Timesheet.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .draft
                guard current == .draft || current == .rejected else {
                    throw DomainError.conflict("people.timesheet.locked", "The week of \(monday) is \(current.rawValue)")
                }
                try await tx.sql.update("people_timesheets").set("lines", to: json).set("status", to: status.rawValue)
                    .set("submitted_at", to: submit ? now : nil).set("decided_by", to: nil as String?)
                    .set("decided_at", to: nil as String?).set("decision_note", to: nil as String?).set("updated_at", to: now)
                    .where("id", .equal, try row.decode(column: "id", as: UUID.self)).run()
            } else {
                try await tx.sql.insert(into: "people_timesheets")
                    .columns("id", "employee_id", "week_start", "status", "lines", "submitted_at", "updated_at")
                    .values(SQLBind(UUID.v7()), SQLBind(UUID(uuidString: employee.id)!), SQLBind(monday.description),
                            SQLBind(status.rawValue), SQLBind(json), SQLBind(submit ? now : nil), SQLBind(now)).run()
            }
            let saved = try await people.timesheet(try await people.timesheetRow(employeeID: employee.id, monday: monday)!,
                                                   employee: employee)
            try await service.context.audit(tx, actor, submit ? "people.timesheet.submit" : "people.timesheet.save",
                                            entity: "timesheet", id: saved.id ?? "", before: nil as Timesheet?, after: saved)
            return saved
        }
    }

    /// Approves or rejects a submitted week: the employee's manager or people:approve, never the employee.
    public func decideTimesheet(_ id: String, approve: Bool, note: String? = nil, by actor: Principal) async throws -> Timesheet {
        let viewer = try await viewer(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            guard let uuid = UUID(uuidString: id),
                  let row = try await tx.sql.select().column("*").from("people_timesheets").where("id", .equal, uuid).first() else {
                throw DomainError.notFound("people.timesheet.not_found", "There is no timesheet '\(id)'")
            }
            let employee = try await people.find(try PeopleRows.id(row, "employee_id"))
            guard viewer.canSee(employee.id) else {
                throw DomainError.notFound("people.timesheet.not_found", "There is no timesheet '\(id)'")
            }
            guard viewer.canApprove(for: employee.id) else {
                throw DomainError.forbidden("people.timesheet.not_approver", viewer.isSelf(employee.id)
                                            ? "No one approves their own timesheet" : "Only the employee's manager or hr decides")
            }
            let before = try await people.timesheet(row, employee: employee)
            guard before.status == .submitted else {
                throw DomainError.conflict("people.timesheet.not_submitted", "The week is \(before.status.rawValue)")
            }
            try await tx.sql.update("people_timesheets").set("status", to: approve ? "approved" : "rejected")
                .set("decided_by", to: actor.username).set("decided_at", to: RFC3339.format(service.context.clock.now()))
                .set("decision_note", to: note.nonBlank.map { String($0.prefix(500)) })
                .where("id", .equal, uuid).run()
            let after = try await people.timesheet(try await people.timesheetRow(employeeID: employee.id, monday: before.weekStart)!,
                                                   employee: employee)
            try await service.context.audit(tx, actor, approve ? "people.timesheet.approve" : "people.timesheet.reject",
                                            entity: "timesheet", id: id, before: before, after: after)
            return after
        }
    }

    /// Timesheets the viewer may see, latest week first; `status` narrows them (submitted: what waits for a decision).
    public func timesheets(status: Timesheet.Status? = nil, employee: String? = nil,
                           by actor: Principal) async throws -> [Timesheet] {
        let viewer = try await viewer(actor)
        var query = db.sql.select().column("*").from("people_timesheets")
        if let employee = employee.map({ String($0.trimmed) }), !employee.isEmpty {
            let found = try await find(employee)
            guard viewer.canSee(found.id) else { throw Self.notFound(employee) }
            query = query.where("employee_id", .equal, UUID(uuidString: found.id)!)
        } else if !viewer.readsAll {
            let visible = viewer.ownAndReports.compactMap(UUID.init(uuidString:))
            guard !visible.isEmpty else { return [] }
            query = query.where("employee_id", .in, SQLBind.group(visible))
        }
        if let status { query = query.where("status", .equal, status.rawValue) }
        var result: [Timesheet] = []
        var employees: [String: Employee] = [:]
        for row in try await query.orderBy("week_start", .descending).limit(500).all() {
            let id = try PeopleRows.id(row, "employee_id")
            if employees[id] == nil { employees[id] = try await find(id) }
            result.append(try await timesheet(row, employee: employees[id]!))
        }
        return result
    }
}
