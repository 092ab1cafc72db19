import Foundation
import Kernel
@testable import People
import Testing

@Suite("Leave rules")
struct LeaveRulesTests {
    static let vacation = LeaveType(id: "v", code: "VAC", name: "Vacation", paid: true, limited: true, annualDays: 30,
                                    accrual: .annual, carryOverMax: 5)

    @Test("Working days skip weekends and holidays; half days take half of a working day")
    func workingDays() {
        let christmas: Set<CivilDate> = [CivilDate(2026, 12, 25)]
        func days(_ from: CivilDate, _ to: CivilDate, start: Bool = false, end: Bool = false) -> Decimal {
            LeaveRules.workingDays(from: from, to: to, holidays: christmas, halfStart: start, halfEnd: end)
        }
        #expect(days(CivilDate(2026, 12, 21), CivilDate(2026, 12, 25)) == 4)                 // Mon-Fri, Friday a holiday
        #expect(days(CivilDate(2026, 12, 21), CivilDate(2026, 12, 25), start: true) == 3.5)
        #expect(days(CivilDate(2026, 12, 21), CivilDate(2026, 12, 25), start: true, end: true) == 3.5)  // the 25th is off anyway
        #expect(days(CivilDate(2026, 12, 21), CivilDate(2026, 12, 24), end: true) == 3.5)
        #expect(days(CivilDate(2026, 12, 26), CivilDate(2026, 12, 27)) == 0)                 // a weekend
        #expect(days(CivilDate(2026, 12, 18), CivilDate(2026, 12, 21)) == 2)                 // Friday to Monday
        #expect(days(CivilDate(2026, 12, 21), CivilDate(2026, 12, 21), start: true) == 0.5)
        #expect(days(CivilDate(2026, 12, 21), CivilDate(2026, 12, 21), start: true, end: true) == 1)
        #expect(days(CivilDate(2026, 12, 22), CivilDate(2026, 12, 21)) == 0)
        #expect(LeaveRules.workingDays(from: CivilDate(2026, 12, 20), to: CivilDate(2026, 12, 26), holidays: [],
                                       weekend: [5, 6]) == 5)                                 // a Friday-Saturday weekend
    }

    @Test("Entitlement is pro-rated by the days employed and FTE, to the nearest half day")
    func proRating() {
        func entitled(hire: CivilDate, leaving: CivilDate? = nil, fte: Decimal = 1) -> Decimal {
            LeaveRules.entitlement(Self.vacation, year: 2026, hire: hire, leaving: leaving, fte: fte, asOf: CivilDate(2026, 1, 1))
        }
        #expect(entitled(hire: CivilDate(2020, 5, 4)) == 30)
        #expect(entitled(hire: CivilDate(2026, 7, 1)) == 15)                   // 184 of 365 days: 15.12
        #expect(entitled(hire: CivilDate(2026, 7, 1), fte: 0.5) == 7.5)       // 7.56
        #expect(entitled(hire: CivilDate(2020, 5, 4), fte: 0.8) == 24)
        #expect(entitled(hire: CivilDate(2020, 5, 4), leaving: CivilDate(2026, 3, 31)) == 7.5)   // 90 days: 7.40
        #expect(entitled(hire: CivilDate(2027, 1, 1)) == 0)
        #expect(LeaveRules.entitlement(Self.vacation, year: 2024, hire: CivilDate(2024, 7, 1), leaving: nil, fte: 1,
                                       asOf: CivilDate(2024, 1, 1)) == 15)   // 184 of 366 days in a leap year: 15.08
    }

    @Test("Monthly accrual earns each completed month's share")
    func accrual() {
        let monthly = LeaveType(id: "m", code: "MON", name: "Monthly", paid: true, limited: true, annualDays: 24,
                                accrual: .monthly, carryOverMax: 0)
        func earned(_ asOf: CivilDate, hire: CivilDate = CivilDate(2020, 1, 1)) -> Decimal {
            LeaveRules.entitlement(monthly, year: 2026, hire: hire, leaving: nil, fte: 1, asOf: asOf)
        }
        #expect(earned(CivilDate(2026, 1, 15)) == 0)
        #expect(earned(CivilDate(2026, 1, 31)) == 2)        // 31/365 x 24 = 2.04
        #expect(earned(CivilDate(2026, 3, 15)) == 4)        // through February: 3.88
        #expect(earned(CivilDate(2026, 3, 31)) == 6)        // 5.92
        #expect(earned(CivilDate(2026, 12, 31)) == 24)
        #expect(earned(CivilDate(2027, 6, 1)) == 24)
        #expect(earned(CivilDate(2026, 6, 30), hire: CivilDate(2026, 4, 1)) == 6)   // April to June: 91 days, 5.98
    }

    @Test("Unused days carry over up to the cap, are used first, and lapse after the expiry day")
    func carryOver() {
        let type = LeaveType(id: "v", code: "VAC", name: "Vacation", paid: true, limited: true, annualDays: 25,
                             accrual: .annual, carryOverMax: 5)
        let taken = [TakenLeave(start: CivilDate(2025, 6, 1), days: 18), TakenLeave(start: CivilDate(2026, 2, 10), days: 3)]
        func balance(_ asOf: CivilDate, taken: [TakenLeave] = taken, pending: Decimal = 0) -> LeaveBalance {
            LeaveRules.balance(type, year: asOf.year, asOf: asOf, hire: CivilDate(2024, 1, 1), leaving: nil, fte: 1,
                               taken: taken, pending: pending)
        }
        // 2025: 25 + 5 carried (lapsed by June) - 18 = 7 unused; 5 carry into 2026.
        let march = balance(CivilDate(2026, 3, 31))
        #expect(march.entitled == 25 && march.carriedOver == 5 && march.lapsed == 0 && march.taken == 3 && march.available == 27)
        let april = balance(CivilDate(2026, 4, 1))
        #expect(april.lapsed == 2 && april.available == 25)                    // 3 of the 5 were used before April
        let late = balance(CivilDate(2026, 4, 1), taken: [TakenLeave(start: CivilDate(2025, 6, 1), days: 18),
                                                          TakenLeave(start: CivilDate(2026, 5, 4), days: 3)])
        #expect(late.lapsed == 5 && late.available == 22)                       // taken after the expiry: carry lapsed
        #expect(balance(CivilDate(2026, 3, 1), pending: 2.5).available == 24.5)
        let capped = LeaveRules.balance(type, year: 2025, asOf: CivilDate(2025, 1, 2), hire: CivilDate(2024, 1, 1), leaving: nil,
                                        fte: 1, taken: [], pending: 0)
        #expect(capped.carriedOver == 5)                                        // 25 unused, capped at 5
    }
}
