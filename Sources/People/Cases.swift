import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// A confidential discipline or grievance case. Only viewers granted the `cases` field group (hr) see or touch
/// cases; not the employee, not their manager, not admin or auditor.
public struct PeopleCase: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case discipline, grievance }
    public enum Status: String, Sendable, Codable { case open, closed }

    public struct Note: Sendable, Codable, Equatable {
        public let at: String
        public let author: String
        public let text: String
    }

    public let id: String
    public let number: String
    public let employeeID: String
    public let employeeNumber: String
    public let employeeName: String
    public let kind: Kind
    public let title: String
    /// Others involved, as written (names, employee numbers, witnesses).
    public let parties: String?
    public let openedOn: CivilDate
    public let closedOn: CivilDate?
    public let outcome: String?
    public let status: Status
    public let notes: [Note]
}

extension PeopleService {
    static func requireCases(_ viewer: PeopleViewer) throws(DomainError) {
        guard viewer.grantedGroups.contains(.cases) else {
            throw DomainError.forbidden("people.cases.forbidden", "Discipline and grievance cases are for hr only")
        }
    }

    public func cases(employee: String? = nil, status: PeopleCase.Status? = nil, by actor: Principal) async throws -> [PeopleCase] {
        try Self.requireCases(try await viewer(actor))
        var query = caseQuery()
        if let employee = employee.map({ String($0.trimmed) }), !employee.isEmpty {
            let found = try await find(employee)
            query = query.where(SQLColumn("employee_id", table: "c"), .equal, SQLBind(UUID(uuidString: found.id)!))
        }
        if let status { query = query.where(SQLColumn("status", table: "c"), .equal, SQLBind(status.rawValue)) }
        let rows = try await query.orderBy(SQLOrderBy(expression: SQLColumn("opened_on", table: "c"), direction: SQLDirection.descending))
            .all()
        return try rows.map { try Self.peopleCase($0, notes: []) }
    }

    public func peopleCase(_ reference: String, by actor: Principal) async throws -> PeopleCase {
        try Self.requireCases(try await viewer(actor))
        return try await findCase(reference)
    }

    func caseQuery() -> SQLSelectBuilder {
        db.sql.select().column(SQLColumn(SQLLiteral.all, table: SQLIdentifier("c")))
            .column(SQLColumn("number", table: "e"), as: "employee_number")
            .column(SQLColumn("legal_name", table: "e"), as: "legal_name")
            .from(SQLAlias(SQLIdentifier("people_cases"), as: SQLIdentifier("c")))
            .join(SQLAlias(SQLIdentifier("people_employees"), as: SQLIdentifier("e")), on: SQLColumn("employee_id", table: "c"),
                  .equal, SQLColumn("id", table: "e"))
    }

    func findCase(_ reference: String) async throws -> PeopleCase {
        let query = caseQuery()
        guard let row = try await (UUID(uuidString: reference).map { query.where(SQLColumn("id", table: "c"), .equal, SQLBind($0)) }
            ?? query.where(SQLColumn("number", table: "c"), .equal, SQLBind(reference))).first() else {
            throw DomainError.notFound("people.case.not_found", "There is no case '\(reference)'")
        }
        let id = try row.decode(column: "id", as: UUID.self)
        let notes = try await db.sql.select().column("*").from("people_case_notes").where("case_id", .equal, id)
            .orderBy("at").all().map { note in
                PeopleCase.Note(at: try note.decode(column: "at", as: String.self),
                                author: try note.decode(column: "author", as: String.self),
                                text: try note.decode(column: "text", as: String.self))
            }
        return try Self.peopleCase(row, notes: notes)
    }

    static func peopleCase(_ row: any SQLRow, notes: [PeopleCase.Note]) throws -> PeopleCase {
        PeopleCase(id: try PeopleRows.id(row), number: try row.decode(column: "number", as: String.self),
                   employeeID: try PeopleRows.id(row, "employee_id"),
                   employeeNumber: try row.decode(column: "employee_number", as: String.self),
                   employeeName: try row.decode(column: "legal_name", as: String.self),
                   kind: PeopleCase.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .grievance,
                   title: try row.decode(column: "title", as: String.self),
                   parties: try row.decode(column: "parties", as: String?.self),
                   openedOn: try PeopleRows.date(row, "opened_on"), closedOn: try PeopleRows.optionalDate(row, "closed_on"),
                   outcome: try row.decode(column: "outcome", as: String?.self),
                   status: PeopleCase.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .open,
                   notes: notes)
    }

