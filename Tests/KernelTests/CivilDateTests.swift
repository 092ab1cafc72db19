import Foundation
import Kernel
import Testing

@Suite("CivilDate and Period")
struct CivilDateTests {
    @Test("ISO dates parse and print; impossible ones are refused")
    func parsing() throws {
        #expect(try CivilDate.parse("2024-02-29").description == "2024-02-29")
        for bad in ["2023-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "26-01-01", "2026/01/01", "", "2026-01-32",
                    "0000-01-01"] {
            #expect(throws: DomainError.self, "\(bad)") { try CivilDate.parse(bad) }
        }
    }

    @Test("Days since the epoch round-trip across centuries")
    func epochRoundTrip() {
        for days in stride(from: -719_162, through: 2_932_896, by: 997) {
            #expect(CivilDate(daysSinceEpoch: days).daysSinceEpoch == days)
        }
        #expect(CivilDate(1970, 1, 1).daysSinceEpoch == 0)
        #expect(CivilDate(2000, 3, 1).daysSinceEpoch == 11_017)
        #expect(CivilDate(1, 1, 1).daysSinceEpoch == -719_162 && CivilDate(9999, 12, 31).daysSinceEpoch == 2_932_896)
    }

    @Test("Adding months follows the end-of-month rules")
    func addingMonths() {
        #expect(CivilDate(2026, 1, 31).addingMonths(1) == CivilDate(2026, 2, 28))
        #expect(CivilDate(2024, 1, 31).addingMonths(1) == CivilDate(2024, 2, 29))
        #expect(CivilDate(2026, 2, 28).addingMonths(1) == CivilDate(2026, 3, 28))
        #expect(CivilDate(2026, 2, 28).addingMonths(1, rule: .stickToMonthEnd) == CivilDate(2026, 3, 31))
        #expect(CivilDate(2026, 3, 15).addingMonths(-3) == CivilDate(2025, 12, 15))
        #expect(CivilDate(2024, 2, 29).addingYears(1) == CivilDate(2025, 2, 28))
        #expect(CivilDate(2026, 12, 31).addingDays(1) == CivilDate(2027, 1, 1))
        #expect(CivilDate(2026, 1, 1).days(until: CivilDate(2027, 1, 1)) == 365)
    }

    @Test("Weekdays and month ends")
    func weekdays() {
        #expect(CivilDate(2026, 11, 22).weekday == .sunday)
        #expect(CivilDate(1970, 1, 1).weekday == .thursday)
        #expect(CivilDate(2000, 1, 1).weekday == .saturday)
        #expect(CivilDate(2026, 11, 22).weekday.isWeekend)
        #expect(CivilDate(2026, 2, 10).monthEnd == CivilDate(2026, 2, 28))
        #expect(CivilDate(2026, 4, 30).isMonthEnd)
    }

    @Test("Periods: months, quarters and fiscal years starting in any month")
    func periods() throws {
        #expect(Period.month(containing: CivilDate(2026, 2, 14)).label == "2026-02")
        let quarter = Period.quarter(containing: CivilDate(2026, 8, 1))
        #expect(quarter.start == CivilDate(2026, 7, 1) && quarter.end == CivilDate(2026, 9, 30) && quarter.label == "2026-Q3")
        let april = Period.fiscalYear(containing: CivilDate(2026, 2, 1), startMonth: 4)
        #expect(april.start == CivilDate(2025, 4, 1) && april.end == CivilDate(2026, 3, 31) && april.label == "FY2025/26")
        let calendar = Period.fiscalYear(containing: CivilDate(2026, 12, 31), startMonth: 1)
        #expect(calendar.label == "FY2026" && calendar.dayCount == 365 && calendar.months.count == 12)
        #expect(Period.fiscalYearStartYear(containing: CivilDate(2026, 2, 1), startMonth: 4) == 2025)
        #expect(Period.fiscalYearStartYear(containing: CivilDate(2026, 4, 1), startMonth: 4) == 2026)
        #expect(Period.fiscalYearStartYear(containing: CivilDate(2026, 12, 31), startMonth: 1) == 2026)
        #expect(throws: DomainError.self) { try Period(start: CivilDate(2026, 2, 1), end: CivilDate(2026, 1, 1)) }
    }

