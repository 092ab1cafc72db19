import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// A request for leave, as the employee (or hr for them) asks.
public struct LeaveRequestInput: Sendable, Codable, Equatable {
    /// Employee number; empty: the caller's own record.
    public var employee: String?
    public var type: String
    public var start: String
    public var end: String
    public var halfStart: Bool?
    public var halfEnd: Bool?
    public var note: String?

    public init(employee: String? = nil, type: String, start: String, end: String, halfStart: Bool? = nil,
                halfEnd: Bool? = nil, note: String? = nil) {
        self.employee = employee
        self.type = type
        self.start = start
        self.end = end
        self.halfStart = halfStart
        self.halfEnd = halfEnd
        self.note = note
    }
}

public struct LeaveTypeInput: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var paid: Bool
    public var limited: Bool
    public var annualDays: String?
    public var accrual: String?
    public var carryOverMax: String?
    /// "MM-DD" of the next year.
    public var carryOverExpiry: String?

    public init(code: String, name: String, paid: Bool = true, limited: Bool = true, annualDays: String? = nil,
                accrual: String? = nil, carryOverMax: String? = nil, carryOverExpiry: String? = nil) {
        self.code = code
        self.name = name
        self.paid = paid
        self.limited = limited
        self.annualDays = annualDays
        self.accrual = accrual
        self.carryOverMax = carryOverMax
        self.carryOverExpiry = carryOverExpiry
    }
}

public struct LeaveRequest: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable { case pending, approved, rejected, cancelled }

    public let id: String
    public let employeeID: String
    public let employeeNumber: String
    public let employeeName: String
    public let typeCode: String
    public let typeName: String
    public let start: CivilDate
    public let end: CivilDate
    public let halfStart: Bool
    public let halfEnd: Bool
    public let days: Decimal
    public let status: Status
    public let note: String?
    public let decidedBy: String?
    public let decidedAt: String?
    public let decisionNote: String?
    public let createdBy: String
    public let createdAt: String
}

public struct Holiday: Sendable, Codable, Equatable {
    public let date: CivilDate
    public let name: String
    /// A location code; `nil` for every location.
    public let location: String?
}

extension PeopleService {
    // MARK: Types and holidays

    public func leaveTypes(includeArchived: Bool = false) async throws -> [LeaveType] {
        var query = db.sql.select().column("*").from("people_leave_types")
        if !includeArchived { query = query.where("archived", .equal, false) }
        return try await query.orderBy("name").all().map(Self.leaveType)
    }

    static func leaveType(_ row: any SQLRow) throws -> LeaveType {
        func decimal(_ column: String) throws -> Decimal {
            Decimal(string: try row.decode(column: column, as: String.self), locale: Locale(identifier: "en_US_POSIX")) ?? 0
        }
        let expiry = try row.decode(column: "carry_over_expiry", as: String.self).split(separator: "-").compactMap { Int($0) }
        return LeaveType(id: try PeopleRows.id(row), code: try row.decode(column: "code", as: String.self),
                         name: try row.decode(column: "name", as: String.self), paid: try row.decode(column: "paid", as: Bool.self),
                         limited: try row.decode(column: "limited", as: Bool.self), annualDays: try decimal("annual_days"),
                         accrual: LeaveType.Accrual(rawValue: try row.decode(column: "accrual", as: String.self)) ?? .annual,
                         carryOverMax: try decimal("carry_over_max"), carryOverExpiryMonth: expiry.first ?? 3,
                         carryOverExpiryDay: expiry.count > 1 ? expiry[1] : 31,
                         archived: try row.decode(column: "archived", as: Bool.self))
    }

