import Foundation
import Kernel

/// Billing periods of a plan, and which of them are due on a day. Pure.
///
/// Period n (1-based) of a recurring plan starts n-1 intervals after the plan's start, counted from the start each
/// time (so a plan starting on 31 January runs 31 Jan, 28/29 Feb, 31 Mar, ...), and ends the day before the next
/// one starts. In advance, its invoice is issued on its first day; in arrears, on the day after it ends. A plan
/// billed once has one period, the start day, issued that day.
public enum BillingRules {
    public static let periodsMax = 1_200

    public static func period(_ number: Int, of plan: BillingPlan) -> BillingPeriod {
        precondition(number >= 1, "periods count from 1")
        if plan.kind == .once {
            return BillingPeriod(number: 1, start: plan.start, end: plan.start, issueDate: plan.start)
        }
        let months = plan.interval.months
        let start = plan.start.addingMonths((number - 1) * months)
        let end = plan.start.addingMonths(number * months).addingDays(-1)
        return BillingPeriod(number: number, start: start, end: end,
                             issueDate: plan.timing == .advance ? start : end.addingDays(1))
    }

    /// The periods after the first `billed` whose invoice is due on or before `asOf`, oldest first, stopping at the
    /// plan's last period and, for a cancelled order, at the first period that starts on or after `endsOn`.
    public static func due(_ plan: BillingPlan, billed: Int, asOf: CivilDate, endsOn: CivilDate? = nil,
                           limit: Int = periodsMax) -> [BillingPeriod] {
        var result: [BillingPeriod] = []
        var number = billed + 1
        while result.count < limit {
            if let periods = plan.periods, number > periods { break }
            let period = period(number, of: plan)
            if let endsOn, period.start >= endsOn { break }
            guard period.issueDate <= asOf else { break }
            result.append(period)
            number += 1
        }
        return result
    }

    /// Whether no period is left to bill after the first `billed`.
    public static func isComplete(_ plan: BillingPlan, billed: Int, endsOn: CivilDate?) -> Bool {
        if let periods = plan.periods, billed >= periods { return true }
        if let endsOn { return period(billed + 1, of: plan).start >= endsOn }
        return false
    }

    /// Reads a plan given as text; `orderDate` is the start when none is given. Every problem names its field.
    public static func parse(_ input: BillingPlanInput?, orderDate: CivilDate) throws(DomainError) -> BillingPlan {
        guard let input else { return .once(on: orderDate) }
        func value<T: RawRepresentable & CaseIterable>(_ text: String?, _ field: String, default fallback: T) throws(DomainError) -> T
        where T.RawValue == String {
            guard let text = text.map({ String($0.trimmed) }), !text.isEmpty else { return fallback }
            guard let parsed = T(rawValue: text) else {
                throw .invalid("sales.billing.\(field)_invalid", "'\(text)' is not a billing \(field); use "
                               + T.allCases.map(\.rawValue).joined(separator: ", "), field: "billing.\(field)")
            }
            return parsed
        }
        let kind: BillingPlan.Kind = try value(input.kind, "kind", default: .once)
        let interval: BillingPlan.Interval = try value(input.interval, "interval", default: .month)
        let timing: BillingPlan.Timing = try value(input.timing, "timing", default: .advance)
        let start = try input.start.map { text throws(DomainError) in try CivilDate.parse(text, field: "billing.start") }
            ?? orderDate
        if kind == .recurring, let periods = input.periods, !(1...periodsMax).contains(periods) {
            throw .invalid("sales.billing.periods_invalid", "A plan bills 1 to \(periodsMax) periods; leave periods out to "
                           + "bill until the order is cancelled", field: "billing.periods")
        }
        if kind == .once, let periods = input.periods, periods != 1 {
            throw .invalid("sales.billing.periods_invalid", "A plan billed once has one period", field: "billing.periods")
        }
        return BillingPlan(kind: kind, interval: interval, start: start, periods: input.periods, timing: timing)
    }
}
