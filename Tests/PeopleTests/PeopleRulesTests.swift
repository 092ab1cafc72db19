import Foundation
import Kernel
@testable import People
import Testing

@Suite("People rules")
struct PeopleRulesTests {
    static func row(_ day: CivilDate, _ reason: Assignment.Reason, manager: String? = nil, salary: Int64? = nil) -> Assignment {
        Assignment(id: "\(day)", effectiveDate: day, reason: reason, positionID: nil, departmentID: nil, managerID: manager,
                   locationID: nil, contractType: .permanent, weeklyHours: 40, fte: 1, salary: salary, currency: .eur,
                   payFrequency: .monthly, note: nil, recordedBy: "hr", recordedAt: "")
    }

    @Test("The job in force on a day is the latest row on or before it; before the hire there is none")
    func asOf() {
        let history = [Self.row(CivilDate(2024, 3, 1), .hire, salary: 50_000_00),
                       Self.row(CivilDate(2025, 1, 1), .raise, salary: 54_000_00),
                       Self.row(CivilDate(2025, 7, 1), .promotion, salary: 60_000_00)]
        #expect(OrgRules.assignment(asOf: CivilDate(2024, 2, 29), in: history) == nil)
        #expect(OrgRules.assignment(asOf: CivilDate(2024, 3, 1), in: history)?.salary == 50_000_00)
        #expect(OrgRules.assignment(asOf: CivilDate(2024, 12, 31), in: history)?.salary == 50_000_00)
        #expect(OrgRules.assignment(asOf: CivilDate(2025, 1, 1), in: history)?.salary == 54_000_00)
        #expect(OrgRules.assignment(asOf: CivilDate(2030, 1, 1), in: history.reversed())?.reason == .promotion)
    }

