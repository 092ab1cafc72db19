import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// A job change as a form or the API gives it: the day it takes effect, why, and the fields that change.
public struct ChangeInput: Sendable, Codable, Equatable {
    public var effectiveDate: String
    public var reason: String?
    public var job: AssignmentInput

    public init(effectiveDate: String, reason: String? = nil, job: AssignmentInput) {
        self.effectiveDate = effectiveDate
        self.reason = reason
        self.job = job
    }
}

/// What an employee may change about themselves (self-service), or hr for them.
public struct ContactInput: Sendable, Codable, Equatable {
    public var workPhone: String?
    public var privateEmail: String?
    public var privatePhone: String?
    public var homeAddress: Address?
    public var emergencyContacts: [EmergencyContact]?

    public init(workPhone: String? = nil, privateEmail: String? = nil, privatePhone: String? = nil,
                homeAddress: Address? = nil, emergencyContacts: [EmergencyContact]? = nil) {
        self.workPhone = workPhone
        self.privateEmail = privateEmail
        self.privatePhone = privatePhone
        self.homeAddress = homeAddress
        self.emergencyContacts = emergencyContacts
    }
}

extension PeopleService {
    public struct Filter: Sendable {
        public enum Sort: String, Sendable, CaseIterable { case name, number, hired }
        public var search: String?
        public var department: String?
        public var status: Employee.Status?
        public var asOf: CivilDate?
        public var sort: Sort
        public var limit: Int
        public var offset: Int

        public init(search: String? = nil, department: String? = nil, status: Employee.Status? = nil, asOf: CivilDate? = nil,
                    sort: Sort = .name, limit: Int = 100, offset: Int = 0) {
            self.search = search
            self.department = department
            self.status = status
            self.asOf = asOf
            self.sort = sort
            self.limit = limit
            self.offset = offset
        }
    }

    // MARK: Reading

    /// The employees the viewer may see (everyone with `people:read`; else themselves and their reports), each with
    /// the job in force on `asOf` (default today) and redacted for the viewer.
    public func employees(_ filter: Filter, by actor: Principal) async throws -> (employees: [Employee], total: Int) {
        try Paging.check(limit: filter.limit, offset: filter.offset, limitMax: Self.pageLimitMax, noun: "employees",
                         codePrefix: "people")
        let viewer = try await viewer(actor)
        let assignments = try await assignments(asOf: try await self.day(filter.asOf))
        var query = db.sql.select().column("*").from("people_employees")
        if !viewer.readsAll {
            let visible = viewer.ownAndReports.compactMap(UUID.init(uuidString:))
            guard !visible.isEmpty else { return ([], 0) }
            query = query.where("id", .in, SQLBind.group(visible))
        }
        // "On leave" is derived: an active employee with approved leave covering the day.
        if let status = filter.status {
            query = query.where("status", .equal, status == .onLeave ? Employee.Status.active.rawValue : status.rawValue)
        }
        if let search = filter.search.map({ String($0.trimmed).lowercased() }), !search.isEmpty {
            let pattern = "%\(search)%"
            query = query.where {
                $0.where(SQLFunction("LOWER", args: SQLColumn("legal_name")), .like, SQLBind(pattern))
                    .orWhere(SQLFunction("LOWER", args: SQLColumn("preferred_name")), .like, SQLBind(pattern))
                    .orWhere(SQLFunction("LOWER", args: SQLColumn("number")), .like, SQLBind(pattern))
                    .orWhere(SQLFunction("LOWER", args: SQLColumn("work_email")), .like, SQLBind(pattern))
            }
        }
        switch filter.sort {
        case .name: query = query.orderBy("legal_name").orderBy("number")
        case .number: query = query.orderBy("number")
        case .hired: query = query.orderBy("hire_date", .descending).orderBy("number")
        }
        let away = try await onLeave(on: try await self.day(filter.asOf))
        var employees = try await query.all().map(PeopleRows.employee).map { employee in
            var employee = employee
            if employee.status == .active, away.contains(employee.id) { employee.status = .onLeave }
            return employee
        }
        // `active` is the employment (those on leave included); `on_leave` narrows it to those away that day.
        if filter.status == .onLeave { employees = employees.filter { $0.status == .onLeave } }
        if let department = filter.department.map({ String($0.trimmed) }), !department.isEmpty {
            let departmentID = try await reference("people_departments", department, noun: "department", field: "department")
            let parents = Dictionary(uniqueKeysWithValues: try await departments().compactMap { department in
                department.parentID.map { (department.id, $0) } })
            let inside = OrgRules.subtree(of: departmentID, parents: parents)
            employees = employees.filter { assignments[$0.id]?.departmentID.map(inside.contains) ?? false }
        }
        let page = employees.dropFirst(filter.offset).prefix(filter.limit).map { employee in
            var employee = employee
            employee.assignment = assignments[employee.id]
            return viewer.redacted(employee)
        }
        return (Array(page), employees.count)
    }

