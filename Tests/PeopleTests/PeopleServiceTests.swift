import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import People
import Platform
import SQLKit
import Testing
import Web

/// A small company: Engineering under HQ, a CTO with a developer reporting, each linked to a user.
struct PeopleFixture {
    let db: any Database
    let context: PlatformContext
    var people: PeopleService { PeopleService(db: db, context: context) }

    static let hr = Principal(userID: nil, username: "hr", roles: ["hr"],
                              permissions: [Permission("people", .read), Permission("people", .write),
                                            Permission("people", .approve), Permission.personalFields, Permission.bankFields,
                                            Permission.payFields, Permission.caseFields])

    static func make(_ db: any Database, _ context: PlatformContext) async throws -> PeopleFixture {
        let people = PeopleService(db: db, context: context)
        _ = try await people.createDepartment(code: "HQ", name: "Headquarters", parent: nil, by: .system)
        _ = try await people.createDepartment(code: "ENG", name: "Engineering", parent: "HQ", by: .system)
        _ = try await people.createLocation(code: "BER", name: "Berlin", country: "de", by: .system)
        _ = try await people.createPosition(code: "CTO", title: "Chief Technology Officer", department: "ENG",
                                            budgetedHeadcount: 1, by: .system)
        _ = try await people.createPosition(code: "DEV", title: "Developer", department: "ENG", budgetedHeadcount: 3,
                                            by: .system)
        let users = UserService(db: db, context: context)
        for name in ["cto.user", "dev.user"] {
            try await users.create(.init(username: name, roles: ["employee"], password: "a long password 123"), by: .system)
        }
        return PeopleFixture(db: db, context: context)
    }

    func principal(_ username: String) async throws -> Principal {
        let user = try await UserService(db: db, context: context).find(username: username)
        return try await UserService.principal(userID: UUID(uuidString: user.id)!, on: db)!
    }

    func hireTeam() async throws -> (cto: Employee, dev: Employee) {
        let cto = try await people.hire(HireInput(
            legalName: "Grace Hopper", workEmail: "grace@keel.example", hireDate: "2024-01-15", user: "cto.user",
            personal: PersonalInput(nationalID: "NID-CTO"),
            job: AssignmentInput(position: "CTO", department: "ENG", location: "BER", salary: "150000")), by: Self.hr)
        let dev = try await people.hire(HireInput(
            legalName: "Alan Turing", preferredName: "Al", hireDate: "2024-03-01", user: "dev.user",
            personal: PersonalInput(birthDate: "1990-06-23", nationalID: "CANARY-NID-777",
                                    emergencyContacts: [EmergencyContact(name: "Sara", relation: "mother", phone: "+44 1")]),
            bank: BankInput(iban: "DE89 3704 0044 0532 0130 00"),
            job: AssignmentInput(position: "DEV", department: "ENG", manager: cto.number, location: "BER",
                                 salary: "98765.43")), by: Self.hr)
        return (cto, dev)
    }
}

