import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import People
import Platform
import Testing

@Suite("People reports")
struct PeopleReportTests {
    @Test("Turnover, daily rate and liability arithmetic")
    func rules() {
        #expect(PeopleReportRules.turnover(leavers: 3, start: 50, end: 60) == 5.5)      // 3 / 55
        #expect(PeopleReportRules.turnover(leavers: 1, start: 0, end: 0) == 0)
        #expect(PeopleReportRules.dailyRate(salary: 52_000_00, frequency: .monthly) == 200_00)
        #expect(PeopleReportRules.dailyRate(salary: 50_000_00, frequency: .monthly) == 192_31)   // 192.307... half up
        #expect(PeopleReportRules.dailyRate(salary: 25_00, frequency: .hourly) == 200_00)
        #expect(PeopleReportRules.liability(days: 12.5, dailyRate: 192_31) == 2_403_88)          // 2403.875 half up
    }

    @Test("Headcount by department per month end, joiners and leavers, and leave liability for the pay group only")
    func reports() async throws {
        try await withTestDatabase(clock: FixedClock(Date(timeIntervalSince1970: 1_767_225_600))) { db, context in  // 2026-01-01
            let fixture = try await PeopleFixture.make(db, context)
            let people = fixture.people
            let (_, dev) = try await fixture.hireTeam()           // CTO from 2024-01-15, developer from 2024-03-01, both ENG
            _ = try await people.change(dev.number, ChangeInput(effectiveDate: "2025-11-15", reason: "transfer",
                                                                job: AssignmentInput(department: "HQ")), by: PeopleFixture.hr)
            let report = try await people.headcount(months: 3, asOf: CivilDate(2025, 12, 31), by: PeopleFixture.hr)
            #expect(report.months.map(\.end) == [CivilDate(2025, 10, 31), CivilDate(2025, 11, 30), CivilDate(2025, 12, 31)])
            #expect(report.months[0].byDepartment == ["ENG": 2] && report.months[1].byDepartment == ["ENG": 1, "HQ": 1])
            #expect(report.departments == ["ENG", "HQ"])
            let early = try await people.headcount(months: 1, asOf: CivilDate(2024, 2, 1), by: PeopleFixture.hr)
            #expect(early.months[0].total == 1)
            _ = try await people.terminate(dev.number, leavingDate: "2025-12-31", by: PeopleFixture.hr)
            let turnover = try await people.turnover(from: CivilDate(2025, 1, 1), to: CivilDate(2025, 12, 31), by: PeopleFixture.hr)
            #expect(turnover.joiners.isEmpty && turnover.leavers.map(\.number) == [dev.number])
            #expect(turnover.headcountStart == 2 && turnover.headcountEnd == 2 && turnover.turnoverPercent == 50)
            #expect(await domainErrorCode {
                _ = try await people.turnover(from: CivilDate(2025, 2, 1), to: CivilDate(2025, 1, 1), by: PeopleFixture.hr)
            } == "people.report.period_invalid")

            _ = try await people.createLeaveType(LeaveTypeInput(code: "VAC", name: "Vacation", annualDays: "26"), by: PeopleFixture.hr)
            let lines = try await people.leaveLiability(by: PeopleFixture.hr)
            // The CTO: 150,000 a year -> 576.92 a day; 26 days available -> 15,000.00 (14,999.92 rounds as computed).
            #expect(lines.count == 1 && lines[0].availableDays == 26 && lines[0].dailyRate == 576_92)
            #expect(lines[0].amount == 14_999_92)
            #expect(await domainErrorCode { _ = try await people.leaveLiability(by: try await fixture.principal("cto.user")) }
                    == "auth.forbidden")
            let auditor = Principal(userID: nil, username: "aud", roles: ["auditor"], permissions: [Permission("people", .read)])
            #expect(await domainErrorCode { _ = try await people.leaveLiability(by: auditor) } == "people.report.pay_required")
        }
    }
}