    /// One employee by number or id, as the viewer may see them; 404 when they may not (their existence included).
    public func employee(_ reference: String, asOf: CivilDate? = nil, by actor: Principal) async throws -> Employee {
        let viewer = try await viewer(actor)
        var employee = try await find(reference)
        guard viewer.canSee(employee.id) else { throw Self.notFound(reference) }
        let day = try await self.day(asOf)
        employee.assignment = OrgRules.assignment(asOf: day, in: try await history(of: employee.id))
        if employee.status == .active, try await onLeave(on: day).contains(employee.id) { employee.status = .onLeave }
        return viewer.redacted(employee)
    }

    /// Every job row of an employee, oldest first, redacted for the viewer.
    public func history(_ reference: String, by actor: Principal) async throws -> [Assignment] {
        let viewer = try await viewer(actor)
        let employee = try await find(reference)
        guard viewer.canSee(employee.id) else { throw Self.notFound(reference) }
        return viewer.redacted(try await history(of: employee.id), of: employee.id)
    }

    /// The viewer's own employee record, or `people.employee.not_linked` (404) when their user has none.
    public func me(by actor: Principal) async throws -> Employee {
        guard let id = try await viewer(actor).employeeID else {
            throw DomainError.notFound("people.employee.not_linked", "Your user is not linked to an employee record")
        }
        return try await employee(id, by: actor)
    }

    /// Employees with approved leave covering a day.
    func onLeave(on day: CivilDate) async throws -> Set<String> {
        Set(try await db.sql.select().column("employee_id").from("people_leave_requests")
            .where("status", .equal, LeaveRequest.Status.approved.rawValue)
            .where("start_date", .lessThanOrEqual, day.description).where("end_date", .greaterThanOrEqual, day.description)
            .all().map { try PeopleRows.id($0, "employee_id") })
    }

    /// The day asked for, or today.
    public func day(_ given: CivilDate?) async throws -> CivilDate {
        if let given { return given }
        return try await today()
    }

    static func notFound(_ reference: String) -> DomainError {
        DomainError.notFound("people.employee.not_found", "There is no employee '\(reference)'")
    }

    func find(_ reference: String) async throws -> Employee {
        let query = db.sql.select().column("*").from("people_employees")
        guard let row = try await (UUID(uuidString: reference).map { query.where("id", .equal, $0) }
            ?? query.where("number", .equal, reference)).first() else { throw Self.notFound(reference) }
        return try PeopleRows.employee(row)
    }

    func history(of employeeID: String) async throws -> [Assignment] {
        try await db.sql.select().column("*").from("people_assignments")
            .where("employee_id", .equal, UUID(uuidString: employeeID)!).orderBy("effective_date").all()
            .map(PeopleRows.assignment)
    }

    // MARK: Hire, change, leave

