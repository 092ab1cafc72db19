import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import People
import Platform
import SQLKit
import Testing

@Suite("Recruiting and onboarding")
struct HireFlowTests {
    @Test("Candidate -> interview -> offer -> hired: the employee has history, onboarding tasks sit in their owners' inboxes, employee.hired is out; leaving disables the user")
    func hireFlow() async throws {
        try await withTestDatabase(clock: FixedClock(Date(timeIntervalSince1970: 1_767_225_600))) { db, context in  // 2026-01-01
            let fixture = try await PeopleFixture.make(db, context)
            let people = fixture.people
            let (cto, _) = try await fixture.hireTeam()
            let users = UserService(db: db, context: context)
            for (name, role) in [("it.user", "it"), ("fac.user", "facilities"), ("new.user", "employee")] {
                try await users.create(.init(username: name, roles: [role], password: "a long password 123"), by: .system)
            }
            _ = try await people.createChecklist(code: "ON", name: "Onboarding", kind: .onboarding, items: [
                .init(title: "Contract signed", owner: .hr, dueOffsetDays: -7),
                .init(title: "Laptop ready", owner: .it, dueOffsetDays: -3),
                .init(title: "Badge and desk", owner: .facilities, dueOffsetDays: 0),
                .init(title: "Welcome meeting", owner: .manager, dueOffsetDays: 1),
                .init(title: "Read the handbook", owner: .employee, dueOffsetDays: 5)], by: PeopleFixture.hr)
            _ = try await people.createChecklist(code: "OFF", name: "Offboarding", kind: .offboarding, items: [
                .init(title: "Revoke access", owner: .it, dueOffsetDays: 0),
                .init(title: "Collect badge", owner: .facilities, dueOffsetDays: 0)], by: PeopleFixture.hr)
            #expect(await domainErrorCode {
                _ = try await people.createChecklist(code: "X", name: "X", kind: .onboarding, items: [], by: PeopleFixture.hr)
            } == "people.checklist.items_count")

