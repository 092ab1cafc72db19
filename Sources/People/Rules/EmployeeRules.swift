import Foundation
import Kernel

/// A job as a form or the API gives it: codes and numbers as text. In a change, a field left out keeps its value.
public struct AssignmentInput: Sendable, Codable, Equatable {
    public var position: String?
    public var department: String?
    /// The manager's employee number or id; "" clears it.
    public var manager: String?
    public var location: String?
    public var contractType: String?
    public var weeklyHours: String?
    public var fte: String?
    /// Annual salary (hourly: the rate per hour) as a decimal.
    public var salary: String?
    public var currency: String?
    public var payFrequency: String?
    public var note: String?

    public init(position: String? = nil, department: String? = nil, manager: String? = nil, location: String? = nil,
                contractType: String? = nil, weeklyHours: String? = nil, fte: String? = nil, salary: String? = nil,
                currency: String? = nil, payFrequency: String? = nil, note: String? = nil) {
        self.position = position
        self.department = department
        self.manager = manager
        self.location = location
        self.contractType = contractType
        self.weeklyHours = weeklyHours
        self.fte = fte
        self.salary = salary
        self.currency = currency
        self.payFrequency = payFrequency
        self.note = note
    }
}

/// A new employee as a form, the API or a hired candidate gives it.
public struct HireInput: Sendable, Codable, Equatable {
    public var number: String?
    public var legalName: String
    public var preferredName: String?
    public var workEmail: String?
    public var workPhone: String?
    public var hireDate: String
    /// The username of the Keel user who is this employee (self-service, manager approvals).
    public var user: String?
    public var personal: PersonalInput?
    public var bank: BankInput?
    public var job: AssignmentInput

    public init(number: String? = nil, legalName: String, preferredName: String? = nil, workEmail: String? = nil,
                workPhone: String? = nil, hireDate: String, user: String? = nil, personal: PersonalInput? = nil,
                bank: BankInput? = nil, job: AssignmentInput) {
        self.number = number
        self.legalName = legalName
        self.preferredName = preferredName
        self.workEmail = workEmail
        self.workPhone = workPhone
        self.hireDate = hireDate
        self.user = user
        self.personal = personal
        self.bank = bank
        self.job = job
    }
}

public struct PersonalInput: Sendable, Codable, Equatable {
    public var birthDate: String?
    public var nationalID: String?
    public var homeAddress: Address?
    public var privateEmail: String?
    public var privatePhone: String?
    public var emergencyContacts: [EmergencyContact]?

    public init(birthDate: String? = nil, nationalID: String? = nil, homeAddress: Address? = nil,
                privateEmail: String? = nil, privatePhone: String? = nil, emergencyContacts: [EmergencyContact]? = nil) {
        self.birthDate = birthDate
        self.nationalID = nationalID
        self.homeAddress = homeAddress
        self.privateEmail = privateEmail
        self.privatePhone = privatePhone
        self.emergencyContacts = emergencyContacts
    }

    enum CodingKeys: String, CodingKey {
        case birthDate, nationalID = "nationalId", homeAddress, privateEmail, privatePhone, emergencyContacts
    }
}

public struct BankInput: Sendable, Codable, Equatable {
    public var iban: String?
    public var bic: String?

    public init(iban: String? = nil, bic: String? = nil) {
        self.iban = iban
        self.bic = bic
    }
}

/// Checks employee input field by field; every problem is reported at once with its field.
public enum EmployeeRules {
    public static let nameLengthMax = 200
    public static let textLengthMax = 200
    public static let emergencyContactsMax = 5
    public static let weeklyHoursMax: Decimal = 80

    /// The job fields in their stored form; `nil` where the input left a field out.
    public struct Job: Sendable, Equatable {
        public var contractType: Assignment.ContractType?
        public var weeklyHours: Decimal?
        public var fte: Decimal?
        public var salary: Int64?
        public var currency: Currency?
        public var payFrequency: Assignment.PayFrequency?
        public var note: String?
    }

    public struct Person: Sendable, Equatable {
        public var number: String?
        public var legalName: String
        public var preferredName: String?
        public var workEmail: String?
        public var workPhone: String?
        public var hireDate: CivilDate
        public var personal: PersonalDetails
        public var bank: BankDetails
        public var job: Job
    }

