import Foundation
import Kernel

/// The one company a Keel database keeps books for.
public struct Company: Sendable, Codable, Equatable {
    public let name: String
    public let currency: Currency
    public let timeZone: String
    public let fiscalYearStartMonth: Int

    /// The fiscal year containing a date.
    public func fiscalYear(containing date: CivilDate) -> Period {
        Period.fiscalYear(containing: date, startMonth: fiscalYearStartMonth)
    }

    /// "Today" in the company's time zone.
    public func today(_ clock: any Clock) -> CivilDate {
        clock.today(in: TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!)
    }
}

/// One row of a trial balance: an account's balance in one currency, debit positive.
public struct TrialBalanceRow: Sendable, Codable, Equatable {
    public let account: Account
    public let currency: Currency
    /// Debit minus credit, in `currency` minor units.
    public let balance: Int64
    /// The same in functional currency.
    public let functionalBalance: Int64
}
