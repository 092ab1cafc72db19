import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// The People area's public face: organisation (departments, positions, locations), employee records with their
/// effective-dated history, and who may see what of them (`PeopleViewer`). Reading all records takes
/// `people:read`; everyone reads their own, and a manager their reports; changing takes `people:write`.
public struct PeopleService: Sendable {
    public let db: any Database
    public let context: PlatformContext

    public static let pageLimitMax = 500

    public init(db: any Database, context: PlatformContext) {
        self.db = db
        self.context = context
    }

    func on(_ tx: any Database) -> PeopleService { PeopleService(db: tx, context: context) }

    static func requireWrite(_ actor: Principal) throws(DomainError) { try require(actor, Permission("people", .write)) }

    /// "Today" in the company's time zone (UTC until a company is set up).
    public func today() async throws -> CivilDate {
        let zone = try await Settings.get("company.time_zone", on: db).flatMap(TimeZone.init(identifier:))
        return context.clock.today(in: zone ?? TimeZone(identifier: "UTC")!)
    }

    // MARK: Who is looking

    /// The viewer behind a principal: their own employee record, if linked, and everyone below it today.
    public func viewer(_ principal: Principal) async throws -> PeopleViewer {
        guard let userID = principal.userID.flatMap(UUID.init(uuidString:)),
              let row = try await db.sql.select().column("id").from("people_employees").where("user_id", .equal, userID)
                .where("status", .notEqual, Employee.Status.terminated.rawValue).first() else {
            return PeopleViewer(principal: principal, employeeID: nil, reports: [])
        }
        let employeeID = try PeopleRows.id(row)
        let today = try await today()
        var managers = try await managers(asOf: today)
        // People who have not started yet already belong to the manager they will start under.
        for (employee, first) in try await firstAssignments() where managers[employee] == nil && first.effectiveDate > today {
            if let manager = first.managerID { managers[employee] = manager }
        }
        return PeopleViewer(principal: principal, employeeID: employeeID,
                            reports: OrgRules.reports(of: employeeID, managers: managers))
    }

    /// Each employee's manager on a day, from the history rows in force then.
    func managers(asOf day: CivilDate) async throws -> [String: String] {
        var result: [String: String] = [:]
        for (employee, assignment) in try await assignments(asOf: day) {
            if let manager = assignment.managerID { result[employee] = manager }
        }
        return result
    }

    /// Every employee's first history row (their hire).
    func firstAssignments() async throws -> [String: Assignment] {
        let rows = try await db.sql.select().column("*").from("people_assignments").where("reason", .equal, "hire").all()
        var result: [String: Assignment] = [:]
        for row in rows { result[try PeopleRows.id(row, "employee_id")] = try PeopleRows.assignment(row) }
        return result
    }

    /// The assignment in force on a day for every employee hired by then.
    func assignments(asOf day: CivilDate) async throws -> [String: Assignment] {
        let rows = try await db.sql.select().column("*").from("people_assignments")
            .where("effective_date", .lessThanOrEqual, day.description).orderBy("effective_date").all()
        var result: [String: Assignment] = [:]
        for row in rows { result[try PeopleRows.id(row, "employee_id")] = try PeopleRows.assignment(row) }
        return result
    }

    // MARK: Organisation

    /// Names for the ids in job rows: departments, positions and locations by id, and each employee's number and name.
    public struct Directory: Sendable {
        public let departments: [String: Department]
        public let positions: [String: Position]
        public let locations: [String: Location]
        public let employees: [String: (number: String, name: String)]

        public func department(_ id: String?) -> Department? { id.flatMap { departments[$0] } }
        public func position(_ id: String?) -> Position? { id.flatMap { positions[$0] } }
        public func location(_ id: String?) -> Location? { id.flatMap { locations[$0] } }
        public func employee(_ id: String?) -> (number: String, name: String)? { id.flatMap { employees[$0] } }
    }

    public func directory() async throws -> Directory {
        let rows = try await db.sql.select().columns("id", "number", "legal_name", "preferred_name").from("people_employees").all()
        var employees: [String: (number: String, name: String)] = [:]
        for row in rows {
            employees[try PeopleRows.id(row)] = (try row.decode(column: "number", as: String.self),
                                                 try row.decode(column: "preferred_name", as: String?.self)
                                                    ?? row.decode(column: "legal_name", as: String.self))
        }
        return Directory(departments: Dictionary(uniqueKeysWithValues: try await departments().map { ($0.id, $0) }),
                         positions: Dictionary(uniqueKeysWithValues: try await positions().map { ($0.id, $0) }),
                         locations: Dictionary(uniqueKeysWithValues: try await locations().map { ($0.id, $0) }),
                         employees: employees)
    }

    public func departments() async throws -> [Department] {
        try await db.sql.select().column("*").from("people_departments").orderBy("name").all().map(PeopleRows.department)
    }

    public func locations() async throws -> [Location] {
        try await db.sql.select().column("*").from("people_locations").orderBy("name").all().map(PeopleRows.location)
    }

    /// Positions with how many active employees hold each today.
    public func positions() async throws -> [Position] {
        var positions = try await db.sql.select().column("*").from("people_positions").orderBy("title").all()
            .map(PeopleRows.position)
        let today = try await today()
        let active = Set(try await activeEmployeeIDs(on: today))
        var filled: [String: Int] = [:]
        for (employee, assignment) in try await assignments(asOf: today) where active.contains(employee) {
            if let position = assignment.positionID { filled[position, default: 0] += 1 }
        }
        for index in positions.indices { positions[index].filled = filled[positions[index].id] ?? 0 }
        return positions
    }

