import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// A job opening, usually for a position with open headcount.
public struct Opening: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case open, closed }

    public let id: String
    public let code: String
    public let title: String
    public let positionID: String?
    public let status: Status
    public var candidates: Int
}

public struct Candidate: Sendable, Codable, Equatable {
    /// The pipeline, in order; hired and rejected end it.
    public enum Stage: String, Sendable, Codable, CaseIterable {
        case applied, screening, interview, offer, hired, rejected

        public var isFinal: Bool { self == .hired || self == .rejected }
    }

    public let id: String
    public let openingID: String
    public let openingCode: String
    public let name: String
    public let email: String?
    public let phone: String?
    public let stage: Stage
    public let notes: String?
    public let offerSalary: Int64?
    public let offerStart: CivilDate?
    public let employeeID: String?
    public let appliedAt: String
    public let stageChangedAt: String
    public let anonymised: Bool
}

public struct Interview: Sendable, Codable, Equatable {
    public let id: String
    public let date: CivilDate
    public let interviewers: String
    /// 1 (no) to 5 (strong yes).
    public let score: Int?
    public let notes: String?
    public let recordedBy: String
}

extension PeopleService {
    /// Candidates' data is kept this many days after their last stage change unless hired (setting
    /// `people.candidate_retention_days`, default 180), then anonymised by `keel jobs run`.
    static let retentionSetting = "people.candidate_retention_days"

    static func requireRecruiter(_ actor: Principal) throws(DomainError) { try require(actor, Permission("people", .write)) }

    /// The company's currency (salaries and offers are in it), EUR until a company is set up.
    public func companyCurrencyCode() async throws -> Currency { try await companyCurrency() }

    func companyCurrency() async throws -> Currency {
        try await Settings.get("company.currency", on: db).flatMap(Currency.init(code:)) ?? .eur
    }

    /// Days a candidate's data is kept after their last stage change unless hired.
    public func candidateRetentionDays() async throws -> Int {
        try await Settings.get(Self.retentionSetting, on: db).flatMap(Int.init) ?? 180
    }

    public func setCandidateRetentionDays(_ days: Int, by actor: Principal) async throws {
        try Self.requireRecruiter(actor)
        guard (30...3_650).contains(days) else {
            throw DomainError.invalid("people.candidate.retention_invalid", "Keep candidates' data 30 to 3650 days",
                                      field: "days")
        }
        let service = self
        try await writeTransaction(db) { tx in
            let before = try await service.on(tx).candidateRetentionDays()
            try await Settings.set(Self.retentionSetting, String(days), on: tx)
            try await service.context.audit(tx, actor, "people.candidate.retention", entity: "setting", id: Self.retentionSetting,
                                            before: before, after: days)
        }
    }

    public func openings() async throws -> [Opening] {
        let counts = try await db.sql.select().column("opening_id").column(SQLRaw("COUNT(*)"), as: "n").from("people_candidates")
            .where("stage", .notIn, [Candidate.Stage.hired.rawValue, Candidate.Stage.rejected.rawValue])
            .groupBy("opening_id").all()
        var active: [String: Int] = [:]
        for row in counts { active[try PeopleRows.id(row, "opening_id")] = try row.decode(column: "n", as: Int.self) }
        return try await db.sql.select().column("*").from("people_openings").orderBy("status", .descending).orderBy("title")
            .all().map { row in
                let id = try PeopleRows.id(row)
                return Opening(id: id, code: try row.decode(column: "code", as: String.self),
                               title: try row.decode(column: "title", as: String.self),
                               positionID: try PeopleRows.optionalID(row, "position_id"),
                               status: Opening.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .open,
                               candidates: active[id] ?? 0)
            }
    }

