import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// Reads People rows with SQLKit into the area's types, unredacted; `PeopleViewer` redacts before anything leaves.
enum PeopleRows {
    typealias Values = [(String, any Encodable & Sendable)]

    static let homeParts = ["line1", "line2", "postal_code", "city", "region", "country"]

    static func id(_ row: any SQLRow, _ column: String = "id") throws -> String {
        try row.decode(column: column, as: UUID.self).lowercaseText
    }

    static func optionalID(_ row: any SQLRow, _ column: String) throws -> String? {
        try row.decode(column: column, as: UUID?.self)?.lowercaseText
    }

    // Not inlined: inlined into an async function, this wrapper of a typed-throwing parse crashes the release
    // optimizer (Swift 6.3.1, "While splitting coroutine").
    @inline(never)
    static func date(_ row: any SQLRow, _ column: String) throws -> CivilDate {
        try CivilDate.parse(try row.decode(column: column, as: String.self), field: nil)
    }

    @inline(never)
    static func optionalDate(_ row: any SQLRow, _ column: String) throws -> CivilDate? {
        try row.decode(column: column, as: String?.self).map { try CivilDate.parse($0, field: nil) }
    }

    static func department(_ row: any SQLRow) throws -> Department {
        Department(id: try id(row), code: try row.decode(column: "code", as: String.self),
                   name: try row.decode(column: "name", as: String.self), parentID: try optionalID(row, "parent_id"),
                   archived: try row.decode(column: "archived", as: Bool.self))
    }

    static func location(_ row: any SQLRow) throws -> Location {
        Location(id: try id(row), code: try row.decode(column: "code", as: String.self),
                 name: try row.decode(column: "name", as: String.self),
                 country: try row.decode(column: "country", as: String?.self),
                 archived: try row.decode(column: "archived", as: Bool.self))
    }

    static func position(_ row: any SQLRow) throws -> Position {
        Position(id: try id(row), code: try row.decode(column: "code", as: String.self),
                 title: try row.decode(column: "title", as: String.self),
                 departmentID: try optionalID(row, "department_id"),
                 budgetedHeadcount: try row.decode(column: "budgeted_headcount", as: Int.self), filled: 0,
                 archived: try row.decode(column: "archived", as: Bool.self))
    }

    static func assignment(_ row: any SQLRow) throws -> Assignment {
        func decimal(_ column: String) throws -> Decimal {
            Decimal(string: try row.decode(column: column, as: String.self), locale: Locale(identifier: "en_US_POSIX")) ?? 0
        }
        return Assignment(
            id: try id(row), effectiveDate: try date(row, "effective_date"),
            reason: Assignment.Reason(rawValue: try row.decode(column: "reason", as: String.self)) ?? .change,
            positionID: try optionalID(row, "position_id"), departmentID: try optionalID(row, "department_id"),
            managerID: try optionalID(row, "manager_id"), locationID: try optionalID(row, "location_id"),
            contractType: Assignment.ContractType(rawValue: try row.decode(column: "contract_type", as: String.self)) ?? .permanent,
            weeklyHours: try decimal("weekly_hours"), fte: try decimal("fte"),
            salary: try row.decode(column: "salary", as: Int64?.self),
            currency: try row.decode(column: "currency", as: String?.self).flatMap(Currency.init(code:)),
            payFrequency: try row.decode(column: "pay_frequency", as: String?.self).flatMap(Assignment.PayFrequency.init(rawValue:)),
            note: try row.decode(column: "note", as: String?.self),
            recordedBy: try row.decode(column: "recorded_by", as: String.self),
            recordedAt: try row.decode(column: "recorded_at", as: String.self))
    }

    static func assignmentValues(_ assignment: Assignment, employee: UUID) -> Values {
        [("id", UUID(uuidString: assignment.id)!), ("employee_id", employee),
         ("effective_date", assignment.effectiveDate.description), ("reason", assignment.reason.rawValue),
         ("position_id", assignment.positionID.flatMap(UUID.init(uuidString:))),
         ("department_id", assignment.departmentID.flatMap(UUID.init(uuidString:))),
         ("manager_id", assignment.managerID.flatMap(UUID.init(uuidString:))),
         ("location_id", assignment.locationID.flatMap(UUID.init(uuidString:))),
         ("contract_type", assignment.contractType.rawValue), ("weekly_hours", "\(assignment.weeklyHours)"),
         ("fte", "\(assignment.fte)"), ("salary", assignment.salary), ("currency", assignment.currency?.code),
         ("pay_frequency", assignment.payFrequency?.rawValue), ("note", assignment.note),
         ("recorded_by", assignment.recordedBy), ("recorded_at", assignment.recordedAt)]
    }

    /// An employee with every field group filled, and no assignment yet.
    static func employee(_ row: any SQLRow) throws -> Employee {
        var address = Address()
        let home = try homeParts.map { try row.decode(column: "home_\($0)", as: String?.self) }
        (address.line1, address.line2, address.postalCode, address.city, address.region, address.country) =
            (home[0], home[1], home[2], home[3], home[4], home[5])
        let contacts = (try? JSONDecoder().decode([EmergencyContact].self,
                                                  from: Data(try row.decode(column: "emergency_contacts", as: String.self).utf8))) ?? []
        return Employee(
            id: try id(row), number: try row.decode(column: "number", as: String.self),
            legalName: try row.decode(column: "legal_name", as: String.self),
            preferredName: try row.decode(column: "preferred_name", as: String?.self),
            workEmail: try row.decode(column: "work_email", as: String?.self),
            workPhone: try row.decode(column: "work_phone", as: String?.self),
            status: Employee.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .active,
            hireDate: try date(row, "hire_date"), leavingDate: try optionalDate(row, "leaving_date"),
            userID: try optionalID(row, "user_id"), assignment: nil,
            personal: PersonalDetails(birthDate: try optionalDate(row, "birth_date"),
                                      nationalID: try row.decode(column: "national_id", as: String?.self),
                                      homeAddress: address,
                                      privateEmail: try row.decode(column: "private_email", as: String?.self),
                                      privatePhone: try row.decode(column: "private_phone", as: String?.self),
                                      emergencyContacts: contacts),
            bank: BankDetails(iban: try row.decode(column: "iban", as: String?.self),
                              bic: try row.decode(column: "bic", as: String?.self)),
            hidden: [], createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self))
    }

    static func personalValues(_ personal: PersonalDetails) throws -> Values {
        let address = personal.homeAddress
        let home: [String?] = [address.line1, address.line2, address.postalCode, address.city, address.region, address.country]
        return [("birth_date", personal.birthDate?.description), ("national_id", personal.nationalID)]
            + zip(homeParts, home).map { ("home_\($0.0)", $0.1) }
            + [("private_email", personal.privateEmail), ("private_phone", personal.privatePhone),
               ("emergency_contacts", try AuditChain.canonicalJSON(personal.emergencyContacts) ?? "[]")]
    }
}
