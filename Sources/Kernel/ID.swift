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

    public var description: String { uuid.uuidString.lowercased() }

    public static func < (lhs: ID, rhs: ID) -> Bool { lhs.description < rhs.description }

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