@Suite("People")
struct PeopleServiceTests {
    @Test("Hiring records the person, the first job row and employee.hired; changes add rows; as-of views read them back")
    func hireAndChange() async throws {
        try await withTestDatabase(clock: FixedClock(Date(timeIntervalSince1970: 1_767_225_600))) { db, context in  // 2026-01-01
            let fixture = try await PeopleFixture.make(db, context)
            let people = fixture.people
            let (cto, dev) = try await fixture.hireTeam()
            #expect(cto.number == "E-00001" && dev.number == "E-00002")
            #expect(dev.assignment?.managerID == cto.id && dev.assignment?.salary == 98_765_43 && dev.assignment?.currency == .eur)
            let events = try await db.sql.select().column("event_type").from("outbox_events").all()
                .map { try $0.decode(column: "event_type", as: String.self) }
            #expect(events.filter { $0 == "employee.hired" }.count == 2)
            let payload = try await db.sql.select().column("payload").from("outbox_events").all()
                .map { try $0.decode(column: "payload", as: String.self) }.joined()
            #expect(payload.contains("\"department\":\"ENG\"") && !payload.contains("98765") && !payload.contains("CANARY"))

            // A raise from 2025-01-01 and a transfer later; the past stays as it was.
            _ = try await people.change(dev.number, ChangeInput(effectiveDate: "2025-01-01", reason: "raise",
                                                                job: AssignmentInput(salary: "105000")), by: PeopleFixture.hr)
            _ = try await people.change(dev.number, ChangeInput(effectiveDate: "2025-07-01", reason: "transfer",
                                                                job: AssignmentInput(department: "HQ", manager: "")),
                                        by: PeopleFixture.hr)
            let history = try await people.history(dev.number, by: PeopleFixture.hr)
            #expect(history.map(\.reason) == [.hire, .raise, .transfer])
            #expect(history.map(\.salary) == [98_765_43, 105_000_00, 105_000_00])
            #expect(history[2].managerID == nil && history[1].managerID == cto.id && history[2].positionID == history[0].positionID)
            let then = try await people.employee(dev.number, asOf: CivilDate(2024, 12, 31), by: PeopleFixture.hr)
            #expect(then.assignment?.salary == 98_765_43 && then.assignment?.managerID == cto.id)
            let before = try await people.employee(dev.number, asOf: CivilDate(2024, 2, 1), by: PeopleFixture.hr)
            #expect(before.assignment == nil)
            let list = try await people.employees(.init(department: "HQ", asOf: CivilDate(2025, 8, 1)), by: PeopleFixture.hr)
            #expect(list.employees.map(\.number) == ["E-00002", "E-00001"])   // Alan in HQ, Grace in ENG under HQ; by name
            let engOnly = try await people.employees(.init(department: "ENG", asOf: CivilDate(2025, 8, 1)), by: PeopleFixture.hr)
            #expect(engOnly.employees.map(\.number) == ["E-00001"])
            let positions = try await people.positions()
            #expect(positions.first { $0.code == "DEV" }.map { ($0.filled, $0.open) }! == (1, 2))

            // Refusals change nothing.
            let sameDay = await domainErrorCode {
                _ = try await people.change(dev.number, ChangeInput(effectiveDate: "2025-01-01", job: AssignmentInput(fte: "0.5")),
                                            by: PeopleFixture.hr)
            }
            #expect(sameDay == "people.change.same_day")
            let loop = await domainErrorCode {
                _ = try await people.change(cto.number, ChangeInput(effectiveDate: "2024-06-01",
                                                                    job: AssignmentInput(manager: dev.number)), by: PeopleFixture.hr)
            }
            #expect(loop == "people.job.manager_loop")
            #expect(await domainErrorCode {
                _ = try await people.change(dev.number, ChangeInput(effectiveDate: "2023-01-01", job: AssignmentInput()),
                                            by: PeopleFixture.hr)
            } == "people.change.before_hire")
            #expect(await domainErrorCode {
                _ = try await people.hire(HireInput(legalName: "X", hireDate: "2026-01-01", user: "dev.user", job: AssignmentInput()),
                                          by: PeopleFixture.hr)
            } == "people.employee.user_linked")
            #expect(await domainErrorCode {
                _ = try await people.hire(HireInput(legalName: "X", hireDate: "2026-01-01", job: AssignmentInput(position: "NOPE")),
                                          by: PeopleFixture.hr)
            } == "people.position.unknown")
            #expect(try await people.employees(.init(), by: PeopleFixture.hr).total == 2)
            #expect(try await people.history(dev.number, by: PeopleFixture.hr).count == 3)
        }
    }

    @Test("Terminating on or before today disables the linked user; a later date is carried out by the job on the day")
    func termination() async throws {
        try await withTestDatabase(clock: FixedClock(Date(timeIntervalSince1970: 1_767_225_600))) { db, context in  // 2026-01-01
            let fixture = try await PeopleFixture.make(db, context)
            let people = fixture.people
            let (cto, dev) = try await fixture.hireTeam()
            let (token, _) = try await AuthService(db: db, context: context)
                .signIn(username: "dev.user", password: "a long password 123", remoteAddress: nil)
            let gone = try await people.terminate(dev.number, leavingDate: "2025-12-31", note: "Resigned", by: PeopleFixture.hr)
            #expect(gone.status == .terminated && gone.leavingDate == CivilDate(2025, 12, 31))
            #expect(try await UserService(db: db, context: context).find(username: "dev.user").disabled)
            #expect(try await AuthService(db: db, context: context).session(token: token) == nil)
            #expect(try await db.sql.select().column("event_type").from("outbox_events").where("event_type", .equal, "employee.terminated")
                .all().count == 1)
            #expect(await domainErrorCode { _ = try await people.terminate(dev.number, leavingDate: "2026-01-31", by: PeopleFixture.hr) }
                    == "people.employee.already_terminated")

            let later = try await people.terminate(cto.number, leavingDate: "2026-03-31", by: PeopleFixture.hr)
            #expect(later.status == .active)
            #expect(try await !UserService(db: db, context: context).find(username: "cto.user").disabled)
            #expect(try await people.processLeavers(asOf: CivilDate(2026, 3, 30)).isEmpty)
            #expect(try await people.processLeavers(asOf: CivilDate(2026, 3, 31)) == [cto.number])
            #expect(try await people.processLeavers(asOf: CivilDate(2026, 4, 1)).isEmpty)
            #expect(try await UserService(db: db, context: context).find(username: "cto.user").disabled)
            #expect(try await people.employee(cto.number, by: PeopleFixture.hr).status == .terminated)
        }
    }

    @Test("Each viewer sees whom and what the rules allow; canary values never reach the others")
    func access() async throws {
        try await withTestDatabase(clock: FixedClock(Date(timeIntervalSince1970: 1_767_225_600))) { db, context in
            let fixture = try await PeopleFixture.make(db, context)
            let people = fixture.people
            let (cto, dev) = try await fixture.hireTeam()
            let manager = try await fixture.principal("cto.user")
            let employee = try await fixture.principal("dev.user")
            let payroll = Principal(userID: nil, username: "pay", roles: ["payroll"],
                                    permissions: [Permission("people", .read), Permission.payFields, Permission.bankFields])
            let auditor = Principal(userID: nil, username: "aud", roles: ["auditor"], permissions: [Permission("people", .read)])
            func text(_ value: some Encodable) throws -> String {
                String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
            }
            // The manager sees their report without any field group, and the report cannot see the manager.
            let asManager = try await people.employee(dev.number, by: manager)
            #expect(asManager.personal == nil && asManager.bank == nil && asManager.assignment?.salary == nil)
            let managerList = try await people.employees(.init(), by: manager)
            #expect(Set(managerList.employees.map(\.number)) == [cto.number, dev.number])
            let managerText = try text(managerList.employees.filter { $0.id == dev.id }) + text(try await people.history(dev.number, by: manager))
            #expect(!managerText.contains("9876543") && !managerText.contains("CANARY") && !managerText.contains("DE8937"))
            #expect(await domainErrorCode { _ = try await people.employee(cto.number, by: employee) } == "people.employee.not_found")
            #expect(try await people.employees(.init(), by: employee).employees.map(\.number) == [dev.number])
            // Own record: personal, bank and pay.
            let own = try await people.me(by: employee)
            #expect(own.personal?.nationalID == "CANARY-NID-777" && own.bank?.iban != nil && own.assignment?.salary == 98_765_43)
            // payroll: pay and bank, no personal; auditor: none.
            let asPayroll = try await people.employee(dev.number, by: payroll)
            #expect(asPayroll.personal == nil && asPayroll.bank?.iban != nil && asPayroll.assignment?.salary == 98_765_43)
            let auditorText = try text(try await people.employees(.init(), by: auditor).employees)
                + text(try await people.history(dev.number, by: auditor))
            #expect(!auditorText.contains("9876543") && !auditorText.contains("CANARY") && !auditorText.contains("DE8937"))
            // The audit log never holds a field group's values.
            let audit = try await db.sql.select().column("*").from("audit_log").all()
            let auditText = try audit.map { row in
                (try row.decode(column: "before_json", as: String?.self) ?? "") + (try row.decode(column: "after_json", as: String?.self) ?? "")
            }.joined()
            #expect(!auditText.contains("9876543") && !auditText.contains("CANARY") && !auditText.contains("DE8937"))
            #expect(auditText.contains("changedGroups"))

            // Self-service: the employee edits their contacts, not someone else's; a manager may not edit theirs.
            let edited = try await people.updateContacts(dev.number, ContactInput(
                privatePhone: "+49 170 1", emergencyContacts: [EmergencyContact(name: "Tom", phone: "+49 30 2")]), by: employee)
            #expect(edited.personal?.privatePhone == "+49 170 1" && edited.personal?.nationalID == "CANARY-NID-777")
            #expect(await domainErrorCode { _ = try await people.updateContacts(dev.number, ContactInput(), by: manager) }
                    == "auth.forbidden")
            #expect(await domainErrorCode { _ = try await people.updateContacts(cto.number, ContactInput(), by: employee) }
                    == "people.employee.not_found")
            #expect(await domainErrorCode {
                _ = try await people.updateContacts(dev.number, ContactInput(emergencyContacts: [EmergencyContact(name: "", phone: "")]),
                                                    by: employee)
            } == "people.contacts.invalid")
            #expect(await domainErrorCode { _ = try await people.hire(HireInput(legalName: "X", hireDate: "2026-01-01",
                                                                               job: AssignmentInput()), by: manager) }
                    == "auth.forbidden")
        }
    }
}