    static func caseText(_ text: String?, field: String, max: Int, required: Bool = false) throws(DomainError) -> String? {
        let trimmed = text.nonBlank
        if required, trimmed == nil {
            throw .invalid("people.case.\(field)_missing", "Give the \(field)", field: field)
        }
        if let trimmed, trimmed.count > max {
            throw .invalid("people.case.\(field)_too_long", "At most \(max) characters", field: field)
        }
        return trimmed
    }

    /// Opens a case about an employee (hr only). The audit log records that a case was opened, not what it says.
    public func openCase(employee: String, kind: PeopleCase.Kind, title: String, parties: String?, openedOn: String?,
                         by actor: Principal) async throws -> PeopleCase {
        let viewer = try await viewer(actor)
        try Self.requireCases(viewer)
        guard actor.can(Permission("people", .write)) else {
            throw DomainError.forbidden("auth.forbidden", "Opening a case takes people:write")
        }
        let title = try Self.caseText(title, field: "title", max: 200, required: true)!
        let parties = try Self.caseText(parties, field: "parties", max: 1_000)
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let subject = try await people.find(employee)
            let given = try openedOn.nonBlank
                .map { text throws(DomainError) in try CivilDate.parse(text, field: "openedOn") }
            let opened = try await people.day(given)
            let next = try await DocumentNumbers.reserve("CASE", year: opened.year, count: 1, on: tx)
            let number = "CASE-\(opened.year)-" + String(repeating: "0", count: max(0, 4 - String(next).count)) + String(next)
            let id = UUID.v7()
            try await tx.sql.insert(into: "people_cases")
                .columns("id", "number", "employee_id", "kind", "title", "parties", "opened_on", "status", "created_by", "created_at")
                .values(SQLBind(id), SQLBind(number), SQLBind(UUID(uuidString: subject.id)!), SQLBind(kind.rawValue),
                        SQLBind(title), SQLBind(parties), SQLBind(opened.description), SQLBind(PeopleCase.Status.open.rawValue),
                        SQLBind(actor.username), SQLBind(RFC3339.format(service.context.clock.now()))).run()
            try await service.context.audit(tx, actor, "people.case.open", entity: "case", id: number,
                                            before: nil as String?, after: "\(kind.rawValue) case about \(subject.number)")
            return try await people.findCase(id.uuidString)
        }
    }

    public func addCaseNote(_ reference: String, text: String, by actor: Principal) async throws -> PeopleCase {
        try Self.requireCases(try await viewer(actor))
        let text = try Self.caseText(text, field: "text", max: 10_000, required: true)!
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let found = try await people.findCase(reference)
            guard found.status == .open else {
                throw DomainError.conflict("people.case.closed", "\(found.number) is closed")
            }
            try await tx.sql.insert(into: "people_case_notes").columns("id", "case_id", "at", "author", "text")
                .values(SQLBind(UUID.v7()), SQLBind(UUID(uuidString: found.id)!),
                        SQLBind(RFC3339.format(service.context.clock.now())), SQLBind(actor.username), SQLBind(text)).run()
            try await service.context.audit(tx, actor, "people.case.note", entity: "case", id: found.number,
                                            before: nil as String?, after: "note added")
            return try await people.findCase(found.id)
        }
    }

    public func closeCase(_ reference: String, outcome: String, closedOn: String?, by actor: Principal) async throws -> PeopleCase {
        try Self.requireCases(try await viewer(actor))
        let outcome = try Self.caseText(outcome, field: "outcome", max: 2_000, required: true)!
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let found = try await people.findCase(reference)
            guard found.status == .open else {
                throw DomainError.conflict("people.case.closed", "\(found.number) is closed already")
            }
            let given = try closedOn.nonBlank
                .map { text throws(DomainError) in try CivilDate.parse(text, field: "closedOn") }
            let closed = try await people.day(given)
            guard closed >= found.openedOn else {
                throw DomainError.invalid("people.case.closed_before_opened", "A case closes on or after \(found.openedOn)",
                                          field: "closedOn")
            }
            try await tx.sql.update("people_cases").set("status", to: PeopleCase.Status.closed.rawValue)
                .set("outcome", to: outcome).set("closed_on", to: closed.description)
                .where("id", .equal, UUID(uuidString: found.id)!).run()
            try await service.context.audit(tx, actor, "people.case.close", entity: "case", id: found.number,
                                            before: nil as String?, after: "closed")
            return try await people.findCase(found.id)
        }
    }
}