    func activeEmployeeIDs(on day: CivilDate) async throws -> [String] {
        try await db.sql.select().column("id").from("people_employees").where("hire_date", .lessThanOrEqual, day.description)
            .where { $0.where("leaving_date", .is, SQLLiteral.null).orWhere("leaving_date", .greaterThanOrEqual, day.description) }
            .all().map { try PeopleRows.id($0) }
    }

    static func checkCode(_ code: String, noun: String) throws(DomainError) -> String {
        let trimmed = String(code.trimmed)
        guard (1...20).contains(trimmed.count),
              trimmed.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric || "-_.".unicodeScalars.contains($0) }) else {
            throw .invalid("people.\(noun).code_invalid", "A code has 1 to 20 letters, digits, dashes, dots or underscores",
                           field: "code")
        }
        return trimmed
    }

    static func checkName(_ name: String, noun: String, field: String = "name") throws(DomainError) -> String {
        let trimmed = String(name.trimmed)
        guard (1...200).contains(trimmed.count) else {
            throw .invalid("people.\(noun).\(field)_invalid", "A \(noun) has a \(field) of 1 to 200 characters", field: field)
        }
        return trimmed
    }

    func requireFree(_ table: String, code: String, noun: String) async throws {
        if try await db.sql.select().column("id").from(table).where("code", .equal, code).first() != nil {
            throw DomainError.conflict("people.\(noun).code_taken", "There is already a \(noun) '\(code)'", field: "code")
        }
    }

    /// A row's id by code or id, or `people.<noun>.unknown` on `field`.
    func reference(_ table: String, _ reference: String, noun: String, field: String) async throws -> String {
        let query = db.sql.select().column("id").from(table)
        let found = try await (UUID(uuidString: reference).map { query.where("id", .equal, $0) }
            ?? query.where("code", .equal, reference)).first()
        guard let found else {
            throw DomainError.invalid("people.\(noun).unknown", "There is no \(noun) '\(reference)'", field: field)
        }
        return try PeopleRows.id(found)
    }

    public func createDepartment(code: String, name: String, parent: String?, by actor: Principal) async throws -> Department {
        try Self.requireWrite(actor)
        let code = try Self.checkCode(code, noun: "department")
        let name = try Self.checkName(name, noun: "department")
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            try await people.requireFree("people_departments", code: code, noun: "department")
            let parentID = try await parent.nonBlank.asyncMap {
                try await people.reference("people_departments", $0, noun: "department", field: "parent")
            }
            let id = UUID.v7()
            try await tx.sql.insert(into: "people_departments").columns("id", "code", "name", "parent_id", "archived", "created_at")
                .values(SQLBind(id), SQLBind(code), SQLBind(name), SQLBind(parentID.flatMap(UUID.init(uuidString:))),
                        SQLBind(false), SQLBind(RFC3339.format(service.context.clock.now()))).run()
            let department = Department(id: id.lowercaseText, code: code, name: name, parentID: parentID, archived: false)
            try await service.context.audit(tx, actor, "people.department.create", entity: "department", id: department.id,
                                            before: nil as Department?, after: department)
            return department
        }
    }

    public func createLocation(code: String, name: String, country: String?, by actor: Principal) async throws -> Location {
        try Self.requireWrite(actor)
        let code = try Self.checkCode(code, noun: "location")
        let name = try Self.checkName(name, noun: "location")
        var problems: [DomainError.Item] = []
        let country = Address.validated(Address(country: country), field: "location", &problems).country
        if let first = problems.first {
            throw DomainError.invalid(first.code, first.message, field: "country")
        }
        let service = self
        return try await writeTransaction(db) { tx in
            try await service.on(tx).requireFree("people_locations", code: code, noun: "location")
            let id = UUID.v7()
            try await tx.sql.insert(into: "people_locations").columns("id", "code", "name", "country", "archived", "created_at")
                .values(SQLBind(id), SQLBind(code), SQLBind(name), SQLBind(country), SQLBind(false),
                        SQLBind(RFC3339.format(service.context.clock.now()))).run()
            let location = Location(id: id.lowercaseText, code: code, name: name, country: country, archived: false)
            try await service.context.audit(tx, actor, "people.location.create", entity: "location", id: location.id,
                                            before: nil as Location?, after: location)
            return location
        }
    }

    public func createPosition(code: String, title: String, department: String?, budgetedHeadcount: Int,
                               by actor: Principal) async throws -> Position {
        try Self.requireWrite(actor)
        let code = try Self.checkCode(code, noun: "position")
        let title = try Self.checkName(title, noun: "position", field: "title")
        guard (0...10_000).contains(budgetedHeadcount) else {
            throw DomainError.invalid("people.position.headcount_invalid", "Budgeted headcount is 0 to 10000",
                                      field: "budgetedHeadcount")
        }
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            try await people.requireFree("people_positions", code: code, noun: "position")
            let departmentID = try await department.nonBlank.asyncMap {
                try await people.reference("people_departments", $0, noun: "department", field: "department")
            }
            let id = UUID.v7()
            try await tx.sql.insert(into: "people_positions")
                .columns("id", "code", "title", "department_id", "budgeted_headcount", "archived", "created_at")
                .values(SQLBind(id), SQLBind(code), SQLBind(title), SQLBind(departmentID.flatMap(UUID.init(uuidString:))),
                        SQLBind(budgetedHeadcount), SQLBind(false), SQLBind(RFC3339.format(service.context.clock.now()))).run()
            let position = Position(id: id.lowercaseText, code: code, title: title, departmentID: departmentID,
                                    budgetedHeadcount: budgetedHeadcount, filled: 0, archived: false)
            try await service.context.audit(tx, actor, "people.position.create", entity: "position", id: position.id,
                                            before: nil as Position?, after: position)
            return position
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