    /// A new employee's fields; on a hire every job field but the note and salary has a default.
    public static func validate(_ input: HireInput, defaultCurrency: Currency) throws(DomainError) -> Person {
        var problems: [DomainError.Item] = []
        func fail(_ field: String, _ code: String, _ message: String) {
            problems.append(.init(field: field, code: "people.employee.\(code)", message: message))
        }
        let legalName = String(input.legalName.trimmed)
        if legalName.isEmpty || legalName.count > nameLengthMax {
            fail("legalName", "name_invalid", "An employee has a legal name of 1 to \(nameLengthMax) characters")
        }
        let number = input.number.nonBlank
        if let number, number.count > 20 || !number.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric || $0 == "-" }) {
            fail("number", "number_invalid", "An employee number has 1 to 20 letters, digits or dashes")
        }
        let workEmail = input.workEmail.nonBlank
        if let workEmail, !EmailAddress.isPlausible(workEmail) {
            fail("workEmail", "email_invalid", "'\(workEmail)' is not an email address")
        }
        var hireDate = CivilDate(2000, 1, 1)
        do { hireDate = try CivilDate.parse(input.hireDate, field: "hireDate") } catch {
            fail("hireDate", "hire_date_invalid", error.message)
        }
        let personal = personalDetails(input.personal ?? PersonalInput(), &problems)
        let bank = bankDetails(input.bank ?? BankInput(), &problems)
        var job = self.job(input.job, &problems)
        job.contractType = job.contractType ?? .permanent
        job.weeklyHours = job.weeklyHours ?? 40
        job.fte = job.fte ?? 1
        job.payFrequency = job.payFrequency ?? .monthly
        if job.salary != nil { job.currency = job.currency ?? defaultCurrency }
        if let first = problems.first {
            throw DomainError(.invalid, "people.employee.invalid", first.message, field: first.field, items: problems)
        }
        return Person(number: number, legalName: legalName, preferredName: input.preferredName.nonBlank,
                      workEmail: workEmail, workPhone: input.workPhone.nonBlank, hireDate: hireDate, personal: personal,
                      bank: bank, job: job)
    }

    /// The job fields of a change (or a hire), each checked; problems go to `problems` under `job.<field>`.
    public static func job(_ input: AssignmentInput, _ problems: inout [DomainError.Item]) -> Job {
        func fail(_ field: String, _ code: String, _ message: String) {
            problems.append(.init(field: "job.\(field)", code: "people.job.\(code)", message: message))
        }
        var job = Job()
        if let text = input.contractType.nonBlank {
            job.contractType = Assignment.ContractType(rawValue: text)
            if job.contractType == nil {
                fail("contractType", "contract_type_invalid", "'\(text)' is not a contract type: "
                     + Assignment.ContractType.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }
        if let text = input.weeklyHours.nonBlank {
            if let hours = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), hours > 0, hours <= weeklyHoursMax {
                job.weeklyHours = hours
            } else {
                fail("weeklyHours", "hours_invalid", "Weekly hours are more than 0 and at most \(weeklyHoursMax)")
            }
        }
        if let text = input.fte.nonBlank {
            if let fte = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), fte > 0, fte <= 1 {
                job.fte = fte
            } else {
                fail("fte", "fte_invalid", "FTE is more than 0 and at most 1 (0.5 for half time)")
            }
        }
        if let text = input.currency.nonBlank {
            do { job.currency = try Currency.parse(text, field: "job.currency") } catch {
                fail("currency", "currency_invalid", error.message)
            }
        }
        if let text = input.salary.nonBlank {
            do {
                let money = try Money.parse(text, currency: job.currency ?? .eur, field: "job.salary")
                if money.minorUnits < 0 { fail("salary", "salary_negative", "A salary is not negative") }
                job.salary = money.minorUnits
            } catch {
                fail("salary", "salary_invalid", "'\(text)' is not an amount like 54000.00")
            }
        }
        if let text = input.payFrequency.nonBlank {
            job.payFrequency = Assignment.PayFrequency(rawValue: text)
            if job.payFrequency == nil {
                fail("payFrequency", "pay_frequency_invalid", "'\(text)' is not a pay frequency: "
                     + Assignment.PayFrequency.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }
        let note = input.note.nonBlank
        if let note, note.count > 2_000 { fail("note", "note_too_long", "A note has at most 2000 characters") }
        job.note = note
        return job
    }

    static func personalDetails(_ input: PersonalInput, _ problems: inout [DomainError.Item]) -> PersonalDetails {
        func fail(_ field: String, _ code: String, _ message: String) {
            problems.append(.init(field: "personal.\(field)", code: "people.personal.\(code)", message: message))
        }
        var details = PersonalDetails()
        if let text = input.birthDate.nonBlank {
            do { details.birthDate = try CivilDate.parse(text, field: "personal.birthDate") } catch {
                fail("birthDate", "birth_date_invalid", error.message)
            }
        }
        details.nationalID = input.nationalID.nonBlank
        if let id = details.nationalID, id.count > 40 { fail("nationalId", "national_id_invalid", "A national id has at most 40 characters") }
        details.homeAddress = Address.validated(input.homeAddress, field: "personal.homeAddress", &problems)
        details.privateEmail = input.privateEmail.nonBlank
        if let email = details.privateEmail, !EmailAddress.isPlausible(email) {
            fail("privateEmail", "email_invalid", "'\(email)' is not an email address")
        }
        details.privatePhone = input.privatePhone.nonBlank
        details.emergencyContacts = emergencyContacts(input.emergencyContacts ?? [], field: "personal.emergencyContacts",
                                                      &problems)
        return details
    }

    public static func emergencyContacts(_ given: [EmergencyContact], field: String,
                                         _ problems: inout [DomainError.Item]) -> [EmergencyContact] {
        if given.count > emergencyContactsMax {
            problems.append(.init(field: field, code: "people.emergency_contact.too_many",
                                  message: "At most \(emergencyContactsMax) emergency contacts"))
        }
        return given.prefix(emergencyContactsMax).enumerated().map { index, contact in
            let name = String(contact.name.trimmed), phone = String(contact.phone.trimmed)
            if name.isEmpty || name.count > textLengthMax || phone.isEmpty || phone.count > 40 {
                problems.append(.init(index: index, field: "\(field)[\(index)]", code: "people.emergency_contact.invalid",
                                      message: "Emergency contact \(index + 1) needs a name and a phone number"))
            }
            return EmergencyContact(name: name, relation: contact.relation.nonBlank, phone: phone)
        }
    }

    static func bankDetails(_ input: BankInput, _ problems: inout [DomainError.Item]) -> BankDetails {
        var details = BankDetails()
        if let text = input.iban.nonBlank {
            do { details.iban = try IBAN.normalize(text, field: "bank.iban") } catch {
                problems.append(.init(field: "bank.iban", code: error.code, message: error.message))
            }
        }
        if let text = input.bic.nonBlank {
            do { details.bic = try BIC.normalize(text, field: "bank.bic") } catch {
                problems.append(.init(field: "bank.bic", code: error.code, message: error.message))
            }
        }
        return details
    }
}