    @Test("Reports are everyone below a manager; a manager under their own report would close a loop")
    func hierarchy() {
        // ceo <- cto <- dev1, dev2; cto <- lead <- dev3; cfo <- acc
        let managers = ["cto": "ceo", "cfo": "ceo", "dev1": "cto", "dev2": "cto", "lead": "cto", "dev3": "lead", "acc": "cfo"]
        #expect(OrgRules.reports(of: "cto", managers: managers) == ["dev1", "dev2", "lead", "dev3"])
        #expect(OrgRules.reports(of: "dev3", managers: managers).isEmpty)
        #expect(OrgRules.reports(of: "ceo", managers: managers).count == 7)
        #expect(OrgRules.wouldLoop(employeeID: "cto", managerID: "dev3", managers: managers))
        #expect(OrgRules.wouldLoop(employeeID: "cto", managerID: "cto", managers: managers))
        #expect(!OrgRules.wouldLoop(employeeID: "dev3", managerID: "cfo", managers: managers))
        // A loop already in the data does not hang the walk.
        #expect(OrgRules.reports(of: "a", managers: ["a": "b", "b": "a"]) == ["b"])
        #expect(OrgRules.subtree(of: "eng", parents: ["web": "eng", "ios": "eng", "css": "web", "fin": "hq"])
                == ["eng", "web", "ios", "css"])
    }

    @Test("The org chart puts leaves side by side and each manager over the middle of their reports")
    func orgChart() {
        let nodes = [OrgChart.Node(id: "ceo", title: "Ada", subtitle: "CEO", managerID: nil),
                     OrgChart.Node(id: "a", title: "Bea", subtitle: "CTO", managerID: "ceo"),
                     OrgChart.Node(id: "b", title: "Cem", subtitle: "CFO", managerID: "ceo"),
                     OrgChart.Node(id: "c", title: "Dan", subtitle: "Dev", managerID: "a"),
                     OrgChart.Node(id: "d", title: "Eve", subtitle: "Dev", managerID: "a"),
                     OrgChart.Node(id: "x", title: "Zed", subtitle: "Contractor", managerID: "gone")]
        let placed = Dictionary(uniqueKeysWithValues: OrgChart.layout(nodes).map { ($0.node.id, ($0.x, $0.y)) })
        #expect(placed["c"]! == (0, 2) && placed["d"]! == (1, 2))
        #expect(placed["a"]! == (0.5, 1) && placed["b"]! == (2, 1))
        #expect(placed["ceo"]! == (1.25, 0))
        #expect(placed["x"]! == (3, 0))   // its manager is not in the picture: a root of its own
        // Three or more reports who manage no one stack under their manager in one column.
        let team = [OrgChart.Node(id: "m", title: "Mia", subtitle: "Lead", managerID: nil)]
            + (1...4).map { OrgChart.Node(id: "r\($0)", title: "R\($0)", subtitle: "Dev", managerID: "m") }
        let stacked = OrgChart.layout(team)
        #expect(stacked.filter(\.stacked).map(\.y) == [1, 2, 3, 4])
        #expect(Set(stacked.map(\.x)) == [0, OrgChart.stackIndent])
    }

    static let hr = Principal(userID: "u-hr", username: "hr", roles: ["hr"],
                              permissions: [Permission("people", .read), Permission("people", .write), Permission("people", .approve),
                                            Permission.personalFields, Permission.bankFields, Permission.payFields,
                                            Permission.caseFields])
    static let payroll = Principal(userID: "u-pay", username: "pay", roles: ["payroll"],
                                   permissions: [Permission("people", .read), Permission.payFields, Permission.bankFields])
    static let auditor = Principal(userID: "u-aud", username: "aud", roles: ["auditor"],
                                   permissions: [Permission("people", .read)])
    static let plain = Principal(userID: "u-emp", username: "emp", roles: ["employee"], permissions: [])

    @Test("Field groups follow the grants; everyone sees their own; a manager sees reports without groups")
    func access() {
        let hr = PeopleViewer(principal: Self.hr, employeeID: nil, reports: [])
        let payroll = PeopleViewer(principal: Self.payroll, employeeID: nil, reports: [])
        let auditor = PeopleViewer(principal: Self.auditor, employeeID: nil, reports: [])
        let manager = PeopleViewer(principal: Self.plain, employeeID: "m", reports: ["r1", "r2"])
        let employee = PeopleViewer(principal: Self.plain, employeeID: "r1", reports: [])
        #expect(hr.groups(of: "x") == [.personal, .bank, .pay, .cases])
        #expect(payroll.groups(of: "x") == [.pay, .bank])
        #expect(auditor.groups(of: "x").isEmpty && auditor.canSee("x"))
        #expect(manager.canSee("r2") && manager.groups(of: "r2").isEmpty && !manager.canSee("x"))
        #expect(manager.groups(of: "m") == [.personal, .bank, .pay])
        #expect(employee.canSee("r1") && !employee.canSee("r2") && !employee.canSee("m"))
        #expect(manager.canApprove(for: "r1") && !manager.canApprove(for: "m") && !manager.canApprove(for: "x"))
        #expect(!employee.canApprove(for: "r1"))
        #expect(hr.canApprove(for: "x") && !PeopleViewer(principal: Self.hr, employeeID: "h", reports: []).canApprove(for: "h"))
    }

    @Test("Redaction removes exactly the groups the viewer lacks, in the record and in every history row")
    func redaction() {
        let employee = Employee(id: "r1", number: "E-1", legalName: "Rita", preferredName: nil, workEmail: nil, workPhone: nil,
                                status: .active, hireDate: CivilDate(2024, 1, 1), leavingDate: nil, userID: nil,
                                assignment: Self.row(CivilDate(2024, 1, 1), .hire, salary: 98_765_43),
                                personal: PersonalDetails(nationalID: "CANARY"), bank: BankDetails(iban: "DE89370400440532013000"),
                                hidden: [], createdAt: "", updatedAt: "")
        let payroll = PeopleViewer(principal: Self.payroll, employeeID: nil, reports: []).redacted(employee)
        #expect(payroll.personal == nil && payroll.bank?.iban != nil && payroll.assignment?.salary == 98_765_43)
        #expect(payroll.hidden == [.personal, .cases])
        let manager = PeopleViewer(principal: Self.plain, employeeID: "m", reports: ["r1"])
        let seen = manager.redacted(employee)
        #expect(seen.personal == nil && seen.bank == nil && seen.assignment?.salary == nil && seen.assignment?.payFrequency == nil)
        #expect(manager.redacted([employee.assignment!], of: "r1").allSatisfy { $0.salary == nil && $0.currency == nil })
        #expect(PeopleViewer(principal: Self.plain, employeeID: "r1", reports: []).redacted(employee).personal?.nationalID == "CANARY")
    }

    @Test("A new employee's fields are checked together, each problem with its field")
    func validation() throws {
        let bad = HireInput(number: "E 1", legalName: " ", workEmail: "nope", hireDate: "2026-02-30",
                            personal: PersonalInput(birthDate: "yesterday", homeAddress: Address(country: "Germany"),
                                                    emergencyContacts: [EmergencyContact(name: "Mum", phone: "")]),
                            bank: BankInput(iban: "DE00"),
                            job: AssignmentInput(contractType: "forever", weeklyHours: "100", fte: "1.5", salary: "lots",
                                                 payFrequency: "daily"))
        do {
            _ = try EmployeeRules.validate(bad, defaultCurrency: .eur)
            Issue.record("bad input passed")
        } catch {
            #expect(error.code == "people.employee.invalid")
            #expect(Set(error.items.compactMap(\.field)) == [
                "legalName", "number", "workEmail", "hireDate", "personal.birthDate", "personal.homeAddress.country",
                "personal.emergencyContacts[0]", "bank.iban", "job.contractType", "job.weeklyHours", "job.fte", "job.salary",
                "job.payFrequency"])
        }
        let good = try EmployeeRules.validate(HireInput(legalName: "Rita Rossi", hireDate: "2026-02-02",
                                                        job: AssignmentInput(fte: "0.5", salary: "54000")),
                                              defaultCurrency: .eur)
        #expect(good.job.salary == 54_000_00 && good.job.currency == .eur && good.job.fte == 0.5)
        #expect(good.job.contractType == .permanent && good.job.weeklyHours == 40 && good.job.payFrequency == .monthly)
    }
}
