import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// A course; with `validityMonths` its completion is a certification that expires. Positions may require it.
public struct Course: Sendable, Codable, Equatable {
    public let id: String
    public let code: String
    public let title: String
    public let validityMonths: Int?
    /// Position codes for which the course is mandatory.
    public let mandatoryFor: [String]
}

public struct CourseSession: Sendable, Codable, Equatable {
    public let id: String
    public let courseCode: String
    public let date: CivilDate
    public let place: String?
    public let capacity: Int
    public let enrolled: Int
}

public struct Enrolment: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case enrolled, completed, cancelled }

    public let id: String
    public let employeeID: String
    public let employeeNumber: String
    public let employeeName: String
    public let courseCode: String
    public let courseTitle: String
    public let sessionDate: CivilDate
    public let status: Status
    public let completedOn: CivilDate?
    public let expiresOn: CivilDate?
}

extension PeopleService {
    public func courses() async throws -> [Course] {
        try await db.sql.select().column("*").from("people_courses").where("archived", .equal, false).orderBy("title").all()
            .map { row in
                Course(id: try PeopleRows.id(row), code: try row.decode(column: "code", as: String.self),
                       title: try row.decode(column: "title", as: String.self),
                       validityMonths: try row.decode(column: "validity_months", as: Int?.self),
                       mandatoryFor: (try? JSONDecoder().decode([String].self, from: Data(try row.decode(column: "mandatory_positions",
                                                                                                           as: String.self).utf8))) ?? [])
            }
    }

