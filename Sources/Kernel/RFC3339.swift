import Foundation

/// Instants on the wire: RFC 3339 in UTC with milliseconds, "2026-11-22T08:41:05.123Z".
public enum RFC3339 {
    public static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let msPerDay: Int64 = 86_400_000
        let days = millis >= 0 ? millis / msPerDay : (millis - msPerDay + 1) / msPerDay
        let ofDay = Int(millis - days * msPerDay)
        // Digits written out rather than through `String(format:)`: every audit row and API response stamps one,
        // and the format string went through Foundation's formatter each time.
        var text = Array(CivilDate(daysSinceEpoch: Int(days)).description.utf8)
        text.reserveCapacity(24)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                text.append(UInt8(48 + value / divisor % 10))
                divisor /= 10
            }
        }
        text.append(84)  // T
        digits(ofDay / 3_600_000, 2)
        text.append(58)  // :
        digits(ofDay / 60_000 % 60, 2)
        text.append(58)
        digits(ofDay / 1000 % 60, 2)
        text.append(46)  // .
        digits(ofDay % 1000, 3)
        text.append(90)  // Z
        return String(decoding: text, as: UTF8.self)
    }
}
