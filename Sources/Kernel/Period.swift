/// A closed range of business dates with a kind: a month, a quarter, a fiscal year, or any span.
public struct Period: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case month, quarter, fiscalYear, custom
    }

    public let kind: Kind
    public let start: CivilDate
    public let end: CivilDate

    public init(kind: Kind = .custom, start: CivilDate, end: CivilDate) throws(DomainError) {
        guard start <= end else {
            throw .invalid("period.inverted", "The period starts (\(start)) after it ends (\(end))", field: "to")
        }
        self.kind = kind
        self.start = start
        self.end = end
    }

    private init(unchecked kind: Kind, _ start: CivilDate, _ end: CivilDate) {
        self.kind = kind
        self.start = start
        self.end = end
    }

    public static func month(containing date: CivilDate) -> Period {
        Period(unchecked: .month, date.monthStart, date.monthEnd)
    }

    /// Calendar quarters: Jan-Mar, Apr-Jun, Jul-Sep, Oct-Dec.
    public static func quarter(containing date: CivilDate) -> Period {
        let firstMonth = (date.month - 1) / 3 * 3 + 1
        let start = CivilDate(date.year, firstMonth, 1)
        return Period(unchecked: .quarter, start, start.addingMonths(2).monthEnd)
    }

    /// The fiscal year containing `date` for a year that starts on the first day of `startMonth` (1...12).
    public static func fiscalYear(containing date: CivilDate, startMonth: Int) -> Period {
        let start = CivilDate(fiscalYearStartYear(containing: date, startMonth: startMonth), startMonth, 1)
        return Period(unchecked: .fiscalYear, start, start.addingMonths(11).monthEnd)
    }

    /// The calendar year in which the fiscal year containing `date` starts (what numbering series are kept by).
    public static func fiscalYearStartYear(containing date: CivilDate, startMonth: Int) -> Int {
        precondition((1...12).contains(startMonth), "a fiscal year starts in month 1...12")
        return date.month >= startMonth ? date.year : date.year - 1
    }

    public func contains(_ date: CivilDate) -> Bool { start <= date && date <= end }

    public var dayCount: Int { start.days(until: end) + 1 }

    /// The months this period covers, each as a month period.
    public var months: [Period] {
        var result: [Period] = []
        var cursor = start.monthStart
        while cursor <= end {
            result.append(.month(containing: cursor))
            cursor = cursor.addingMonths(1)
        }
        return result
    }

    /// "2026-03", "2026-Q1", "FY2026" (calendar) or "FY2026/27" (a year starting in another month).
    public var label: String {
        switch kind {
        case .month: return String(description.prefix(7))
        case .quarter: return "\(start.year)-Q\((start.month - 1) / 3 + 1)"
        case .fiscalYear:
            return start.month == 1 ? "FY\(start.year)" : "FY\(start.year)/\(String(end.year).suffix(2))"
        case .custom: return "\(start)..\(end)"
        }
    }

    public var description: String { "\(start)..\(end)" }
}
