import Foundation

/// Instants on the wire: RFC 3339 in UTC with milliseconds, "2026-11-22T08:41:05.123Z".
public enum RFC3339 {
    public static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let msPerDay: Int64 = 86_400_000
        let days = millis >= 0 ? millis / msPerDay : (millis - msPerDay + 1) / msPerDay
        let ofDay = millis - days * msPerDay
        let date = CivilDate(daysSinceEpoch: Int(days))
        return String(format: "%@T%02d:%02d:%02d.%03dZ", date.description, Int(ofDay / 3_600_000),
                      Int(ofDay / 60_000 % 60), Int(ofDay / 1000 % 60), Int(ofDay % 1000))
    }
}