    /// Hires an employee: the record, the first job row (reason `hire`), the onboarding checklists' tasks in their
    /// owners' inboxes and `employee.hired` in the outbox.
    public func hire(_ input: HireInput, idempotencyKey: String? = nil, by actor: Principal) async throws -> Employee {
        try Self.requireWrite(actor)
        let service = self
        return try await Idempotency.run(db, actor: actor, scope: "people.employee.hire", key: idempotencyKey,
                                         request: input, clock: context.clock) { tx in
            let people = service.on(tx)
            let currency = try await people.companyCurrency()
            let person = try EmployeeRules.validate(input, defaultCurrency: currency)
            let number: String
            if let given = person.number {
                if try await tx.sql.select().column("id").from("people_employees").where("number", .equal, given).first() != nil {
                    throw DomainError.conflict("people.employee.number_taken", "There is already an employee \(given)",
                                               field: "number")
                }
                number = given
            } else {
                let next = try await DocumentNumbers.reserve("EMPLOYEE", year: 0, count: 1, on: tx)
                number = "E-" + String(repeating: "0", count: max(0, 5 - String(next).count)) + String(next)
            }
            let userID = try await people.userToLink(input.user)
            let id = UUID.v7()
            let now = RFC3339.format(service.context.clock.now())
            let values: PeopleRows.Values = [
                ("id", id), ("number", number), ("legal_name", person.legalName), ("preferred_name", person.preferredName),
                ("work_email", person.workEmail), ("work_phone", person.workPhone), ("status", Employee.Status.active.rawValue),
                ("hire_date", person.hireDate.description), ("leaving_date", nil as String?), ("user_id", userID),
                ("iban", person.bank.iban), ("bic", person.bank.bic), ("user_disabled", false),
                ("created_by", actor.username), ("created_at", now), ("updated_at", now),
            ] + (try PeopleRows.personalValues(person.personal))
            try await tx.sql.insert(into: "people_employees").columns(values.map(\.0)).values(values.map { SQLBind($0.1) }).run()
            let first = try await people.assignment(from: nil, changes: input.job, job: person.job, effective: person.hireDate,
                                                    reason: .hire, employeeID: id.lowercaseText, by: actor)
            try await tx.sql.insert(into: "people_assignments")
                .columns(PeopleRows.assignmentValues(first, employee: id).map(\.0))
                .values(PeopleRows.assignmentValues(first, employee: id).map { SQLBind($0.1) }).run()
            var employee = try await people.find(id.uuidString)
            employee.assignment = first
            try await people.auditRecord(tx, actor, "people.employee.hire", employee, before: nil)
            try await people.startChecklists(.onboarding, employeeID: employee.id, anchor: person.hireDate)
            try await service.context.publish("employee.hired", try await people.event(employee, first), on: tx)
            return employee
        }.value
    }

    /// Records a job, pay or manager change from a day on, as a new history row: fields left out keep the values in
    /// force that day. A day with a row already, before the hire or after leaving is refused.
    public func change(_ reference: String, _ input: ChangeInput, by actor: Principal) async throws -> Employee {
        try Self.requireWrite(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let employee = try await people.find(reference)
            let day = try CivilDate.parse(input.effectiveDate, field: "effectiveDate")
            let reasonText = input.reason.nonBlank ?? "change"
            guard let reason = Assignment.Reason(rawValue: reasonText), reason != .hire, reason != .termination else {
                throw DomainError.invalid("people.change.reason_invalid",
                                          "'\(reasonText)' is not a reason: promotion, transfer, raise or change", field: "reason")
            }
            guard day >= employee.hireDate else {
                throw DomainError.invalid("people.change.before_hire", "A change takes effect on or after the hire date "
                                          + "(\(employee.hireDate))", field: "effectiveDate")
            }
            if let leaving = employee.leavingDate, day > leaving {
                throw DomainError.invalid("people.change.after_leaving", "\(employee.number) leaves on \(leaving)",
                                          field: "effectiveDate")
            }
            let history = try await people.history(of: employee.id)
            guard !history.contains(where: { $0.effectiveDate == day }) else {
                throw DomainError.conflict("people.change.same_day", "\(employee.number) already has a change on \(day); "
                                           + "an employee has one row a day", field: "effectiveDate")
            }
            var problems: [DomainError.Item] = []
            let job = EmployeeRules.job(input.job, &problems)
            if let first = problems.first {
                throw DomainError(.invalid, "people.change.invalid", first.message, field: first.field, items: problems)
            }
            let previous = OrgRules.assignment(asOf: day, in: history)
            let row = try await people.assignment(from: previous, changes: input.job, job: job, effective: day, reason: reason,
                                                  employeeID: employee.id, by: actor)
            let values = PeopleRows.assignmentValues(row, employee: UUID(uuidString: employee.id)!)
            try await tx.sql.insert(into: "people_assignments").columns(values.map(\.0)).values(values.map { SQLBind($0.1) }).run()
            try await tx.sql.update("people_employees").set("updated_at", to: row.recordedAt)
                .where("id", .equal, UUID(uuidString: employee.id)!).run()
            var after = employee
            after.assignment = row
            var before = employee
            before.assignment = previous
            try await people.auditRecord(tx, actor, "people.employee.change", after, before: before)
            try await service.context.publish("employee.changed", try await people.event(after, row), on: tx)
            return after
        }
    }

