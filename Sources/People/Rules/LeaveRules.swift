import Foundation
import Kernel

/// A kind of leave with its policy: how much a full-time employee gets a year, how it is earned, and what carries
/// over. One policy per type, company-wide; part-timers and joiners get it pro-rated.
public struct LeaveType: Sendable, Codable, Equatable {
    public enum Accrual: String, Sendable, Codable, CaseIterable {
        /// The whole (pro-rated) year's days from January 1 (or the hire date).
        case annual
        /// Earned month by month: each completed month adds its share.
        case monthly
    }

    public let id: String
    public let code: String
    public let name: String
    public let paid: Bool
    /// Whether requests draw on an entitlement (vacation) or not (sick, unpaid, parental are recorded, not limited).
    public let limited: Bool
    /// Days a year at FTE 1.
    public let annualDays: Decimal
    public let accrual: Accrual
    /// Unused days that carry into the next year, at most.
    public let carryOverMax: Decimal
    /// The day (month, day) of the next year after which carried-over days lapse.
    public let carryOverExpiryMonth: Int
    public let carryOverExpiryDay: Int
    public let archived: Bool

    public init(id: String, code: String, name: String, paid: Bool, limited: Bool, annualDays: Decimal, accrual: Accrual,
                carryOverMax: Decimal, carryOverExpiryMonth: Int = 3, carryOverExpiryDay: Int = 31, archived: Bool = false) {
        self.id = id
        self.code = code
        self.name = name
        self.paid = paid
        self.limited = limited
        self.annualDays = annualDays
        self.accrual = accrual
        self.carryOverMax = carryOverMax
        self.carryOverExpiryMonth = carryOverExpiryMonth
        self.carryOverExpiryDay = carryOverExpiryDay
        self.archived = archived
    }

    public func carryOverExpiry(in year: Int) -> CivilDate { CivilDate(year, carryOverExpiryMonth, carryOverExpiryDay) }
}

/// Leave taken, as the balance needs it: when it starts and how many working days it takes.
public struct TakenLeave: Sendable, Equatable {
    public let start: CivilDate
    public let days: Decimal

    public init(start: CivilDate, days: Decimal) {
        self.start = start
        self.days = days
    }
}

/// A limited leave type's standing in one year on one day.
public struct LeaveBalance: Sendable, Codable, Equatable {
    public let year: Int
    /// The year's entitlement earned by the day (all of it for annual accrual), pro-rated by employment and FTE.
    public let entitled: Decimal
    /// Days brought from last year (at most the cap), and how many of them lapsed unused by the day.
    public let carriedOver: Decimal
    public let lapsed: Decimal
    /// Approved days in the year.
    public let taken: Decimal
    /// Days asked for and not yet decided.
    public let pending: Decimal

    /// What can still be asked for.
    public var available: Decimal { entitled + carriedOver - lapsed - taken - pending }
}

/// Leave arithmetic: working days, pro-rating, accrual and carry-over. Pure, with test vectors.
public enum LeaveRules {
    /// Days are counted in halves: a half day is the smallest unit of leave.
    public static func roundToHalf(_ value: Decimal) -> Decimal {
        var doubled = value * 2
        var rounded = Decimal()
        NSDecimalRound(&rounded, &doubled, 0, .plain)
        return rounded / 2
    }

    /// Working days from `start` to `end` (both included): weekdays not in `weekend` and not holidays; a half day at
    /// the start or end takes half of that day if it is a working day. A one-day request with both halves is one day.
    public static func workingDays(from start: CivilDate, to end: CivilDate, holidays: Set<CivilDate>,
                                   weekend: Set<Int> = [6, 7], halfStart: Bool = false, halfEnd: Bool = false) -> Decimal {
        guard start <= end else { return 0 }
        func works(_ day: CivilDate) -> Bool { !weekend.contains(day.weekday.rawValue) && !holidays.contains(day) }
        var total: Decimal = 0
        var day = start
        while day <= end {
            if works(day) { total += 1 }
            day = day.addingDays(1)
        }
        if start == end {
            return works(start) && (halfStart != halfEnd) ? total - Decimal(string: "0.5")! : total
        }
        if halfStart, works(start) { total -= Decimal(string: "0.5")! }
        if halfEnd, works(end) { total -= Decimal(string: "0.5")! }
        return total
    }