    public func createCourse(code: String, title: String, validityMonths: Int?, mandatoryFor: [String],
                             by actor: Principal) async throws -> Course {
        try Self.requireWrite(actor)
        let code = try Self.checkCode(code, noun: "course")
        let title = try Self.checkName(title, noun: "course", field: "title")
        if let validityMonths, !(1...240).contains(validityMonths) {
            throw DomainError.invalid("people.course.validity_invalid", "A certification is valid 1 to 240 months",
                                      field: "validityMonths")
        }
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            try await people.requireFree("people_courses", code: code, noun: "course")
            let positions = Set(try await people.positions().map(\.code))
            let mandatory = mandatoryFor.map { String($0.trimmed) }.filter { !$0.isEmpty }
            if let unknown = mandatory.first(where: { !positions.contains($0) }) {
                throw DomainError.invalid("people.position.unknown", "There is no position '\(unknown)'", field: "mandatoryFor")
            }
            let course = Course(id: UUID.v7().lowercaseText, code: code, title: title, validityMonths: validityMonths,
                                mandatoryFor: mandatory)
            try await tx.sql.insert(into: "people_courses")
                .columns("id", "code", "title", "validity_months", "mandatory_positions", "archived")
                .values(SQLBind(UUID(uuidString: course.id)!), SQLBind(code), SQLBind(title), SQLBind(validityMonths),
                        SQLBind(try AuditChain.canonicalJSON(mandatory) ?? "[]"), SQLBind(false)).run()
            try await service.context.audit(tx, actor, "people.course.create", entity: "course", id: course.id,
                                            before: nil as Course?, after: course)
            return course
        }
    }

    public func sessions(course: String? = nil) async throws -> [CourseSession] {
        var query = db.sql.select().column(SQLColumn(SQLLiteral.all, table: SQLIdentifier("s")))
            .column(SQLColumn("code", table: "c"), as: "course_code")
            .from(SQLAlias(SQLIdentifier("people_course_sessions"), as: SQLIdentifier("s")))
            .join(SQLAlias(SQLIdentifier("people_courses"), as: SQLIdentifier("c")), on: SQLColumn("course_id", table: "s"),
                  .equal, SQLColumn("id", table: "c"))
        if let course { query = query.where(SQLColumn("code", table: "c"), .equal, SQLBind(course)) }
        let counts = try await db.sql.select().column("session_id").column(SQLRaw("COUNT(*)"), as: "n").from("people_enrolments")
            .where("status", .notEqual, Enrolment.Status.cancelled.rawValue).groupBy("session_id").all()
        var enrolled: [String: Int] = [:]
        for row in counts { enrolled[try PeopleRows.id(row, "session_id")] = try row.decode(column: "n", as: Int.self) }
        return try await query.orderBy(SQLColumn("date", table: "s")).all().map { row in
            let id = try PeopleRows.id(row)
            return CourseSession(id: id, courseCode: try row.decode(column: "course_code", as: String.self),
                                 date: try PeopleRows.date(row, "date"), place: try row.decode(column: "place", as: String?.self),
                                 capacity: try row.decode(column: "capacity", as: Int.self), enrolled: enrolled[id] ?? 0)
        }
    }

    public func createSession(course: String, date: String, place: String?, capacity: Int,
                              by actor: Principal) async throws -> CourseSession {
        try Self.requireWrite(actor)
        let day = try CivilDate.parse(date, field: "date")
        guard (1...1_000).contains(capacity) else {
            throw DomainError.invalid("people.session.capacity_invalid", "A session takes 1 to 1000 people", field: "capacity")
        }
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let courseID = try await people.reference("people_courses", course, noun: "course", field: "course")
            let id = UUID.v7()
            try await tx.sql.insert(into: "people_course_sessions").columns("id", "course_id", "date", "place", "capacity")
                .values(SQLBind(id), SQLBind(UUID(uuidString: courseID)!), SQLBind(day.description),
                        SQLBind(place.nonBlank.map { String($0.prefix(200)) }),
                        SQLBind(capacity)).run()
            let session = try await people.sessions().first { $0.id == id.lowercaseText }!
            try await service.context.audit(tx, actor, "people.session.create", entity: "session", id: session.id,
                                            before: nil as CourseSession?, after: session)
            return session
        }
    }

    /// Enrols an employee in a session (people:write); a full session or a second enrolment is refused.
    public func enrol(session id: String, employee reference: String, by actor: Principal) async throws -> Enrolment {
        try Self.requireWrite(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            guard let session = try await people.sessions().first(where: { $0.id == id.lowercased() }) else {
                throw DomainError.notFound("people.session.not_found", "There is no session '\(id)'")
            }
            let employee = try await people.find(reference)
            guard session.enrolled < session.capacity else {
                throw DomainError.conflict("people.session.full", "The session on \(session.date) is full (\(session.capacity))")
            }
            if try await tx.sql.select().column("id").from("people_enrolments").where("session_id", .equal, UUID(uuidString: session.id)!)
                .where("employee_id", .equal, UUID(uuidString: employee.id)!).first() != nil {
                throw DomainError.conflict("people.enrolment.exists", "\(employee.number) is enrolled already")
            }
            let enrolmentID = UUID.v7()
            try await tx.sql.insert(into: "people_enrolments").columns("id", "session_id", "employee_id", "status", "expiry_notified")
                .values(SQLBind(enrolmentID), SQLBind(UUID(uuidString: session.id)!), SQLBind(UUID(uuidString: employee.id)!),
                        SQLBind(Enrolment.Status.enrolled.rawValue), SQLBind(false)).run()
            let enrolment = try await people.enrolments(id: enrolmentID.uuidString).first!
            try await service.context.audit(tx, actor, "people.enrolment.create", entity: "enrolment", id: enrolment.id,
                                            before: nil as Enrolment?, after: enrolment)
            return enrolment
        }
    }

    /// Records completion; a certification course sets the expiry `validityMonths` after the completion day.
    public func completeEnrolment(_ id: String, on text: String?, by actor: Principal) async throws -> Enrolment {
        try Self.requireWrite(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            guard let enrolment = try await people.enrolments(id: id).first else {
                throw DomainError.notFound("people.enrolment.not_found", "There is no enrolment '\(id)'")
            }
            guard enrolment.status == .enrolled else {
                throw DomainError.conflict("people.enrolment.not_open", "The enrolment is \(enrolment.status.rawValue)")
            }
            let given = try text.nonBlank
                .map { value throws(DomainError) in try CivilDate.parse(value, field: "completedOn") }
            let day = try await people.day(given)
            guard day >= enrolment.sessionDate else {
                throw DomainError.invalid("people.enrolment.before_session", "Completed on or after the session "
                                          + "(\(enrolment.sessionDate))", field: "completedOn")
            }
            let validity = try await people.courses().first { $0.code == enrolment.courseCode }?.validityMonths
            try await tx.sql.update("people_enrolments").set("status", to: Enrolment.Status.completed.rawValue)
                .set("completed_on", to: day.description)
                .set("expires_on", to: validity.map { day.addingMonths($0).description })
                .where("id", .equal, UUID(uuidString: enrolment.id)!).run()
            let after = try await people.enrolments(id: enrolment.id).first!
            try await service.context.audit(tx, actor, "people.enrolment.complete", entity: "enrolment", id: after.id,
                                            before: enrolment, after: after)
            return after
        }
    }

    func enrolments(id: String? = nil, employeeIDs: [String]? = nil) async throws -> [Enrolment] {
        var query = db.sql.select().column(SQLColumn(SQLLiteral.all, table: SQLIdentifier("n")))
            .column(SQLColumn("number", table: "e"), as: "employee_number")
            .column(SQLColumn("legal_name", table: "e"), as: "legal_name")
            .column(SQLColumn("code", table: "c"), as: "course_code").column(SQLColumn("title", table: "c"), as: "course_title")
            .column(SQLColumn("date", table: "s"), as: "session_date")
            .from(SQLAlias(SQLIdentifier("people_enrolments"), as: SQLIdentifier("n")))
            .join(SQLAlias(SQLIdentifier("people_employees"), as: SQLIdentifier("e")), on: SQLColumn("employee_id", table: "n"),
                  .equal, SQLColumn("id", table: "e"))
            .join(SQLAlias(SQLIdentifier("people_course_sessions"), as: SQLIdentifier("s")), on: SQLColumn("session_id", table: "n"),
                  .equal, SQLColumn("id", table: "s"))
            .join(SQLAlias(SQLIdentifier("people_courses"), as: SQLIdentifier("c")), on: SQLColumn("course_id", table: "s"),
                  .equal, SQLColumn("id", table: "c"))
        if let id {
            guard let uuid = UUID(uuidString: id) else { return [] }
            query = query.where(SQLColumn("id", table: "n"), .equal, SQLBind(uuid))
        }
        if let employeeIDs {
            guard !employeeIDs.isEmpty else { return [] }
            query = query.where(SQLColumn("employee_id", table: "n"), .in, SQLBind.group(employeeIDs.compactMap(UUID.init(uuidString:))))
        }
        return try await query.orderBy(SQLColumn("date", table: "s")).all().map { row in
            Enrolment(id: try PeopleRows.id(row), employeeID: try PeopleRows.id(row, "employee_id"),
                      employeeNumber: try row.decode(column: "employee_number", as: String.self),
                      employeeName: try row.decode(column: "legal_name", as: String.self),
                      courseCode: try row.decode(column: "course_code", as: String.self),
                      courseTitle: try row.decode(column: "course_title", as: String.self),
                      sessionDate: try PeopleRows.date(row, "session_date"),
                      status: Enrolment.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .enrolled,
                      completedOn: try PeopleRows.optionalDate(row, "completed_on"),
                      expiresOn: try PeopleRows.optionalDate(row, "expires_on"))
        }
    }

    /// The trainings of the employees the viewer may see (their own, their reports', or all with people:read).
    public func trainings(employee: String? = nil, by actor: Principal) async throws -> [Enrolment] {
        let viewer = try await viewer(actor)
        if let employee = employee.map({ String($0.trimmed) }), !employee.isEmpty {
            let found = try await find(employee)
            guard viewer.canSee(found.id) else { throw Self.notFound(employee) }
            return try await enrolments(employeeIDs: [found.id])
        }
        if viewer.readsAll { return try await enrolments() }
        return try await enrolments(employeeIDs: viewer.ownAndReports)
    }

    /// Certifications that expire within `days` of `asOf` (or have expired) and have no later completion of the same
    /// course, for active employees the viewer may see, soonest first.
    public func expiringCertifications(within days: Int, asOf: CivilDate? = nil,
                                       by actor: Principal) async throws -> [Enrolment] {
        let day = try await self.day(asOf)
        let all = try await trainings(by: actor).filter { $0.status == .completed }
        let active = Set(try await activeEmployeeIDs(on: day))
        var latest: [String: Enrolment] = [:]
        for enrolment in all where active.contains(enrolment.employeeID) {
            let key = "\(enrolment.employeeID)|\(enrolment.courseCode)"
            if let current = latest[key], (current.completedOn ?? .init(1, 1, 1)) >= (enrolment.completedOn ?? .init(1, 1, 1)) { continue }
            latest[key] = enrolment
        }
        return latest.values.filter { ($0.expiresOn.map { $0 <= day.addingDays(days) }) ?? false }
            .sorted { ($0.expiresOn!, $0.employeeNumber) < ($1.expiresOn!, $1.employeeNumber) }
    }

    /// Active employees missing a mandatory course of their position (no valid completion on `asOf`).
    public func missingMandatory(asOf: CivilDate? = nil, by actor: Principal) async throws -> [(employee: Employee, course: Course)] {
        let day = try await self.day(asOf)
        let courses = try await courses().filter { !$0.mandatoryFor.isEmpty }
        guard !courses.isEmpty else { return [] }
        let positions = Dictionary(uniqueKeysWithValues: try await positions().map { ($0.id, $0.code) })
        let (employees, _) = try await self.employees(.init(status: .active, asOf: day, limit: Self.pageLimitMax), by: actor)
        let completions = try await trainings(by: actor).filter { $0.status == .completed }
        var result: [(Employee, Course)] = []
        for employee in employees {
            guard let position = employee.assignment?.positionID.flatMap({ positions[$0] }) else { continue }
            for course in courses where course.mandatoryFor.contains(position) {
                let valid = completions.contains { $0.employeeID == employee.id && $0.courseCode == course.code
                    && ($0.expiresOn.map { $0 >= day } ?? true) }
                if !valid { result.append((employee, course)) }
            }
        }
        return result
    }

    /// Publishes `certification.expired` once for each certification that expired by `asOf` (run by `keel jobs run`).
    @discardableResult
    public func notifyExpiredCertifications(asOf day: CivilDate) async throws -> Int {
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let rows = try await tx.sql.select().column("id").from("people_enrolments").where("status", .equal, "completed")
                .where("expiry_notified", .equal, false).where("expires_on", .lessThan, day.description).all()
            for row in rows {
                let id = try PeopleRows.id(row)
                guard let enrolment = try await people.enrolments(id: id).first else { continue }
                try await service.context.publish("certification.expired", CertificationEvent(
                    employee: enrolment.employeeNumber, name: enrolment.employeeName, course: enrolment.courseCode,
                    title: enrolment.courseTitle, completedOn: enrolment.completedOn?.description ?? "",
                    expiredOn: enrolment.expiresOn?.description ?? ""), on: tx)
                try await tx.sql.update("people_enrolments").set("expiry_notified", to: true)
                    .where("id", .equal, UUID(uuidString: id)!).run()
            }
            return rows.count
        }
    }
}

/// The payload of `certification.expired`.
public struct CertificationEvent: Codable, Sendable, Equatable {
    public let employee: String
    public let name: String
    public let course: String
    public let title: String
    public let completedOn: String
    public let expiredOn: String
}