    /// Sets the leaving date (the last day employed) and starts the offboarding checklists. On or before today the employee is terminated at once and a
    /// linked user is disabled (their sessions end); a later date is carried out by `keel jobs run` on that day.
    public func terminate(_ reference: String, leavingDate text: String, note: String? = nil,
                          by actor: Principal) async throws -> Employee {
        try Self.requireWrite(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let employee = try await people.find(reference)
            let leaving = try CivilDate.parse(text, field: "leavingDate")
            guard employee.status != .terminated else {
                throw DomainError.conflict("people.employee.already_terminated", "\(employee.number) has left already")
            }
            guard leaving >= employee.hireDate else {
                throw DomainError.invalid("people.terminate.before_hire", "The leaving date is on or after the hire date "
                                          + "(\(employee.hireDate))", field: "leavingDate")
            }
            let history = try await people.history(of: employee.id)
            if let later = history.last(where: { $0.effectiveDate > leaving }) {
                throw DomainError.conflict("people.terminate.later_change", "\(employee.number) has a change on "
                                           + "\(later.effectiveDate), after that leaving date", field: "leavingDate")
            }
            try await tx.sql.update("people_employees").set("leaving_date", to: leaving.description)
                .set("updated_at", to: RFC3339.format(service.context.clock.now()))
                .where("id", .equal, UUID(uuidString: employee.id)!).run()
            let previous = OrgRules.assignment(asOf: leaving, in: history)
            var after = try await people.find(employee.id)
            after.assignment = previous
            try await people.auditRecord(tx, actor, "people.employee.terminate", after, before: employee,
                                         note: note.map { String($0.trimmed) })
            let event = try await people.event(after, previous)
            try await service.context.publish("employee.terminated", event, on: tx)
            try await people.startChecklists(.offboarding, employeeID: employee.id, anchor: leaving)
            if leaving <= (try await people.today()) { try await people.carryOutLeaving(employee.id) }
            return try await people.find(employee.id)
        }
    }

    /// Carries out every leaving date on or before `day`: the employee is terminated and a linked user disabled.
    /// Idempotent. Returns the employee numbers it carried out.
    @discardableResult
    public func processLeavers(asOf day: CivilDate) async throws -> [String] {
        let service = self
        return try await writeTransaction(db) { tx in
            let rows = try await tx.sql.select().columns("id", "number").from("people_employees")
                .where("leaving_date", .lessThanOrEqual, day.description)
                .where { $0.where("status", .notEqual, Employee.Status.terminated.rawValue).orWhere("user_disabled", .equal, false)
                    .where("user_id", .isNot, SQLLiteral.null) }
                .all()
            var done: [String] = []
            for row in rows {
                try await service.on(tx).carryOutLeaving(try PeopleRows.id(row))
                done.append(try row.decode(column: "number", as: String.self))
            }
            return done
        }
    }

    func carryOutLeaving(_ employeeID: String) async throws {
        let employee = try await find(employeeID)
        let id = UUID(uuidString: employeeID)!
        try await db.sql.update("people_employees").set("status", to: Employee.Status.terminated.rawValue)
            .where("id", .equal, id).run()
        if let userID = employee.userID, let user = try await UserService(db: db, context: context).find(id: userID) {
            if !user.disabled { _ = try await UserService(db: db, context: context).disable(username: user.username, by: .system) }
            try await db.sql.update("people_employees").set("user_disabled", to: true).where("id", .equal, id).run()
        }
    }

