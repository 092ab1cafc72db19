import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// HR reports: headcount over time by department, joiners, leavers and turnover, leave liability, open positions.
/// They count everyone (people:read); leave liability needs the pay group as well, since it is built from salaries.
public struct HeadcountReport: Sendable, Equatable {
    public struct Month: Sendable, Equatable {
        public let end: CivilDate
        /// Department code ("" for no department) -> active employees on the month's last day.
        public let byDepartment: [String: Int]
        public var total: Int { byDepartment.values.reduce(0, +) }
    }

    public let departments: [String]
    public let months: [Month]
}

public struct TurnoverReport: Sendable, Equatable {
    public let from: CivilDate
    public let to: CivilDate
    public let headcountStart: Int
    public let headcountEnd: Int
    public let joiners: [Employee]
    public let leavers: [Employee]

    /// Leavers over the average headcount, in percent with one decimal (0 when there was no one).
    public var turnoverPercent: Decimal {
        PeopleReportRules.turnover(leavers: leavers.count, start: headcountStart, end: headcountEnd)
    }
}

public struct LeaveLiabilityLine: Sendable, Equatable {
    public let employee: Employee
    public let availableDays: Decimal
    /// Annual salary / working days a year, in minor units.
    public let dailyRate: Int64
    public let amount: Int64
}

/// Report arithmetic. Pure.
public enum PeopleReportRules {
    /// Working days a year a daily rate is based on (52 weeks x 5 days).
    public static let workingDaysPerYear: Int64 = 260

    public static func turnover(leavers: Int, start: Int, end: Int) -> Decimal {
        let average = Decimal(start + end) / 2
        guard average > 0 else { return 0 }
        var value = Decimal(leavers) / average * 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 1, .plain)
        return rounded
    }

    /// A day's pay from an annual salary (hourly rates: 8 hours), half up to the minor unit.
    public static func dailyRate(salary: Int64, frequency: Assignment.PayFrequency?) -> Int64 {
        if frequency == .hourly { return salary * 8 }
        return (salary * 2 + workingDaysPerYear) / (workingDaysPerYear * 2)
    }

    /// The value of `days` of leave at a daily rate, half up to the minor unit.
    public static func liability(days: Decimal, dailyRate: Int64) -> Int64 {
        var value = days * Decimal(dailyRate)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 0, .plain)
        return NSDecimalNumber(decimal: rounded).int64Value
    }
}

extension PeopleService {
    static func requireReports(_ actor: Principal) throws(DomainError) { try require(actor, Permission("people", .read)) }

    /// Active employees on each of the last `months` month ends up to `asOf`, by department.
    public func headcount(months: Int = 12, asOf: CivilDate? = nil, by actor: Principal) async throws -> HeadcountReport {
        try Self.requireReports(actor)
        guard (1...60).contains(months) else {
            throw DomainError.invalid("people.report.months_invalid", "Ask for 1 to 60 months", field: "months")
        }
        let day = try await self.day(asOf)
        let departments = Dictionary(uniqueKeysWithValues: try await departments().map { ($0.id, $0.code) })
        let rows = try await db.sql.select().columns("id", "hire_date", "leaving_date").from("people_employees").all()
        let employment = try rows.map { (id: try PeopleRows.id($0), hire: try PeopleRows.date($0, "hire_date"),
                                         leaving: try PeopleRows.optionalDate($0, "leaving_date")) }
        let history = try await db.sql.select().column("*").from("people_assignments").orderBy("effective_date").all()
        var rowsByEmployee: [String: [Assignment]] = [:]
        for row in history { rowsByEmployee[try PeopleRows.id(row, "employee_id"), default: []].append(try PeopleRows.assignment(row)) }
        var result: [HeadcountReport.Month] = []
        for offset in (0..<months).reversed() {
            let end = offset == 0 ? day : day.addingMonths(-offset).monthEnd
            var counts: [String: Int] = [:]
            for person in employment where person.hire <= end && (person.leaving.map { $0 >= end } ?? true) {
                let job = OrgRules.assignment(asOf: end, in: rowsByEmployee[person.id] ?? [])
                counts[job?.departmentID.flatMap { departments[$0] } ?? "", default: 0] += 1
            }
            result.append(.init(end: end, byDepartment: counts))
        }
        let used = Set(result.flatMap { $0.byDepartment.keys })
        return HeadcountReport(departments: used.sorted(), months: result)
    }

    /// Joiners and leavers in a period and the turnover rate (leavers over the average of the headcounts at the
    /// period's start and end).
    public func turnover(from: CivilDate, to: CivilDate, by actor: Principal) async throws -> TurnoverReport {
        try Self.requireReports(actor)
        guard from <= to else {
            throw DomainError.invalid("people.report.period_invalid", "The period starts on or before it ends", field: "from")
        }
        let all = try await db.sql.select().column("*").from("people_employees").orderBy("hire_date").all().map(PeopleRows.employee)
        let viewer = try await viewer(actor)
        func active(_ day: CivilDate) -> Int {
            all.filter { $0.hireDate <= day && ($0.leavingDate.map { $0 >= day } ?? true) }.count
        }
        return TurnoverReport(from: from, to: to, headcountStart: active(from), headcountEnd: active(to),
                              joiners: all.filter { $0.hireDate >= from && $0.hireDate <= to }.map(viewer.redacted),
                              leavers: all.filter { $0.leavingDate.map { $0 >= from && $0 <= to } ?? false }.map(viewer.redacted))
    }

    /// What the vacation days still available would cost if paid out today: available days x daily rate, per active
    /// employee. Needs the pay group (hr, payroll).
    public func leaveLiability(asOf: CivilDate? = nil, by actor: Principal) async throws -> [LeaveLiabilityLine] {
        try Self.requireReports(actor)
        let viewer = try await viewer(actor)
        guard viewer.grantedGroups.contains(.pay) else {
            throw DomainError.forbidden("people.report.pay_required", "Leave liability is built from salaries: it takes the "
                                        + "pay field group (hr, payroll)")
        }
        let day = try await self.day(asOf)
        let types = try await leaveTypes().filter { $0.limited && $0.paid }
        let (employees, _) = try await self.employees(.init(status: .active, asOf: day, limit: Self.pageLimitMax), by: actor)
        var lines: [LeaveLiabilityLine] = []
        for employee in employees {
            guard let job = employee.assignment, let salary = job.salary else { continue }
            var days: Decimal = 0
            for type in types {
                days += max(try await balance(of: employee, type: type, year: day.year, asOf: day).available, 0)
            }
            let rate = PeopleReportRules.dailyRate(salary: salary, frequency: job.payFrequency)
            lines.append(LeaveLiabilityLine(employee: employee, availableDays: days, dailyRate: rate,
                                            amount: PeopleReportRules.liability(days: days, dailyRate: rate)))
        }
        return lines
    }
}
