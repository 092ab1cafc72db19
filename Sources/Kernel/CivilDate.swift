import Foundation

/// A calendar date with no time zone (a business date: an invoice date, a hire date, a period end).
/// Stored and sent as `YYYY-MM-DD`. Proleptic Gregorian calendar, years 1...9999.
public struct CivilDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// What happens when adding months lands past the end of a shorter month.
    public enum MonthEndRule: Sendable {
        /// Jan 31 + 1 month = Feb 28/29; Feb 28 + 1 month = Mar 28.
        case clamp
        /// Like `clamp`, and a date that is its month's last day stays on the last day: Feb 28 + 1 = Mar 31.
        case stickToMonthEnd
    }

    /// Monday is 1 ... Sunday is 7 (ISO 8601).
    public enum Weekday: Int, Sendable, CaseIterable {
        case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday
        public var isWeekend: Bool { self == .saturday || self == .sunday }
    }

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...CivilDate.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Builds a date from known-good parts; a bad date here is a programmer error.
    public init(_ year: Int, _ month: Int, _ day: Int) {
        guard let date = CivilDate(year: year, month: month, day: day) else {
            preconditionFailure("invalid civil date \(year)-\(month)-\(day)")
        }
        self = date
    }

    /// Parses exactly `YYYY-MM-DD`, refusing impossible dates (2026-02-30) with `date.invalid`.
    public static func parse(_ text: String, field: String? = "date") throws(DomainError) -> CivilDate {
        let bytes = Array(text.utf8)
        let shapeOK = bytes.count == 10 && bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-")
            && bytes.enumerated().allSatisfy { index, byte in index == 4 || index == 7 || (48...57).contains(byte) }
        guard shapeOK else {
            throw .invalid("date.invalid", "'\(text)' is not a date in the form YYYY-MM-DD", field: field)
        }
        func number(_ range: Range<Int>) -> Int { bytes[range].reduce(0) { $0 * 10 + Int($1 - 48) } }
        let year = number(0..<4), month = number(5..<7), day = number(8..<10)
        guard let date = CivilDate(year: year, month: month, day: day) else {
            throw .invalid("date.invalid", "'\(text)' is not a day of the calendar", field: field)
        }
        return date
    }

    /// `YYYY-MM-DD`, written digit by digit: dates are formatted for every stored line, and `String(format:)`
    /// is slow on Linux.
    public var description: String {
        let digits: [UInt8] = [
            UInt8(48 + year / 1000 % 10), UInt8(48 + year / 100 % 10), UInt8(48 + year / 10 % 10), UInt8(48 + year % 10),
            45, UInt8(48 + month / 10), UInt8(48 + month % 10), 45, UInt8(48 + day / 10), UInt8(48 + day % 10),
        ]
        return String(decoding: digits, as: UTF8.self)
    }

    /// `YYYY-MM`, the month the date falls in.
    public var monthText: String { String(description.prefix(7)) }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (negative before), by Howard Hinnant's days_from_civil.
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    public init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    public func addingDays(_ days: Int) -> CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch + days) }

    public func addingMonths(_ months: Int, rule: MonthEndRule = .clamp) -> CivilDate {
        let index = year * 12 + (month - 1) + months
        let newYear = index / 12
        let newMonth = index % 12 + 1
        let last = CivilDate.daysIn(month: newMonth, year: newYear)
        let newDay = (rule == .stickToMonthEnd && isMonthEnd) ? last : min(day, last)
        return CivilDate(newYear, newMonth, newDay)
    }

    public func addingYears(_ years: Int, rule: MonthEndRule = .clamp) -> CivilDate {
        addingMonths(years * 12, rule: rule)
    }

    /// Days from `self` to `other` (positive when `other` is later).
    public func days(until other: CivilDate) -> Int { other.daysSinceEpoch - daysSinceEpoch }

    public var weekday: Weekday {
        // 1970-01-01 was a Thursday (ISO 4).
        let index = ((daysSinceEpoch % 7) + 7 + 3) % 7
        return Weekday(rawValue: index + 1)!
    }

    public var isMonthEnd: Bool { day == CivilDate.daysIn(month: month, year: year) }
    public var monthStart: CivilDate { CivilDate(year, month, 1) }
    public var monthEnd: CivilDate { CivilDate(year, month, CivilDate.daysIn(month: month, year: year)) }

    /// The civil date of an instant in a time zone (what "today" means for a company).
    public init(instant: Date, timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        self.init(parts.year!, parts.month!, parts.day!)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try CivilDate.parse(text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