    /// Self-service: the employee changes their own contact details and emergency contacts; hr (people:write with
    /// the personal group) may do it for anyone. Everything else on the record stays.
    public func updateContacts(_ reference: String, _ input: ContactInput, by actor: Principal) async throws -> Employee {
        let viewer = try await viewer(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let employee = try await people.find(reference)
            guard viewer.canSee(employee.id) else { throw Self.notFound(reference) }
            guard viewer.isSelf(employee.id)
                    || (actor.can(Permission("people", .write)) && viewer.grantedGroups.contains(.personal)) else {
                throw DomainError.forbidden("auth.forbidden", "Only the employee or hr changes these details")
            }
            var problems: [DomainError.Item] = []
            var personal = employee.personal ?? PersonalDetails()
            let personalInput = PersonalInput(homeAddress: input.homeAddress ?? personal.homeAddress,
                                              privateEmail: input.privateEmail ?? personal.privateEmail,
                                              privatePhone: input.privatePhone ?? personal.privatePhone,
                                              emergencyContacts: input.emergencyContacts ?? personal.emergencyContacts)
            let checked = EmployeeRules.personalDetails(personalInput, &problems)
            if let first = problems.first {
                throw DomainError(.invalid, "people.contacts.invalid", first.message, field: first.field, items: problems)
            }
            personal.homeAddress = checked.homeAddress
            personal.privateEmail = checked.privateEmail
            personal.privatePhone = checked.privatePhone
            personal.emergencyContacts = checked.emergencyContacts
            let workPhone = input.workPhone.nonBlank ?? employee.workPhone
            var update = tx.sql.update("people_employees").set("work_phone", to: workPhone)
                .set("updated_at", to: RFC3339.format(service.context.clock.now()))
            for (column, value) in try PeopleRows.personalValues(personal) { update = update.set(column, to: value) }
            try await update.where("id", .equal, UUID(uuidString: employee.id)!).run()
            let after = try await people.find(employee.id)
            try await people.auditRecord(tx, actor, "people.employee.contacts", after, before: employee)
            return viewer.redacted(after)
        }
    }

    // MARK: Helpers

    /// The new history row: the previous row's values, overridden by what the input gives, references resolved.
    func assignment(from previous: Assignment?, changes input: AssignmentInput, job: EmployeeRules.Job, effective: CivilDate,
                    reason: Assignment.Reason, employeeID: String, by actor: Principal) async throws -> Assignment {
        func given(_ text: String?) -> String?? {
            guard let text else { return .none }                 // left out: keep
            let trimmed = String(text.trimmed)
            return .some(trimmed.isEmpty ? nil : trimmed)        // "" clears
        }
        func resolve(_ text: String?, _ table: String, _ noun: String, _ field: String,
                     keep: String?) async throws -> String? {
            switch given(text) {
            case .none: return keep
            case .some(.none): return nil
            case .some(.some(let reference)): return try await self.reference(table, reference, noun: noun, field: "job.\(field)")
            }
        }
        let position = try await resolve(input.position, "people_positions", "position", "position", keep: previous?.positionID)
        let department = try await resolve(input.department, "people_departments", "department", "department",
                                           keep: previous?.departmentID)
        let location = try await resolve(input.location, "people_locations", "location", "location", keep: previous?.locationID)
        var manager = previous?.managerID
        switch given(input.manager) {
        case .none: break
        case .some(.none): manager = nil
        case .some(.some(let reference)):
            let found: Employee
            do { found = try await find(reference) } catch let error as DomainError where error.kind == .notFound {
                throw DomainError.invalid("people.job.manager_unknown", "There is no employee '\(reference)'", field: "job.manager")
            }
            let managers = try await managers(asOf: effective)
            if OrgRules.wouldLoop(employeeID: employeeID, managerID: found.id, managers: managers) {
                throw DomainError.invalid("people.job.manager_loop", "\(found.number) reports to this employee; a manager "
                                          + "cannot report to their own report", field: "job.manager")
            }
            manager = found.id
        }
        let salary = job.salary ?? previous?.salary
        return Assignment(
            id: UUID.v7().lowercaseText, effectiveDate: effective, reason: reason, positionID: position,
            departmentID: department, managerID: manager, locationID: location,
            contractType: job.contractType ?? previous?.contractType ?? .permanent,
            weeklyHours: job.weeklyHours ?? previous?.weeklyHours ?? 40, fte: job.fte ?? previous?.fte ?? 1,
            salary: salary, currency: salary == nil ? nil : job.currency ?? previous?.currency ?? .eur,
            payFrequency: job.payFrequency ?? previous?.payFrequency ?? .monthly, note: job.note,
            recordedBy: actor.username, recordedAt: RFC3339.format(context.clock.now()))
    }

