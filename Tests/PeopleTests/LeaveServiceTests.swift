import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import People
import Platform
import SQLKit
import Testing

@Suite("Leave")
struct LeaveServiceTests {
    @Test("An employee asks, their manager approves (never themselves), balances follow, holidays and weekends are not counted")
    func requestAndApprove() async throws {
        try await withTestDatabase(clock: FixedClock(Date(timeIntervalSince1970: 1_767_225_600))) { db, context in  // 2026-01-01
            let fixture = try await PeopleFixture.make(db, context)
            let people = fixture.people
            let (cto, dev) = try await fixture.hireTeam()
            _ = try await people.createLeaveType(LeaveTypeInput(code: "VAC", name: "Vacation", annualDays: "30",
                                                                carryOverMax: "5"), by: PeopleFixture.hr)
            _ = try await people.createLeaveType(LeaveTypeInput(code: "SICK", name: "Sick leave", limited: false), by: PeopleFixture.hr)
            #expect(await domainErrorCode {
                _ = try await people.createLeaveType(LeaveTypeInput(code: "X", name: "X", annualDays: "2.3"), by: PeopleFixture.hr)
            } == "people.leave_type.annual_days_invalid")

            // Holidays: a bad file imports nothing and names its lines; a good one imports.
            let bad = "date,name,location\n2026-04-03,Good Friday,BER\n2026-13-01,Nope,\n2026-05-01,Labour Day,XXX\n"
            do {
                _ = try await people.importHolidays(bad, by: PeopleFixture.hr)
                Issue.record("a bad holiday file imported")
            } catch let error as DomainError {
                #expect(error.code == "people.holiday.import_invalid" && error.items.compactMap(\.line) == [3, 4])
            }
            #expect(try await people.holidays(year: 2026).isEmpty)
            #expect(try await people.importHolidays("date,name,location\n2026-04-03,Good Friday,\n2026-04-06,Easter Monday,BER\n",
                                                    by: PeopleFixture.hr) == 2)
            #expect(try await people.importHolidays("date,name\n2026-04-03,Good Friday\n", by: PeopleFixture.hr) == 0)

            let employee = try await fixture.principal("dev.user")
            let manager = try await fixture.principal("cto.user")
            // Easter week, Mon 30 Mar - Tue 7 Apr: Good Friday (everywhere) and Easter Monday (Berlin) off, the weekend off,
            // the last day a half: 4.5 days. Vacation: 30 this year and 5 carried from 2025.
            let easter = try await people.requestLeave(LeaveRequestInput(type: "VAC", start: "2026-03-30", end: "2026-04-07",
                                                                         halfEnd: true), by: employee)
            #expect(easter.days == 4.5 && easter.status == .pending && easter.employeeNumber == dev.number)
            var balance = try await people.leaveBalances(dev.number, asOf: CivilDate(2026, 1, 1), by: employee)
            #expect(balance.map(\.type.code) == ["VAC"] && balance[0].balance.pending == 4.5)
            #expect(balance[0].balance.carriedOver == 5 && balance[0].balance.available == 30.5)

            #expect(await domainErrorCode { _ = try await people.decideLeave(easter.id, .approve, by: employee) }
                    == "people.leave.not_approver")
            let approved = try await people.decideLeave(easter.id, .approve, note: "Enjoy", by: manager)
            #expect(approved.status == .approved && approved.decidedBy == "cto.user")
            balance = try await people.leaveBalances(dev.number, asOf: CivilDate(2026, 1, 1), by: employee)
            #expect(balance[0].balance.taken == 4.5 && balance[0].balance.available == 30.5)
            #expect(await domainErrorCode { _ = try await people.decideLeave(easter.id, .reject, by: manager) }
                    == "people.leave.not_pending")
            // While the approved leave runs the employee shows as on leave; the employment stays active.
            #expect(try await people.employee(dev.number, asOf: CivilDate(2026, 4, 1), by: manager).status == .onLeave)
            #expect(try await people.employee(dev.number, asOf: CivilDate(2026, 4, 8), by: manager).status == .active)
            #expect(try await people.employees(.init(status: .onLeave, asOf: CivilDate(2026, 4, 1)), by: PeopleFixture.hr)
                .employees.map(\.number) == [dev.number])
            #expect(try await people.employees(.init(status: .active, asOf: CivilDate(2026, 4, 1)), by: PeopleFixture.hr).total == 2)

            // Refusals: overlap, no working day, more than available, someone else's leave, the manager's own.
            #expect(await domainErrorCode {
                _ = try await people.requestLeave(LeaveRequestInput(type: "VAC", start: "2026-04-01", end: "2026-04-02"), by: employee)
            } == "people.leave.overlap")
            #expect(await domainErrorCode {
                _ = try await people.requestLeave(LeaveRequestInput(type: "VAC", start: "2026-04-04", end: "2026-04-05"), by: employee)
            } == "people.leave.no_working_days")
            #expect(await domainErrorCode {
                _ = try await people.requestLeave(LeaveRequestInput(type: "VAC", start: "2026-06-01", end: "2026-07-31"), by: employee)
            } == "people.leave.insufficient_balance")
            #expect(await domainErrorCode {
                _ = try await people.requestLeave(LeaveRequestInput(type: "VAC", start: "2026-12-28", end: "2027-01-05"), by: employee)
            } == "people.leave.crosses_year")
            #expect(await domainErrorCode {
                _ = try await people.requestLeave(LeaveRequestInput(employee: cto.number, type: "VAC", start: "2026-06-01",
                                                                    end: "2026-06-02"), by: employee)
            } == "people.employee.not_found")
            let own = try await people.requestLeave(LeaveRequestInput(type: "VAC", start: "2026-06-01", end: "2026-06-05"),
                                                    by: manager)
            #expect(await domainErrorCode { _ = try await people.decideLeave(own.id, .approve, by: manager) }
                    == "people.leave.not_approver")
            #expect(try await people.decideLeave(own.id, .approve, by: PeopleFixture.hr).status == .approved)

            // Sick leave is recorded, not limited; a cancelled request frees its days.
            let sick = try await people.requestLeave(LeaveRequestInput(type: "SICK", start: "2026-02-02", end: "2026-02-20"),
                                                     by: employee)
            #expect(sick.days == 15)
            let summer = try await people.requestLeave(LeaveRequestInput(type: "VAC", start: "2026-08-03", end: "2026-08-14"),
                                                       by: employee)
            #expect(try await people.decideLeave(summer.id, .cancel, by: employee).status == .cancelled)
            balance = try await people.leaveBalances(dev.number, asOf: CivilDate(2026, 1, 1), by: employee)
            #expect(balance[0].balance.available == 30.5)
            // What each sees: the manager the team's requests, the employee only their own.
            #expect(Set(try await people.leaveRequests(by: manager).map(\.employeeNumber)) == [cto.number, dev.number])
            #expect(Set(try await people.leaveRequests(by: employee).map(\.employeeNumber)) == [dev.number])
            #expect(await domainErrorCode { _ = try await people.leaveBalances(cto.number, by: employee) }
                    == "people.employee.not_found")
        }
    }
}
