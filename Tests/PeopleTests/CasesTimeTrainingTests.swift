import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import People
import Platform
import SQLKit
import Testing

@Suite("Cases, timesheets and training")
struct CasesTimeTrainingTests {
    @Test("Timesheet rules: quarter hours, 24 hours a day, seven days, overtime over the contract")
    func timesheetRules() throws {
        let week: [Decimal] = [8, 8, 8.5, 8, 7.75, 0, 0]
        let lines = try TimesheetRules.validate([TimesheetLine(project: " Keel ", hours: week),
                                                 TimesheetLine(project: "", hours: [0, 0, 0, 0, 0, 0, 0])])
        #expect(lines.count == 1 && lines[0].project == "Keel" && lines[0].total == 40.25)
        #expect(TimesheetRules.overtime(total: 40.25, contracted: 40) == 0.25 && TimesheetRules.overtime(total: 30, contracted: 40) == 0)
        #expect(TimesheetRules.weekStart(of: CivilDate(2026, 11, 22)) == CivilDate(2026, 11, 16))   // a Sunday
        #expect(TimesheetRules.weekStart(of: CivilDate(2026, 11, 16)) == CivilDate(2026, 11, 16))
        do {
            _ = try TimesheetRules.validate([TimesheetLine(project: "A", hours: [8.1, 25, -1, 0, 0, 0, 0]),
                                             TimesheetLine(project: "B", hours: [0, 0, 0]),
                                             TimesheetLine(project: "C", hours: [20, 0, 0, 0, 0, 0, 0]),
                                             TimesheetLine(project: "D", hours: [5, 0, 0, 0, 0, 0, 0])])
            Issue.record("bad hours passed")
        } catch {
            #expect(error.code == "people.timesheet.invalid")
            #expect(Set(error.items.map(\.code)) == ["people.timesheet.hours_invalid", "people.timesheet.days_invalid",
                                                     "people.timesheet.day_over_24"])
            #expect(error.items.filter { $0.code == "people.timesheet.hours_invalid" }.count == 3)
        }
    }

    @Test("A week is saved, submitted, and approved by the manager only; overtime counts against the contract")
    func timesheets() async throws {
        try await withTestDatabase(clock: FixedClock(Date(timeIntervalSince1970: 1_767_225_600))) { db, context in  // 2026-01-01
            let fixture = try await PeopleFixture.make(db, context)
            let people = fixture.people
            let (cto, dev) = try await fixture.hireTeam()
            let employee = try await fixture.principal("dev.user")
            let manager = try await fixture.principal("cto.user")
            let week = CivilDate(2026, 1, 7)
            let empty = try await people.timesheet(nil, week: week, by: employee)
            #expect(empty.id == nil && empty.weekStart == CivilDate(2026, 1, 5) && empty.status == .draft)
            let hours: [Decimal] = [9, 9, 9, 9, 6, 0, 0]
            _ = try await people.saveTimesheet(nil, week: week, lines: [TimesheetLine(project: "Keel", hours: hours)],
                                               submit: false, by: employee)
            let submitted = try await people.saveTimesheet(nil, week: week, lines: [TimesheetLine(project: "Keel", hours: hours),
                                                                                  TimesheetLine(project: "Support", hours: [0, 0, 0, 0, 2, 0, 0])],
                                                           submit: true, by: employee)
            #expect(submitted.status == .submitted && submitted.total == 44 && submitted.overtime == 4)
            #expect(await domainErrorCode {
                _ = try await people.saveTimesheet(nil, week: week, lines: [], submit: false, by: employee)
            } == "people.timesheet.locked")
            #expect(await domainErrorCode { _ = try await people.decideTimesheet(submitted.id!, approve: true, by: employee) }
                    == "people.timesheet.not_approver")
            #expect(try await people.timesheets(status: .submitted, by: manager).map(\.employeeNumber) == [dev.number])
            let approved = try await people.decideTimesheet(submitted.id!, approve: true, by: manager)
            #expect(approved.status == .approved && approved.decidedBy == "cto.user")
            #expect(await domainErrorCode {
                _ = try await people.timesheet(cto.number, week: week, by: employee)
            } == "people.employee.not_found")
            #expect(await domainErrorCode {
                _ = try await people.saveTimesheet(nil, week: week.addingDays(7), lines: [], submit: true, by: employee)
            } == "people.timesheet.empty")
        }
    }

    @Test("Cases are hr's alone: the employee, their manager, admin and auditor cannot list or open them")
    func cases() async throws {
        try await withTestDatabase(clock: FixedClock(Date(timeIntervalSince1970: 1_767_225_600))) { db, context in
            let fixture = try await PeopleFixture.make(db, context)
            let people = fixture.people
            let (_, dev) = try await fixture.hireTeam()
            let opened = try await people.openCase(employee: dev.number, kind: .grievance, title: "CANARY-CASE about workload",
                                                   parties: "Team lead", openedOn: "2025-12-15", by: PeopleFixture.hr)
            #expect(opened.number == "CASE-2025-0001" && opened.status == .open)
            let noted = try await people.addCaseNote(opened.number, text: "Met with both sides", by: PeopleFixture.hr)
            #expect(noted.notes.map(\.text) == ["Met with both sides"])
            let closed = try await people.closeCase(opened.number, outcome: "Workload rebalanced", closedOn: "2026-01-01",
                                                    by: PeopleFixture.hr)
            #expect(closed.status == .closed && closed.closedOn == CivilDate(2026, 1, 1))
            #expect(await domainErrorCode { _ = try await people.addCaseNote(opened.number, text: "late", by: PeopleFixture.hr) }
                    == "people.case.closed")
            let admin = Principal(userID: nil, username: "admin", roles: ["admin"], permissions: Set(Permission.all))
            for viewer in [try await fixture.principal("dev.user"), try await fixture.principal("cto.user"), admin] {
                #expect(await domainErrorCode { _ = try await people.cases(by: viewer) } == "people.cases.forbidden")
                #expect(await domainErrorCode { _ = try await people.peopleCase(opened.number, by: viewer) } == "people.cases.forbidden")
            }
            #expect(try await people.cases(employee: dev.number, by: PeopleFixture.hr).count == 1)
            let audit = try await db.sql.select().column("after_json").from("audit_log").all()
                .map { try $0.decode(column: "after_json", as: String?.self) ?? "" }.joined()
            #expect(!audit.contains("CANARY-CASE") && !audit.contains("Met with both sides"))
        }
    }

    @Test("Training: sessions fill up, completions certify until expiry, missing mandatory courses and expiries are listed, expiry is announced once")
    func training() async throws {
        try await withTestDatabase(clock: FixedClock(Date(timeIntervalSince1970: 1_767_225_600))) { db, context in
            let fixture = try await PeopleFixture.make(db, context)
            let people = fixture.people
            let (cto, dev) = try await fixture.hireTeam()
            _ = try await people.createCourse(code: "FIRST-AID", title: "First aid", validityMonths: 24, mandatoryFor: ["DEV"],
                                              by: PeopleFixture.hr)
            #expect(await domainErrorCode {
                _ = try await people.createCourse(code: "X", title: "X", validityMonths: nil, mandatoryFor: ["NOPE"], by: PeopleFixture.hr)
            } == "people.position.unknown")
            var missing = try await people.missingMandatory(by: PeopleFixture.hr)
            #expect(missing.map(\.employee.number) == [dev.number])
            let session = try await people.createSession(course: "FIRST-AID", date: "2024-01-20", place: "Berlin", capacity: 1,
                                                         by: PeopleFixture.hr)
            let enrolment = try await people.enrol(session: session.id, employee: dev.number, by: PeopleFixture.hr)
            #expect(await domainErrorCode { _ = try await people.enrol(session: session.id, employee: cto.number, by: PeopleFixture.hr) }
                    == "people.session.full")
            let done = try await people.completeEnrolment(enrolment.id, on: "2024-01-20", by: PeopleFixture.hr)
            #expect(done.expiresOn == CivilDate(2026, 1, 20))
            missing = try await people.missingMandatory(by: PeopleFixture.hr)
            #expect(missing.isEmpty)
            #expect(try await people.expiringCertifications(within: 30, by: PeopleFixture.hr).map(\.employeeNumber) == [dev.number])
            #expect(try await people.expiringCertifications(within: 10, by: PeopleFixture.hr).isEmpty)
            // The employee sees their own training; the expiry is announced once it passes.
            #expect(try await people.trainings(by: try await fixture.principal("dev.user")).map(\.courseCode) == ["FIRST-AID"])
            #expect(try await people.notifyExpiredCertifications(asOf: CivilDate(2026, 1, 20)) == 0)
            #expect(try await people.notifyExpiredCertifications(asOf: CivilDate(2026, 1, 21)) == 1)
            #expect(try await people.notifyExpiredCertifications(asOf: CivilDate(2026, 2, 1)) == 0)
            #expect(try await people.missingMandatory(asOf: CivilDate(2026, 2, 1), by: PeopleFixture.hr).map(\.employee.number)
                    == [dev.number])
            let events = try await db.sql.select().column("event_type").from("outbox_events").all()
                .map { try $0.decode(column: "event_type", as: String.self) }
            #expect(events.filter { $0 == "certification.expired" }.count == 1)
        }
    }
}