    /// The Keel user to link, by username; one employee per user.
    func userToLink(_ username: String?) async throws -> UUID? {
        guard let username = username.map({ String($0.trimmed) }), !username.isEmpty else { return nil }
        let user: UserSummary
        do { user = try await UserService(db: db, context: context).find(username: username) } catch let error as DomainError where error.kind == .notFound {
            throw DomainError.invalid("people.employee.user_unknown", "There is no user '\(username)'", field: "user")
        }
        let id = UUID(uuidString: user.id)!
        if try await db.sql.select().column("number").from("people_employees").where("user_id", .equal, id).first() != nil {
            throw DomainError.conflict("people.employee.user_linked", "User '\(username)' is already linked to an employee",
                                       field: "user")
        }
        return id
    }

    /// The audit log is read by auditors, who see no field group: it records the record without them, and which
    /// groups changed.
    func auditRecord(_ tx: any Database, _ actor: Principal, _ action: String, _ after: Employee, before: Employee?,
                     note: String? = nil) async throws {
        struct Entry: Encodable, Sendable {
            let number: String
            let legalName: String
            let preferredName: String?
            let workEmail: String?
            let status: String
            let hireDate: String
            let leavingDate: String?
            let job: String?
            let changedGroups: [String]
            let note: String?
        }
        func entry(_ employee: Employee, changed: [String]) -> Entry {
            let job = employee.assignment.map { row in
                "\(row.effectiveDate) \(row.reason.rawValue): position \(row.positionID ?? "-"), department "
                    + "\(row.departmentID ?? "-"), manager \(row.managerID ?? "-"), \(row.contractType.rawValue), fte \(row.fte)"
            }
            return Entry(number: employee.number, legalName: employee.legalName, preferredName: employee.preferredName,
                         workEmail: employee.workEmail, status: employee.status.rawValue,
                         hireDate: employee.hireDate.description, leavingDate: employee.leavingDate?.description, job: job,
                         changedGroups: changed, note: note)
        }
        var changed: [String] = []
        if before?.personal != after.personal { changed.append(FieldGroup.personal.rawValue) }
        if before?.bank != after.bank { changed.append(FieldGroup.bank.rawValue) }
        if before?.assignment?.salary != after.assignment?.salary || before?.assignment?.payFrequency != after.assignment?.payFrequency {
            changed.append(FieldGroup.pay.rawValue)
        }
        try await context.audit(tx, actor, action, entity: "employee", id: after.id,
                                before: before.map { entry($0, changed: []) }, after: entry(after, changed: changed))
    }

    func event(_ employee: Employee, _ assignment: Assignment?) async throws -> EmployeeEvent {
        func code(_ table: String, _ id: String?) async throws -> String? {
            guard let uuid = id.flatMap(UUID.init(uuidString:)) else { return nil }
            return try await db.sql.select().column("code").from(table).where("id", .equal, uuid).first()?
                .decode(column: "code", as: String.self)
        }
        var manager: String?
        if let managerID = assignment?.managerID { manager = try? await find(managerID).number }
        return EmployeeEvent(id: employee.id, number: employee.number, name: employee.displayName,
                             workEmail: employee.workEmail, hireDate: employee.hireDate.description,
                             leavingDate: employee.leavingDate?.description,
                             effectiveDate: assignment?.effectiveDate.description, reason: assignment?.reason.rawValue,
                             department: try await code("people_departments", assignment?.departmentID),
                             position: try await code("people_positions", assignment?.positionID),
                             location: try await code("people_locations", assignment?.locationID), manager: manager)
    }
}

/// The payload of `employee.hired`, `employee.changed` and `employee.terminated`: what IT, facilities and payroll
/// act on. No field group travels in an event (webhooks leave the building).
public struct EmployeeEvent: Codable, Sendable, Equatable {
    public let id: String
    public let number: String
    public let name: String
    public let workEmail: String?
    public let hireDate: String
    public let leavingDate: String?
    public let effectiveDate: String?
    public let reason: String?
    public let department: String?
    public let position: String?
    public let location: String?
    public let manager: String?
}