    /// Adds a leave type with its policy (needs people:write).
    public func createLeaveType(_ input: LeaveTypeInput, by actor: Principal) async throws -> LeaveType {
        try Self.requireWrite(actor)
        let code = try Self.checkCode(input.code, noun: "leave_type")
        let name = try Self.checkName(input.name, noun: "leave_type")
        func decimal(_ text: String?, _ field: String, max: Decimal) throws(DomainError) -> Decimal {
            guard let text = text.map({ String($0.trimmed) }), !text.isEmpty else { return 0 }
            guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), value >= 0, value <= max,
                  LeaveRules.roundToHalf(value) == value else {
                throw .invalid("people.leave_type.\(field)_invalid", "\(field == "annual_days" ? "Annual days" : "Carry-over") "
                               + "is 0 to \(max) in half days", field: field == "annual_days" ? "annualDays" : "carryOverMax")
            }
            return value
        }
        let annual = try decimal(input.annualDays, "annual_days", max: 366)
        let carry = try decimal(input.carryOverMax, "carry_over", max: 366)
        let accrualText = input.accrual.nonBlank ?? "annual"
        guard let accrual = LeaveType.Accrual(rawValue: accrualText) else {
            throw DomainError.invalid("people.leave_type.accrual_invalid", "Accrual is annual or monthly", field: "accrual")
        }
        let expiryText = input.carryOverExpiry.nonBlank ?? "03-31"
        let parts = expiryText.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, CivilDate(year: 2023, month: parts[0], day: parts[1]) != nil else {
            throw DomainError.invalid("people.leave_type.expiry_invalid", "The carry-over expiry is a day as MM-DD (03-31)",
                                      field: "carryOverExpiry")
        }
        if input.limited && annual == 0 {
            throw DomainError.invalid("people.leave_type.annual_days_missing", "A limited leave type gives some days a year",
                                      field: "annualDays")
        }
        let service = self
        return try await writeTransaction(db) { tx in
            try await service.on(tx).requireFree("people_leave_types", code: code, noun: "leave_type")
            let id = UUID.v7()
            try await tx.sql.insert(into: "people_leave_types")
                .columns("id", "code", "name", "paid", "limited", "annual_days", "accrual", "carry_over_max",
                         "carry_over_expiry", "archived")
                .values(SQLBind(id), SQLBind(code), SQLBind(name), SQLBind(input.paid), SQLBind(input.limited),
                        SQLBind("\(annual)"), SQLBind(accrual.rawValue), SQLBind("\(carry)"),
                        SQLBind(String(format: "%02d-%02d", parts[0], parts[1])), SQLBind(false)).run()
            let type = LeaveType(id: id.lowercaseText, code: code, name: name, paid: input.paid,
                                 limited: input.limited, annualDays: annual, accrual: accrual, carryOverMax: carry,
                                 carryOverExpiryMonth: parts[0], carryOverExpiryDay: parts[1])
            try await service.context.audit(tx, actor, "people.leave_type.create", entity: "leave_type", id: type.id,
                                            before: nil as LeaveType?, after: type)
            return type
        }
    }

    public func holidays(year: Int) async throws -> [Holiday] {
        let locations = Dictionary(uniqueKeysWithValues: try await locations().map { ($0.id, $0.code) })
        return try await db.sql.select().column("*").from("people_holidays")
            .where("date", .greaterThanOrEqual, CivilDate(year, 1, 1).description)
            .where("date", .lessThanOrEqual, CivilDate(year, 12, 31).description).orderBy("date").all().map { row in
                Holiday(date: try PeopleRows.date(row, "date"), name: try row.decode(column: "name", as: String.self),
                        location: try PeopleRows.optionalID(row, "location_id").flatMap { locations[$0] })
            }
    }

    /// Imports public holidays from CSV with a header row (`date,name` and optionally `location`, a location code). All or nothing: every bad
    /// line is reported with its number. A holiday already on file for that day and location is kept, not doubled.
    public func importHolidays(_ text: String, by actor: Principal) async throws -> Int {
        try Self.requireWrite(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let locations = Dictionary(uniqueKeysWithValues: try await people.locations().map { ($0.code, $0.id) })
            var problems: [DomainError.Item] = []
            var rows: [(CivilDate, String, String?)] = []
            let table = CSVLine.table(text)
            guard let dateColumn = table.header.firstIndex(of: "date"), let nameColumn = table.header.firstIndex(of: "name") else {
                throw DomainError.invalid("people.holiday.header", "The first line names the columns: date,name and "
                                          + "optionally location", field: "csv")
            }
            let locationColumn = table.header.firstIndex(of: "location")
            for record in table.rows {
                let fields = record.fields.map { String($0.trimmed) }
                func field(_ index: Int?) -> String { index.flatMap { $0 < fields.count ? fields[$0] : nil } ?? "" }
                let name = field(nameColumn)
                guard !name.isEmpty, name.count <= 200 else {
                    problems.append(.init(line: record.line, field: "name", code: "people.holiday.name_invalid",
                                          message: "Line \(record.line): a holiday has a name of 1 to 200 characters"))
                    continue
                }
                let date: CivilDate
                do throws(DomainError) { date = try CivilDate.parse(field(dateColumn), field: "date") } catch {
                    problems.append(.init(line: record.line, field: "date", code: error.code,
                                          message: "Line \(record.line): \(error.message)"))
                    continue
                }
                var location: String?
                let code = field(locationColumn)
                if !code.isEmpty {
                    guard let id = locations[code] else {
                        problems.append(.init(line: record.line, field: "location", code: "people.location.unknown",
                                              message: "Line \(record.line): there is no location '\(code)'"))
                        continue
                    }
                    location = id
                }
                rows.append((date, name, location))
            }
            if let first = problems.first {
                throw DomainError(.invalid, "people.holiday.import_invalid", first.message, field: "csv", items: problems)
            }
            guard !rows.isEmpty else {
                throw DomainError.invalid("people.holiday.import_empty", "The file has no holidays", field: "csv")
            }
            var added = 0
            for (date, name, location) in rows {
                var existing = tx.sql.select().column("id").from("people_holidays").where("date", .equal, date.description)
                existing = location.map { existing.where("location_id", .equal, UUID(uuidString: $0)!) }
                    ?? existing.where("location_id", .is, SQLLiteral.null)
                if try await existing.first() != nil { continue }
                try await tx.sql.insert(into: "people_holidays").columns("id", "date", "name", "location_id")
                    .values(SQLBind(UUID.v7()), SQLBind(date.description), SQLBind(name),
                            SQLBind(location.flatMap(UUID.init(uuidString:)))).run()
                added += 1
            }
            try await service.context.audit(tx, actor, "people.holiday.import", entity: "holidays", id: "\(rows.count)",
                                            before: nil as Int?, after: added)
            return added
        }
    }

    /// The holidays that apply at a location (company-wide ones and the location's own) between two days.
    func holidaySet(location: String?, from: CivilDate, to: CivilDate) async throws -> Set<CivilDate> {
        let rows = try await db.sql.select().columns("date", "location_id").from("people_holidays")
            .where("date", .greaterThanOrEqual, from.description).where("date", .lessThanOrEqual, to.description).all()
        var result: Set<CivilDate> = []
        for row in rows {
            let at = try PeopleRows.optionalID(row, "location_id")
            if at == nil || at == location { result.insert(try PeopleRows.date(row, "date")) }
        }
        return result
    }

    // MARK: Requests

    /// Asks for leave: for oneself, or (with people:write) for anyone. Counted in working days at the employee's
    /// location; refused when it takes no working day, overlaps another pending or approved request, crosses a
    /// year, or, for a limited type, asks for more than is available.
    public func requestLeave(_ input: LeaveRequestInput, by actor: Principal) async throws -> LeaveRequest {
        let viewer = try await viewer(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let employee: Employee
            if let reference = input.employee.map({ String($0.trimmed) }), !reference.isEmpty {
                employee = try await people.find(reference)
                guard viewer.canSee(employee.id) else { throw Self.notFound(reference) }
            } else {
                guard let own = viewer.employeeID else {
                    throw DomainError.invalid("people.employee.not_linked", "Your user is not linked to an employee record; "
                                              + "name the employee", field: "employee")
                }
                employee = try await people.find(own)
            }
            guard viewer.isSelf(employee.id) || actor.can(Permission("people", .write)) else {
                throw DomainError.forbidden("auth.forbidden", "Only the employee or hr asks for an employee's leave")
            }
            guard employee.status != .terminated else {
                throw DomainError.conflict("people.leave.employee_left", "\(employee.number) has left")
            }
            let type = try await people.leaveType(input.type)
            let start = try CivilDate.parse(input.start, field: "start")
            let end = try CivilDate.parse(input.end, field: "end")
            guard start <= end else {
                throw DomainError.invalid("people.leave.end_before_start", "The leave ends on or after its first day", field: "end")
            }
            guard start.year == end.year else {
                throw DomainError.invalid("people.leave.crosses_year", "A request stays within one calendar year; ask for "
                                          + "the days up to 31 December and those from 1 January separately", field: "end")
            }
            guard start >= employee.hireDate, employee.leavingDate.map({ end <= $0 }) ?? true else {
                throw DomainError.invalid("people.leave.outside_employment", "The leave falls outside the employment",
                                          field: "start")
            }
            let history = try await people.history(of: employee.id)
            let location = OrgRules.assignment(asOf: start, in: history)?.locationID
            let holidays = try await people.holidaySet(location: location, from: start, to: end)
            let days = LeaveRules.workingDays(from: start, to: end, holidays: holidays, halfStart: input.halfStart ?? false,
                                              halfEnd: input.halfEnd ?? false)
            guard days > 0 else {
                throw DomainError.invalid("people.leave.no_working_days", "\(start) to \(end) has no working day "
                                          + "(weekends and holidays are not counted)", field: "start")
            }
            let overlapping = try await tx.sql.select().column("start_date").column("end_date").from("people_leave_requests")
                .where("employee_id", .equal, UUID(uuidString: employee.id)!)
                .where("status", .in, [LeaveRequest.Status.pending.rawValue, LeaveRequest.Status.approved.rawValue])
                .where("start_date", .lessThanOrEqual, end.description).where("end_date", .greaterThanOrEqual, start.description)
                .first()
            if let overlapping {
                throw DomainError.conflict("people.leave.overlap", "There is already leave from "
                                           + "\(try overlapping.decode(column: "start_date", as: String.self)) to "
                                           + "\(try overlapping.decode(column: "end_date", as: String.self))", field: "start")
            }
            if type.limited {
                let balance = try await people.balance(of: employee, type: type, year: start.year, asOf: start)
                guard balance.available >= days else {
                    throw DomainError.invalid("people.leave.insufficient_balance", "\(days) day(s) asked, \(balance.available) "
                                              + "\(type.name.lowercased()) day(s) available on \(start)", field: "end")
                }
            }
            let note = input.note.nonBlank.map { String($0.prefix(500)) }
            let id = UUID.v7()
            try await tx.sql.insert(into: "people_leave_requests")
                .columns("id", "employee_id", "type_id", "start_date", "end_date", "half_start", "half_end", "days", "status",
                         "note", "created_by", "created_at")
                .values(SQLBind(id), SQLBind(UUID(uuidString: employee.id)!), SQLBind(UUID(uuidString: type.id)!),
                        SQLBind(start.description), SQLBind(end.description), SQLBind(input.halfStart ?? false),
                        SQLBind(input.halfEnd ?? false), SQLBind("\(days)"), SQLBind(LeaveRequest.Status.pending.rawValue),
                        SQLBind(note), SQLBind(actor.username), SQLBind(RFC3339.format(service.context.clock.now()))).run()
            let request = try await people.leaveRequest(id.uuidString)
            try await service.context.audit(tx, actor, "people.leave.request", entity: "leave_request", id: request.id,
                                            before: nil as LeaveRequest?, after: request)
            return request
        }
    }

    public enum LeaveDecision: String, Sendable { case approve, reject, cancel }

    /// Approves or rejects a pending request (its employee's manager, or people:approve; never the employee), or
    /// cancels one (the employee or hr) that is pending or approved and not yet started.
    public func decideLeave(_ id: String, _ decision: LeaveDecision, note: String? = nil,
                            by actor: Principal) async throws -> LeaveRequest {
        let viewer = try await viewer(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let people = service.on(tx)
            let request = try await people.leaveRequest(id)
            guard viewer.canSee(request.employeeID) else {
                throw DomainError.notFound("people.leave.not_found", "There is no leave request '\(id)'")
            }
            let status: LeaveRequest.Status
            switch decision {
            case .approve, .reject:
                guard viewer.canApprove(for: request.employeeID) else {
                    throw DomainError.forbidden("people.leave.not_approver", viewer.isSelf(request.employeeID)
                                                ? "No one approves their own leave" : "Only the employee's manager or hr decides")
                }
                guard request.status == .pending else {
                    throw DomainError.conflict("people.leave.not_pending", "The request is \(request.status.rawValue) already")
                }
                status = decision == .approve ? .approved : .rejected
            case .cancel:
                guard viewer.isSelf(request.employeeID) || actor.can(Permission("people", .write)) else {
                    throw DomainError.forbidden("auth.forbidden", "Only the employee or hr cancels a request")
                }
                guard request.status == .pending || request.status == .approved else {
                    throw DomainError.conflict("people.leave.not_cancellable", "The request is \(request.status.rawValue)")
                }
                if request.status == .approved, request.start <= (try await people.today()) {
                    throw DomainError.conflict("people.leave.started", "Leave that has started is not cancelled; ask hr "
                                               + "to record the return")
                }
                status = .cancelled
            }
            if status == .approved {
                let employee = try await people.find(request.employeeID)
                let type = try await people.leaveType(request.typeCode)
                if type.limited {
                    // The request itself is counted as pending in the balance: what is left must cover it.
                    let balance = try await people.balance(of: employee, type: type, year: request.start.year, asOf: request.start)
                    guard balance.available >= 0 else {
                        throw DomainError.conflict("people.leave.insufficient_balance", "Approving would take \(employee.number) "
                                                   + "below zero (\(balance.available) available)")
                    }
                }
            }
            try await tx.sql.update("people_leave_requests").set("status", to: status.rawValue)
                .set("decided_by", to: actor.username).set("decided_at", to: RFC3339.format(service.context.clock.now()))
                .set("decision_note", to: note.nonBlank.map { String($0.prefix(500)) })
                .where("id", .equal, UUID(uuidString: request.id)!).run()
            let after = try await people.leaveRequest(request.id)
            try await service.context.audit(tx, actor, "people.leave.\(decision.rawValue)", entity: "leave_request",
                                            id: after.id, before: request, after: after)
            return after
        }
    }

    func leaveType(_ reference: String) async throws -> LeaveType {
        let query = db.sql.select().column("*").from("people_leave_types")
        guard let row = try await (UUID(uuidString: reference).map { query.where("id", .equal, $0) }
            ?? query.where("code", .equal, reference)).first() else {
            throw DomainError.invalid("people.leave_type.unknown", "There is no leave type '\(reference)'", field: "type")
        }
        return try Self.leaveType(row)
    }

    func leaveRequest(_ id: String) async throws -> LeaveRequest {
        guard let uuid = UUID(uuidString: id),
              let row = try await requestQuery().where(SQLColumn("id", table: "r"), .equal, SQLBind(uuid)).first() else {
            throw DomainError.notFound("people.leave.not_found", "There is no leave request '\(id)'")
        }
        return try Self.leaveRequest(row)
    }

    func requestQuery() -> SQLSelectBuilder {
        db.sql.select().column(SQLColumn(SQLLiteral.all, table: SQLIdentifier("r")))
            .column(SQLColumn("number", table: "e"), as: "employee_number")
            .column(SQLColumn("legal_name", table: "e"), as: "legal_name")
            .column(SQLColumn("preferred_name", table: "e"), as: "preferred_name")
            .column(SQLColumn("code", table: "t"), as: "type_code").column(SQLColumn("name", table: "t"), as: "type_name")
            .from(SQLAlias(SQLIdentifier("people_leave_requests"), as: SQLIdentifier("r")))
            .join(SQLAlias(SQLIdentifier("people_employees"), as: SQLIdentifier("e")), on: SQLColumn("employee_id", table: "r"),
                  .equal, SQLColumn("id", table: "e"))
            .join(SQLAlias(SQLIdentifier("people_leave_types"), as: SQLIdentifier("t")), on: SQLColumn("type_id", table: "r"),
                  .equal, SQLColumn("id", table: "t"))
    }

    static func leaveRequest(_ row: any SQLRow) throws -> LeaveRequest {
        LeaveRequest(
            id: try PeopleRows.id(row), employeeID: try PeopleRows.id(row, "employee_id"),
            employeeNumber: try row.decode(column: "employee_number", as: String.self),
            employeeName: try row.decode(column: "preferred_name", as: String?.self) ?? row.decode(column: "legal_name", as: String.self),
            typeCode: try row.decode(column: "type_code", as: String.self),
            typeName: try row.decode(column: "type_name", as: String.self),
            start: try PeopleRows.date(row, "start_date"), end: try PeopleRows.date(row, "end_date"),
            halfStart: try row.decode(column: "half_start", as: Bool.self), halfEnd: try row.decode(column: "half_end", as: Bool.self),
            days: Decimal(string: try row.decode(column: "days", as: String.self), locale: Locale(identifier: "en_US_POSIX")) ?? 0,
            status: LeaveRequest.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .pending,
            note: try row.decode(column: "note", as: String?.self), decidedBy: try row.decode(column: "decided_by", as: String?.self),
            decidedAt: try row.decode(column: "decided_at", as: String?.self),
            decisionNote: try row.decode(column: "decision_note", as: String?.self),
            createdBy: try row.decode(column: "created_by", as: String.self),
            createdAt: try row.decode(column: "created_at", as: String.self))
    }

    /// Leave requests the viewer may see: their own, their reports', or everyone's with people:read; optionally one
    /// employee's, one status, or those touching a period.
    public func leaveRequests(employee: String? = nil, status: LeaveRequest.Status? = nil, from: CivilDate? = nil,
                              to: CivilDate? = nil, by actor: Principal) async throws -> [LeaveRequest] {
        let viewer = try await viewer(actor)
        var query = requestQuery()
        if let employee = employee.map({ String($0.trimmed) }), !employee.isEmpty {
            let found = try await find(employee)
            guard viewer.canSee(found.id) else { throw Self.notFound(employee) }
            query = query.where(SQLColumn("employee_id", table: "r"), .equal, SQLBind(UUID(uuidString: found.id)!))
        } else if !viewer.readsAll {
            let visible = viewer.ownAndReports.compactMap(UUID.init(uuidString:))
            guard !visible.isEmpty else { return [] }
            query = query.where(SQLColumn("employee_id", table: "r"), .in, SQLBind.group(visible))
        }
        if let status { query = query.where(SQLColumn("status", table: "r"), .equal, SQLBind(status.rawValue)) }
        if let from { query = query.where(SQLColumn("end_date", table: "r"), .greaterThanOrEqual, SQLBind(from.description)) }
        if let to { query = query.where(SQLColumn("start_date", table: "r"), .lessThanOrEqual, SQLBind(to.description)) }
        return try await query.orderBy(SQLOrderBy(expression: SQLColumn("start_date", table: "r"), direction: SQLDirection.descending))
            .limit(1_000).all()
            .map(Self.leaveRequest)
    }

    /// The balances of every limited leave type for an employee the viewer may see, in a year as of a day.
    public func leaveBalances(_ reference: String, year: Int? = nil, asOf: CivilDate? = nil,
                              by actor: Principal) async throws -> [(type: LeaveType, balance: LeaveBalance)] {
        let viewer = try await viewer(actor)
        let employee = try await find(reference)
        guard viewer.canSee(employee.id) else { throw Self.notFound(reference) }
        let day = try await day(asOf)
        let year = year ?? day.year
        let asOfDay = day.year == year ? day : CivilDate(year, 12, 31)
        var result: [(LeaveType, LeaveBalance)] = []
        for type in try await leaveTypes() where type.limited {
            result.append((type, try await balance(of: employee, type: type, year: year, asOf: asOfDay)))
        }
        return result
    }

    func balance(of employee: Employee, type: LeaveType, year: Int, asOf: CivilDate) async throws -> LeaveBalance {
        let rows = try await db.sql.select().columns("start_date", "days", "status").from("people_leave_requests")
            .where("employee_id", .equal, UUID(uuidString: employee.id)!).where("type_id", .equal, UUID(uuidString: type.id)!)
            .where("status", .in, [LeaveRequest.Status.pending.rawValue, LeaveRequest.Status.approved.rawValue]).all()
        var taken: [TakenLeave] = []
        var pending: Decimal = 0
        for row in rows {
            let days = Decimal(string: try row.decode(column: "days", as: String.self), locale: Locale(identifier: "en_US_POSIX")) ?? 0
            let start = try PeopleRows.date(row, "start_date")
            if try row.decode(column: "status", as: String.self) == LeaveRequest.Status.approved.rawValue {
                taken.append(TakenLeave(start: start, days: days))
            } else if start.year == year {
                pending += days
            }
        }
        let fte = OrgRules.assignment(asOf: asOf, in: try await history(of: employee.id))?.fte ?? 1
        return LeaveRules.balance(type, year: year, asOf: asOf, hire: employee.hireDate, leaving: employee.leavingDate,
                                  fte: fte, taken: taken, pending: pending)
    }
}