    /// Days employed in `year` up to and including `through` (default the year's end).
    static func employedDays(year: Int, hire: CivilDate, leaving: CivilDate?, through: CivilDate? = nil) -> Int {
        let first = max(CivilDate(year, 1, 1), hire)
        var last = min(CivilDate(year, 12, 31), leaving ?? CivilDate(year, 12, 31))
        if let through { last = min(last, through) }
        guard first <= last else { return 0 }
        return first.days(until: last) + 1
    }

    static func daysIn(_ year: Int) -> Int { CivilDate.isLeap(year) ? 366 : 365 }

    /// The year's entitlement earned by `asOf`: annual days x FTE x the share of the year employed, or, with monthly
    /// accrual, the share employed up to the end of the last completed month. Rounded to the nearest half day.
    public static func entitlement(_ type: LeaveType, year: Int, hire: CivilDate, leaving: CivilDate?, fte: Decimal,
                                   asOf: CivilDate) -> Decimal {
        let through: CivilDate
        switch type.accrual {
        case .annual: through = CivilDate(year, 12, 31)
        case .monthly:
            // The last completed month's end on or before asOf.
            guard asOf.year >= year else { return 0 }
            if asOf.year > year { through = CivilDate(year, 12, 31) } else {
                let monthEnd = asOf.monthEnd
                through = asOf == monthEnd ? asOf : asOf.monthStart.addingDays(-1)
            }
        }
        let days = employedDays(year: year, hire: hire, leaving: leaving, through: through)
        guard days > 0 else { return 0 }
        return roundToHalf(type.annualDays * fte * Decimal(days) / Decimal(daysIn(year)))
    }

    /// The balance of a limited type in `year` as of `asOf`, from the employment and every approved leave since the
    /// hire (carry-over is computed year by year). Days taken up to a year's carry-over expiry use carried-over days
    /// first; what is left of them lapses after the expiry.
    public static func balance(_ type: LeaveType, year: Int, asOf: CivilDate, hire: CivilDate, leaving: CivilDate?,
                               fte: Decimal, taken: [TakenLeave], pending: Decimal) -> LeaveBalance {
        var carried: Decimal = 0
        var result = LeaveBalance(year: year, entitled: 0, carriedOver: 0, lapsed: 0, taken: 0, pending: pending)
        for current in min(hire.year, year)...year {
            let inYear = taken.filter { $0.start.year == current }
            let takenDays = inYear.reduce(Decimal(0)) { $0 + $1.days }
            let expiry = type.carryOverExpiry(in: current)
            let beforeExpiry = inYear.filter { $0.start <= expiry }.reduce(Decimal(0)) { $0 + $1.days }
            let usedCarry = min(carried, beforeExpiry)
            // Carried-over days lapse once the expiry has passed (as of the day asked about).
            let day = current == year ? asOf : CivilDate(current, 12, 31)
            let lapsed = day > expiry ? carried - usedCarry : 0
            let entitled = entitlement(type, year: current, hire: hire, leaving: leaving, fte: fte,
                                       asOf: current == year ? asOf : CivilDate(current, 12, 31))
            if current == year {
                result = LeaveBalance(year: year, entitled: entitled, carriedOver: carried, lapsed: lapsed, taken: takenDays,
                                      pending: pending)
            } else {
                // What the year leaves unused goes forward, up to the cap.
                let fullYear = entitlement(type, year: current, hire: hire, leaving: leaving, fte: fte,
                                           asOf: CivilDate(current, 12, 31))
                let unused = max(fullYear + carried - lapsed - takenDays, 0)
                carried = min(unused, type.carryOverMax)
            }
        }
        return result
    }
}
