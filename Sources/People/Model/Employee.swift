import Foundation
import Kernel

/// The sensitive parts of an employee record, each behind its own grant (ARCHITECTURE.md, security model).
public enum FieldGroup: String, Sendable, Codable, CaseIterable, Comparable {
    /// Birth date, national id, home address, private contacts, emergency contacts.
    case personal
    /// The bank account salary is paid to.
    case bank
    /// Salary and pay frequency, in every history row.
    case pay
    /// Discipline and grievance cases.
    case cases

    public static func < (lhs: FieldGroup, rhs: FieldGroup) -> Bool { lhs.rawValue < rhs.rawValue }
}

public struct Department: Sendable, Codable, Equatable {
    public let id: String
    public let code: String
    public let name: String
    public let parentID: String?
    public let archived: Bool
}

public struct Location: Sendable, Codable, Equatable {
    public let id: String
    public let code: String
    public let name: String
    /// ISO 3166 alpha-2.
    public let country: String?
    public let archived: Bool
}

/// A job with its budgeted headcount; filled is how many active employees hold it today.
public struct Position: Sendable, Codable, Equatable {
    public let id: String
    public let code: String
    public let title: String
    public let departmentID: String?
    public let budgetedHeadcount: Int
    public var filled: Int
    public let archived: Bool

    public var open: Int { max(budgetedHeadcount - filled, 0) }
}

public struct EmergencyContact: Sendable, Codable, Equatable {
    public var name: String
    public var relation: String?
    public var phone: String

    public init(name: String, relation: String? = nil, phone: String) {
        self.name = name
        self.relation = relation
        self.phone = phone
    }
}

/// One effective-dated row of an employee's job: what holds from `effectiveDate` until the next row. Job, pay and
/// manager changes add rows; nothing is overwritten, so any day's picture can be read back.
public struct Assignment: Sendable, Codable, Equatable {
    public enum Reason: String, Sendable, Codable, CaseIterable {
        case hire, promotion, transfer, raise, change, termination
    }

    public enum ContractType: String, Sendable, Codable, CaseIterable {
        case permanent
        case fixedTerm = "fixed_term"
        case contractor, intern, apprentice
    }

    public enum PayFrequency: String, Sendable, Codable, CaseIterable { case monthly, biweekly, weekly, hourly }

    public let id: String
    public let effectiveDate: CivilDate
    public let reason: Reason
    public let positionID: String?
    public let departmentID: String?
    public let managerID: String?
    public let locationID: String?
    public let contractType: ContractType
    /// Contracted hours a week.
    public let weeklyHours: Decimal
    /// Full-time equivalent, 0 < fte <= 1.
    public let fte: Decimal
    /// Pay group: the annual salary (hourly: the hourly rate) in minor units; `nil` when not shown to the viewer.
    public var salary: Int64?
    public var currency: Currency?
    public var payFrequency: PayFrequency?
    public let note: String?
    public let recordedBy: String
    public let recordedAt: String
}

/// Personal group: who the employee is outside work.
public struct PersonalDetails: Sendable, Codable, Equatable {
    public var birthDate: CivilDate?
    public var nationalID: String?
    public var homeAddress: Address
    public var privateEmail: String?
    public var privatePhone: String?
    public var emergencyContacts: [EmergencyContact]

    public init(birthDate: CivilDate? = nil, nationalID: String? = nil, homeAddress: Address = Address(),
                privateEmail: String? = nil, privatePhone: String? = nil, emergencyContacts: [EmergencyContact] = []) {
        self.birthDate = birthDate
        self.nationalID = nationalID
        self.homeAddress = homeAddress
        self.privateEmail = privateEmail
        self.privatePhone = privatePhone
        self.emergencyContacts = emergencyContacts
    }
}

/// Bank group: where salary goes.
public struct BankDetails: Sendable, Codable, Equatable {
    public var iban: String?
    public var bic: String?

    public init(iban: String? = nil, bic: String? = nil) {
        self.iban = iban
        self.bic = bic
    }
}

/// An employee as one viewer may see them: the groups the viewer lacks are `nil` and listed in `hidden`.
public struct Employee: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case active
        case onLeave = "on_leave"
        case terminated
    }

    public let id: String
    public let number: String
    public let legalName: String
    public let preferredName: String?
    public let workEmail: String?
    public let workPhone: String?
    public var status: Status
    public let hireDate: CivilDate
    public let leavingDate: CivilDate?
    public let userID: String?
    /// The assignment in force on the day asked for (`nil` before the hire date).
    public var assignment: Assignment?
    public var personal: PersonalDetails?
    public var bank: BankDetails?
    /// Field groups withheld from this viewer.
    public var hidden: [FieldGroup]
    public let createdAt: String
    public let updatedAt: String

    /// The name people use: the preferred name if there is one.
    public var displayName: String { preferredName ?? legalName }
}