            // Recruiting: an opening for the DEV position, a candidate through the pipeline.
            let opening = try await people.createOpening(code: "DEV-26", title: "Developer", position: "DEV", by: PeopleFixture.hr)
            let candidate = try await people.addCandidate(opening: opening.code, name: "Ada Lovelace", email: "ada@example.com",
                                                          phone: nil, notes: "Referred", by: PeopleFixture.hr)
            _ = try await people.moveCandidate(candidate.id, to: .screening, by: PeopleFixture.hr)
            _ = try await people.moveCandidate(candidate.id, to: .interview, by: PeopleFixture.hr)
            _ = try await people.recordInterview(candidate: candidate.id, date: "2026-01-10", interviewers: "Grace Hopper",
                                                 score: 5, notes: "Strong", by: PeopleFixture.hr)
            #expect(await domainErrorCode {
                _ = try await people.recordInterview(candidate: candidate.id, date: "2026-01-10", interviewers: "G", score: 9,
                                                     notes: nil, by: PeopleFixture.hr)
            } == "people.interview.score_invalid")
            let offer = try await people.moveCandidate(candidate.id, to: .offer, offerSalary: "70000", offerStart: "2026-02-02",
                                                       by: PeopleFixture.hr)
            #expect(offer.offerSalary == 70_000_00 && offer.offerStart == CivilDate(2026, 2, 2))
            #expect(await domainErrorCode { _ = try await people.moveCandidate(candidate.id, to: .hired, by: PeopleFixture.hr) }
                    == "people.candidate.hire_separately")
            let employee = try await people.hireCandidate(candidate.id, HireInput(
                legalName: "", workEmail: "ada@keel.example", hireDate: "", user: "new.user",
                job: AssignmentInput(manager: cto.number)), by: PeopleFixture.hr)
            #expect(employee.legalName == "Ada Lovelace" && employee.hireDate == CivilDate(2026, 2, 2))
            let history = try await people.history(employee.number, by: PeopleFixture.hr)
            #expect(history.count == 1 && history[0].reason == .hire && history[0].salary == 70_000_00 && history[0].managerID == cto.id)
            let seen = try await people.employee(employee.number, by: PeopleFixture.hr)
            #expect(seen.personal?.privateEmail == "ada@example.com")
            #expect(try await people.candidates(opening: opening.code, by: PeopleFixture.hr).first?.stage == .hired)
            #expect(try await db.sql.select().column("payload").from("outbox_events").where("event_type", .equal, "employee.hired")
                .all().contains { try $0.decode(column: "payload", as: String.self).contains(employee.number) })

            // Each owner finds their task in their inbox, with the due date from the start.
            func inbox(_ username: String) async throws -> [String] {
                try await people.tasks(by: try await fixture.principal(username)).filter { $0.employeeID == employee.id }.map(\.title)
            }
            #expect(try await inbox("it.user") == ["Laptop ready"])
            #expect(try await inbox("fac.user") == ["Badge and desk"])
            #expect(try await inbox("cto.user") == ["Welcome meeting"])
            #expect(try await inbox("new.user") == ["Read the handbook"])
            #expect(try await inbox("dev.user").isEmpty)
            let all = try await people.tasks(employee: employee.number, by: PeopleFixture.hr)
            #expect(all.map(\.title) == ["Contract signed", "Laptop ready", "Badge and desk", "Welcome meeting", "Read the handbook"])
            #expect(all[1].dueDate == CivilDate(2026, 1, 30) && all[1].isOverdue(today: CivilDate(2026, 2, 2)))
            let laptop = all[1]
            #expect(await domainErrorCode { _ = try await people.completeTask(laptop.id, by: try await fixture.principal("fac.user")) }
                    == "people.task.not_found")
            let done = try await people.completeTask(laptop.id, by: try await fixture.principal("it.user"))
            #expect(done.status == .done && done.doneBy == "it.user")
            #expect(try await inbox("it.user").isEmpty)

            // Leaving: offboarding tasks, and the user is disabled on the day.
            _ = try await people.terminate(employee.number, leavingDate: "2026-03-31", by: PeopleFixture.hr)
            #expect(try await inbox("it.user") == ["Revoke access"])
            #expect(try await !users.find(username: "new.user").disabled)
            #expect(try await people.processLeavers(asOf: CivilDate(2026, 3, 31)) == [employee.number])
            #expect(try await users.find(username: "new.user").disabled)

            // Candidates not hired are anonymised after the retention period; the hired one stays.
            let other = try await people.addCandidate(opening: opening.code, name: "Bob Example", email: "bob@example.com",
                                                      phone: "+1 555", notes: "Not now", by: PeopleFixture.hr)
            _ = try await people.moveCandidate(other.id, to: .rejected, by: PeopleFixture.hr)
            #expect(await domainErrorCode { try await people.setCandidateRetentionDays(5, by: PeopleFixture.hr) }
                    == "people.candidate.retention_invalid")
            try await people.setCandidateRetentionDays(400, by: PeopleFixture.hr)
            #expect(try await people.purgeCandidates(asOf: CivilDate(2026, 12, 1)) == 0)        // kept 400 days now
            try await people.setCandidateRetentionDays(180, by: PeopleFixture.hr)
            #expect(try await people.purgeCandidates(asOf: CivilDate(2026, 3, 1)) == 0)
            #expect(try await people.purgeCandidates(asOf: CivilDate(2026, 12, 1)) == 1)
            let (gone, _) = try await people.candidate(other.id, by: PeopleFixture.hr)
            #expect(gone.anonymised && gone.name == "Anonymised candidate" && gone.email == nil && gone.notes == nil)
            #expect(try await people.candidate(candidate.id, by: PeopleFixture.hr).0.name == "Ada Lovelace")
            #expect(try await people.purgeCandidates(asOf: CivilDate(2026, 12, 1)) == 0)
            #expect(await domainErrorCode { _ = try await people.candidates(by: try await fixture.principal("dev.user")) }
                    == "auth.forbidden")
        }
    }
}
