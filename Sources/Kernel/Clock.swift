import Foundation

/// Where "now" comes from. Production uses the system clock; tests and demos use a fixed one,
/// so that nothing in the rules reads the wall clock behind the caller's back.
public protocol Clock: Sendable {
    func now() -> Date
}

extension Clock {
    /// The business date of "now" in a time zone (the company's).
    public func today(in timeZone: TimeZone) -> CivilDate { CivilDate(instant: now(), timeZone: timeZone) }
}

public struct SystemClock: Clock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that always answers the same instant.
public struct FixedClock: Clock {
    public let instant: Date
    public init(_ instant: Date) { self.instant = instant }
    public func now() -> Date { instant }
}