@Suite("Employee documents")
struct EmployeeDocumentTests {
    @Test("Files attach with a checksum, read back only for those the confidentiality allows, and bad uploads change nothing")
    func documents() async throws {
        try await withTestDatabase(clock: FixedClock(Date(timeIntervalSince1970: 1_767_225_600))) { db, context in
            let fixture = try await PeopleFixture.make(db, context)
            let people = fixture.people
            let (_, dev) = try await fixture.hireTeam()
            let bytes = Data("%PDF-1.4 contract".utf8)
            let contract = try await people.attachDocument(dev.number, title: "Employment contract", kind: .contract,
                                                           confidentiality: .personal, filename: "../../etc/contract.pdf",
                                                           contentType: "application/pdf", data: bytes, by: PeopleFixture.hr)
            #expect(contract.filename == "contract.pdf" && contract.size == bytes.count && contract.sha256.count == 64)
            let html = try await people.attachDocument(dev.number, title: "Notes", kind: .other, confidentiality: .general,
                                                       filename: "notes.html", contentType: "text/html", data: Data("<script>".utf8),
                                                       by: PeopleFixture.hr)
            #expect(html.contentType == "application/octet-stream")
            let (read, data) = try await people.document(dev.number, id: contract.id, by: try await fixture.principal("dev.user"))
            #expect(read.title == "Employment contract" && data == bytes)
            let manager = try await fixture.principal("cto.user")
            #expect(try await people.documents(dev.number, by: manager).map(\.title) == ["Notes"])
            #expect(await domainErrorCode { _ = try await people.document(dev.number, id: contract.id, by: manager) }
                    == "people.document.not_found")
            let payroll = Principal(userID: nil, username: "pay", roles: ["payroll"],
                                    permissions: [Permission("people", .read), Permission("people", .write), Permission.payFields])
            #expect(await domainErrorCode {
                _ = try await people.attachDocument(dev.number, title: "Warning", kind: .letter, confidentiality: .hr,
                                                    filename: "w.pdf", contentType: nil, data: bytes, by: payroll)
            } == "people.document.hr_only")
            #expect(await domainErrorCode {
                _ = try await people.attachDocument(dev.number, title: "Empty", kind: .other, confidentiality: .general,
                                                    filename: "e.txt", contentType: nil, data: Data(), by: PeopleFixture.hr)
            } == "people.document.empty")
            #expect(await domainErrorCode {
                _ = try await people.attachDocument(dev.number, title: "Huge", kind: .other, confidentiality: .general,
                                                    filename: "h.bin", contentType: nil,
                                                    data: Data(count: PeopleService.documentBytesMax + 1), by: PeopleFixture.hr)
            } == "people.document.too_large")
            #expect(try await people.documents(dev.number, by: PeopleFixture.hr).count == 2)
        }
    }
}