    @Test("Today depends on the company's time zone")
    func todayInTimeZone() {
        // 2026-11-22 20:00 UTC is already the 23rd in Tokyo and still the 22nd in New York.
        let instant = Date(timeIntervalSince1970: Double(CivilDate(2026, 11, 22).daysSinceEpoch * 86_400 + 20 * 3600))
        let clock = FixedClock(instant)
        #expect(clock.today(in: TimeZone(identifier: "UTC")!) == CivilDate(2026, 11, 22))
        #expect(clock.today(in: TimeZone(identifier: "Asia/Tokyo")!) == CivilDate(2026, 11, 23))
        #expect(clock.today(in: TimeZone(identifier: "America/New_York")!) == CivilDate(2026, 11, 22))
        #expect(RFC3339.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_700_000_000.5)) == "2023-11-14T22:13:20.500Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_798_761_599.125)) == "2026-12-31T23:59:59.125Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_767_229_261.0625)) == "2026-01-01T01:01:01.062Z")
    }

    @Test("Dates print as YYYY-MM-DD with leading zeros, and their month as YYYY-MM")
    func printing() throws {
        #expect(CivilDate(2026, 3, 5).description == "2026-03-05")
        #expect(CivilDate(33, 12, 31).description == "0033-12-31")
        #expect(CivilDate(9999, 1, 1).monthText == "9999-01")
        #expect(try CivilDate.parse("0001-01-01") == CivilDate(1, 1, 1))
    }

    @Test("Text helpers: trimming, searching and hex without Foundation")
    func text() {
        #expect(" \t Assets:Bank \u{00A0}".trimmed == "Assets:Bank")
        #expect("".trimmed == "")
        #expect("   ".trimmed == "")
        #expect("a\nb ".trimmed == "a\nb")
        #expect("Assets:Bank  100 EUR".has("  "))
        #expect(!"Assets:Bank 100 EUR".has("  "))
        #expect("Café  €5".utf8Range(of: "  ").map { "Café  €5"[$0.upperBound...] } == "€5")
        #expect("abc".has(""))
        #expect([0x00, 0x0F, 0xA5, 0xFF].lowercaseHex == "000fa5ff")
    }

    @Test("IDs are version 7 and sort by creation time")
    func ids() {
        let early = UUID.v7(now: Date(timeIntervalSince1970: 1_000))
        let late = UUID.v7(now: Date(timeIntervalSince1970: 2_000))
        #expect(early.uuidString.lowercased() < late.uuidString.lowercased())
        #expect(Array(early.uuidString)[14] == "7")
        #expect("89AB".contains(Array(early.uuidString)[19]))
        // The first 48 bits are the milliseconds: 1,000 s = 1,000,000 ms = 0x0000000F4240.
        #expect(early.uuidString.hasPrefix("0000000F-4240-7"))
        // The next 12 bits are the fraction of the millisecond: ids within one millisecond still sort by time.
        #expect(early.uuidString.hasPrefix("0000000F-4240-7000"))
        let later = UUID.v7(now: Date(timeIntervalSince1970: 1_000.0006))
        #expect(later.uuidString.hasPrefix("0000000F-4240-7999"))  // 0.6 ms: 0.6 x 4096 = 0x999
        #expect(early.uuidString < later.uuidString)
        let many = (0..<1_000).map { _ in UUID.v7(now: Date(timeIntervalSince1970: 1_000)) }
        #expect(Set(many).count == 1_000)
        struct Invoice {}
        let id = ID<Invoice>()
        #expect(ID<Invoice>(id.description) == id)
    }
}