    public func createOpening(code: String, title: String, position: String?, by actor: Principal) async throws -> Opening {
        try Self.requireRecruiter(actor)
        let code = try Self.checkCode(code, noun: "opening")
        let title = try Self.checkName(title, noun: "opening", field: "title")
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            try await people.requireFree("people_openings", code: code, noun: "opening")
            let positionID = try await position.nonBlank.asyncMap {
                try await people.reference("people_positions", $0, noun: "position", field: "position")
            }
            let id = UUID.v7()
            try await tx.sql.insert(into: "people_openings").columns("id", "code", "title", "position_id", "status", "created_at")
                .values(SQLBind(id), SQLBind(code), SQLBind(title), SQLBind(positionID.flatMap(UUID.init(uuidString:))),
                        SQLBind(Opening.Status.open.rawValue), SQLBind(RFC3339.format(service.context.clock.now()))).run()
            let opening = Opening(id: id.lowercaseText, code: code, title: title, positionID: positionID,
                                  status: .open, candidates: 0)
            try await service.context.audit(tx, actor, "people.opening.create", entity: "opening", id: opening.id,
                                            before: nil as Opening?, after: opening)
            return opening
        }
    }

    public func candidates(opening: String? = nil, by actor: Principal) async throws -> [Candidate] {
        try Self.requireRecruiter(actor)
        var query = candidateQuery()
        if let opening = opening.map({ String($0.trimmed) }), !opening.isEmpty {
            let id = try await reference("people_openings", opening, noun: "opening", field: "opening")
            query = query.where(SQLColumn("opening_id", table: "c"), .equal, SQLBind(UUID(uuidString: id)!))
        }
        return try await query.orderBy(SQLColumn("applied_at", table: "c")).all().map(Self.candidate)
    }

    public func candidate(_ id: String, by actor: Principal) async throws -> (Candidate, [Interview]) {
        try Self.requireRecruiter(actor)
        let candidate = try await findCandidate(id)
        let interviews = try await db.sql.select().column("*").from("people_interviews")
            .where("candidate_id", .equal, UUID(uuidString: candidate.id)!).orderBy("date").all().map { row in
                Interview(id: try PeopleRows.id(row), date: try PeopleRows.date(row, "date"),
                          interviewers: try row.decode(column: "interviewers", as: String.self),
                          score: try row.decode(column: "score", as: Int?.self), notes: try row.decode(column: "notes", as: String?.self),
                          recordedBy: try row.decode(column: "recorded_by", as: String.self))
            }
        return (candidate, interviews)
    }

    func candidateQuery() -> SQLSelectBuilder {
        db.sql.select().column(SQLColumn(SQLLiteral.all, table: SQLIdentifier("c")))
            .column(SQLColumn("code", table: "o"), as: "opening_code")
            .from(SQLAlias(SQLIdentifier("people_candidates"), as: SQLIdentifier("c")))
            .join(SQLAlias(SQLIdentifier("people_openings"), as: SQLIdentifier("o")), on: SQLColumn("opening_id", table: "c"),
                  .equal, SQLColumn("id", table: "o"))
    }

    func findCandidate(_ id: String) async throws -> Candidate {
        guard let uuid = UUID(uuidString: id),
              let row = try await candidateQuery().where(SQLColumn("id", table: "c"), .equal, SQLBind(uuid)).first() else {
            throw DomainError.notFound("people.candidate.not_found", "There is no candidate '\(id)'")
        }
        return try Self.candidate(row)
    }

    static func candidate(_ row: any SQLRow) throws -> Candidate {
        Candidate(id: try PeopleRows.id(row), openingID: try PeopleRows.id(row, "opening_id"),
                  openingCode: try row.decode(column: "opening_code", as: String.self),
                  name: try row.decode(column: "name", as: String.self), email: try row.decode(column: "email", as: String?.self),
                  phone: try row.decode(column: "phone", as: String?.self),
                  stage: Candidate.Stage(rawValue: try row.decode(column: "stage", as: String.self)) ?? .applied,
                  notes: try row.decode(column: "notes", as: String?.self),
                  offerSalary: try row.decode(column: "offer_salary", as: Int64?.self),
                  offerStart: try PeopleRows.optionalDate(row, "offer_start"),
                  employeeID: try PeopleRows.optionalID(row, "employee_id"),
                  appliedAt: try row.decode(column: "applied_at", as: String.self),
                  stageChangedAt: try row.decode(column: "stage_changed_at", as: String.self),
                  anonymised: try row.decode(column: "anonymised_at", as: String?.self) != nil)
    }

    public func addCandidate(opening: String, name: String, email: String?, phone: String?, notes: String?,
                             by actor: Principal) async throws -> Candidate {
        try Self.requireRecruiter(actor)
        let name = try Self.checkName(name, noun: "candidate")
        let email = email.nonBlank
        if let email, !EmailAddress.isPlausible(email) {
            throw DomainError.invalid("people.candidate.email_invalid", "'\(email)' is not an email address", field: "email")
        }
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let openingID = try await people.reference("people_openings", opening, noun: "opening", field: "opening")
            guard try await people.openings().first(where: { $0.id == openingID })?.status == .open else {
                throw DomainError.conflict("people.opening.closed", "The opening is closed", field: "opening")
            }
            let id = UUID.v7()
            let now = RFC3339.format(service.context.clock.now())
            try await tx.sql.insert(into: "people_candidates")
                .columns("id", "opening_id", "name", "email", "phone", "stage", "notes", "applied_at", "stage_changed_at")
                .values(SQLBind(id), SQLBind(UUID(uuidString: openingID)!), SQLBind(name), SQLBind(email),
                        SQLBind(phone.nonBlank),
                        SQLBind(Candidate.Stage.applied.rawValue),
                        SQLBind(notes.nonBlank.map { String($0.prefix(4_000)) }),
                        SQLBind(now), SQLBind(now)).run()
            let candidate = try await people.findCandidate(id.uuidString)
            try await service.context.audit(tx, actor, "people.candidate.add", entity: "candidate", id: candidate.id,
                                            before: nil as Candidate?, after: candidate)
            return candidate
        }
    }

    /// Moves a candidate along the pipeline (any stage but hired: hiring goes through `hireCandidate`). An offer
    /// takes the salary and start date offered.
    public func moveCandidate(_ id: String, to stage: Candidate.Stage, offerSalary: String? = nil, offerStart: String? = nil,
                              by actor: Principal) async throws -> Candidate {
        try Self.requireRecruiter(actor)
        guard stage != .hired else {
            throw DomainError.invalid("people.candidate.hire_separately", "Hire a candidate with the hire form, which creates "
                                      + "the employee", field: "stage")
        }
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let candidate = try await people.findCandidate(id)
            guard !candidate.stage.isFinal, !candidate.anonymised else {
                throw DomainError.conflict("people.candidate.closed", "\(candidate.name) is \(candidate.stage.rawValue)")
            }
            var update = tx.sql.update("people_candidates").set("stage", to: stage.rawValue)
                .set("stage_changed_at", to: RFC3339.format(service.context.clock.now()))
            if stage == .offer {
                let currency = try await people.companyCurrency()
                let salary = try offerSalary.nonBlank.map { text throws(DomainError) in
                    try Money.parse(text, currency: currency, field: "offerSalary").minorUnits
                }
                let start = try offerStart.nonBlank.map { text throws(DomainError) in
                    try CivilDate.parse(text, field: "offerStart")
                }
                update = update.set("offer_salary", to: salary).set("offer_start", to: start?.description)
            }
            try await update.where("id", .equal, UUID(uuidString: candidate.id)!).run()
            let after = try await people.findCandidate(candidate.id)
            try await service.context.audit(tx, actor, "people.candidate.move", entity: "candidate", id: after.id,
                                            before: candidate, after: after)
            return after
        }
    }

    public func recordInterview(candidate id: String, date: String, interviewers: String, score: Int?, notes: String?,
                                by actor: Principal) async throws -> Interview {
        try Self.requireRecruiter(actor)
        let day = try CivilDate.parse(date, field: "date")
        let names = String(interviewers.trimmed)
        guard (1...500).contains(names.count) else {
            throw DomainError.invalid("people.interview.interviewers_missing", "Name who interviewed", field: "interviewers")
        }
        if let score, !(1...5).contains(score) {
            throw DomainError.invalid("people.interview.score_invalid", "A score is 1 (no) to 5 (strong yes)", field: "score")
        }
        let service = self
        return try await writeTransaction(db) { tx in
            let candidate = try await service.on(tx).findCandidate(id)
            guard !candidate.anonymised else {
                throw DomainError.conflict("people.candidate.closed", "The candidate's data was anonymised")
            }
            let interview = Interview(id: UUID.v7().lowercaseText, date: day, interviewers: names, score: score,
                                      notes: notes.nonBlank.map { String($0.prefix(4_000)) },
                                      recordedBy: actor.username)
            try await tx.sql.insert(into: "people_interviews")
                .columns("id", "candidate_id", "date", "interviewers", "score", "notes", "recorded_by")
                .values(SQLBind(UUID(uuidString: interview.id)!), SQLBind(UUID(uuidString: candidate.id)!),
                        SQLBind(day.description), SQLBind(names), SQLBind(score), SQLBind(interview.notes),
                        SQLBind(actor.username)).run()
            try await service.context.audit(tx, actor, "people.interview.record", entity: "candidate", id: candidate.id,
                                            before: nil as Interview?, after: interview)
            return interview
        }
    }

    /// Hires a candidate: the employee is created (history, onboarding tasks, `employee.hired`) from the input, with
    /// the candidate's name, email, the opening's position and the offer filled in where the input leaves them out;
    /// the candidate is marked hired and linked to the employee. One transaction.
    public func hireCandidate(_ id: String, _ input: HireInput?, by actor: Principal) async throws -> Employee {
        try Self.requireRecruiter(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let candidate = try await people.findCandidate(id)
            guard !candidate.stage.isFinal, !candidate.anonymised else {
                throw DomainError.conflict("people.candidate.closed", "\(candidate.name) is \(candidate.stage.rawValue)")
            }
            let opening = try await people.openings().first { $0.id == candidate.openingID }
            let positionCode = try await opening?.positionID.asyncMap { id in
                try await people.positions().first { $0.id == id }?.code
            } ?? nil
            var hire = input ?? HireInput(legalName: candidate.name, hireDate: candidate.offerStart?.description ?? "",
                                          job: AssignmentInput())
            if hire.legalName.trimmed.isEmpty { hire.legalName = candidate.name }
            if hire.personal == nil, let email = candidate.email { hire.personal = PersonalInput(privateEmail: email) }
            if hire.hireDate.trimmed.isEmpty, let start = candidate.offerStart { hire.hireDate = start.description }
            if hire.job.position == nil { hire.job.position = positionCode }
            if hire.job.department == nil, let positionID = opening?.positionID,
               let departmentID = try await people.positions().first(where: { $0.id == positionID })?.departmentID,
               let code = try await people.departments().first(where: { $0.id == departmentID })?.code {
                hire.job.department = code
            }
            if hire.job.salary == nil, let salary = candidate.offerSalary {
                hire.job.salary = Money(minorUnits: salary, currency: try await people.companyCurrency()).decimalString
            }
            let employee = try await people.hire(hire, by: actor)
            try await tx.sql.update("people_candidates").set("stage", to: Candidate.Stage.hired.rawValue)
                .set("employee_id", to: UUID(uuidString: employee.id)!)
                .set("stage_changed_at", to: RFC3339.format(service.context.clock.now()))
                .where("id", .equal, UUID(uuidString: candidate.id)!).run()
            let after = try await people.findCandidate(candidate.id)
            try await service.context.audit(tx, actor, "people.candidate.hire", entity: "candidate", id: after.id,
                                            before: candidate, after: after)
            return employee
        }
    }

    /// Anonymises candidates who were not hired and whose last stage change is older than the retention period:
    /// name, email, phone, notes, offer and interview notes are removed. Idempotent; returns how many.
    @discardableResult
    public func purgeCandidates(asOf day: CivilDate) async throws -> Int {
        let days = try await candidateRetentionDays()
        let cutoff = day.addingDays(-days).description
        let service = self
        return try await writeTransaction(db) { tx in
            let rows = try await tx.sql.select().column("id").from("people_candidates")
                .where("stage", .notEqual, Candidate.Stage.hired.rawValue).where("anonymised_at", .is, SQLLiteral.null)
                .where("stage_changed_at", .lessThan, cutoff).all()
            let now = RFC3339.format(service.context.clock.now())
            for row in rows {
                let id = try row.decode(column: "id", as: UUID.self)
                try await tx.sql.update("people_candidates").set("name", to: "Anonymised candidate")
                    .set("email", to: nil as String?).set("phone", to: nil as String?).set("notes", to: nil as String?)
                    .set("offer_salary", to: nil as Int64?).set("anonymised_at", to: now).where("id", .equal, id).run()
                try await tx.sql.update("people_interviews").set("notes", to: nil as String?)
                    .set("interviewers", to: "—").where("candidate_id", .equal, id).run()
            }
            if !rows.isEmpty {
                try await service.context.audit(tx, .system, "people.candidate.purge", entity: "candidates",
                                                id: "\(rows.count)", before: nil as Int?, after: rows.count)
            }
            return rows.count
        }
    }
}
