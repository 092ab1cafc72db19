import Foundation

/// A typed identifier: `ID<Invoice>` cannot be passed where `ID<Customer>` is expected.
/// Values are UUID version 7, so they sort by creation time and inserts stay ordered in indexes.
public struct ID<Entity>: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    public let uuid: UUID

    public init(_ uuid: UUID) { self.uuid = uuid }

    /// A new time-ordered identifier.
    public init() { self.uuid = UUID.v7() }

    public init?(_ text: String) {
        guard let uuid = UUID(uuidString: text) else { return nil }
        self.uuid = uuid
    }

    public var description: String { uuid.lowercaseText }

    /// By the UUID's bytes, which is the order of its text (and, for version 7, of creation).
    public static func < (lhs: ID, rhs: ID) -> Bool { lhs.uuid.isBefore(rhs.uuid) }

    public init(from decoder: any Decoder) throws {
        uuid = try decoder.singleValueContainer().decode(UUID.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(uuid)
    }
}

extension UUID {
    /// A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, 12 bits of the millisecond's fraction
    /// (RFC 9562 method 3, so ids made within one millisecond still sort by time), then 62 random bits.
    /// One 64-bit draw, so one system call per id.
    public static func v7(now: Date = Date()) -> UUID {
        let time = max(0, now.timeIntervalSince1970 * 1000)
        let millis = UInt64(time)
        let fraction = UInt64(min(4095, (time - Double(millis)) * 4096))
        var generator = SystemRandomNumberGenerator()
        let random = generator.next() as UInt64
        func byte(_ word: UInt64, _ index: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: word >> (56 - 8 * index)) }
        return UUID(uuid: (byte(millis, 2), byte(millis, 3), byte(millis, 4), byte(millis, 5), byte(millis, 6),
                           byte(millis, 7), 0x70 | UInt8(fraction >> 8), UInt8(truncatingIfNeeded: fraction),
                           (byte(random, 0) & 0x3F) | 0x80, byte(random, 1), byte(random, 2), byte(random, 3),
                           byte(random, 4), byte(random, 5), byte(random, 6), byte(random, 7)))
    }
}

extension UUID {
    /// Keel's text for an id, as the API and the pages show it: lower case, hyphenated. The same as
    /// `uuidString.lowercased()`, without Foundation's `sprintf` and the second string.
    public var lowercaseText: String {
        String(unsafeUninitializedCapacity: 36) { out in writeText(into: out, letters: 87) }
    }

    /// The UUID as Foundation's `uuidString` writes it (upper case, hyphenated), which is how Fluent stores a UUID
    /// in SQLite, without its `sprintf`.
    public var canonicalText: String {
        String(unsafeUninitializedCapacity: 36) { out in writeText(into: out, letters: 55) }
    }

    /// The canonical (upper-case) text in a buffer on the stack, for binding without making a string.
    public func withCanonicalText<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { out in
            _ = writeText(into: out, letters: 55)
            return try body(UnsafeBufferPointer(out))
        }
    }

    /// Whether this UUID's bytes sort before `other`'s.
    public func isBefore(_ other: UUID) -> Bool {
        withUnsafeBytes(of: uuid) { left in
            withUnsafeBytes(of: other.uuid) { right in left.lexicographicallyPrecedes(right) }
        }
    }

    /// Writes the 36 characters of the hyphenated text; `letters` is what a digit from 10 adds to (55 for upper
    /// case, 87 for lower case).
    private func writeText(into out: UnsafeMutableBufferPointer<UInt8>, letters: UInt8) -> Int {
        var at = 0
        withUnsafeBytes(of: uuid) { bytes in
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[at] = 45
                    at += 1
                }
                let high = byte >> 4, low = byte & 0x0F
                out[at] = high < 10 ? 48 + high : letters + high
                out[at + 1] = low < 10 ? 48 + low : letters + low
                at += 2
            }
        }
        return at
    }
}
