import Kernel

/// A reminder level: from how many days past due it applies, and what the letter is called.
public struct DunningLevel: Sendable, Codable, Equatable {
    public let level: Int
    public let daysOverdue: Int
    public let title: String

    public init(level: Int, daysOverdue: Int, title: String) {
        self.level = level
        self.daysOverdue = daysOverdue
        self.title = title
    }
}

/// Which reminder an overdue invoice is due for. Pure.
public enum DunningRules {
    public static let standardLevels = [
        DunningLevel(level: 1, daysOverdue: 7, title: "Payment reminder"),
        DunningLevel(level: 2, daysOverdue: 21, title: "Second reminder"),
        DunningLevel(level: 3, daysOverdue: 45, title: "Final notice"),
    ]

    /// The highest level whose days an invoice `daysOverdue` late has reached, if it is above `sent` (the level last
    /// recorded for it); nil when nothing new is due. Levels are not skipped silently: an invoice 50 days late that
    /// had no reminder gets the level its lateness reaches (3), as every dunning run would show it.
    public static func due(daysOverdue: Int, sent: Int, levels: [DunningLevel] = standardLevels) -> DunningLevel? {
        guard let reached = levels.filter({ daysOverdue >= $0.daysOverdue }).max(by: { $0.level < $1.level }),
              reached.level > sent else { return nil }
        return reached
    }
}
