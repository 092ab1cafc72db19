import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
        var generator = SystemRandomNumberGenerator()
        return v7(V7Time(now), random: generator.next())
    }

    /// A version 7 moment: Unix milliseconds and the millisecond's 12-bit fraction.
    private struct V7Time {
        let millis: UInt64
        let fraction: UInt64

        init(_ now: Date) {
            let time = max(0, now.timeIntervalSince1970 * 1000)
            millis = UInt64(time)
            fraction = UInt64(min(4095, (time - Double(millis)) * 4096))
        }
    }

    /// The UUID for `time` whose last 64 bits are the variant (binary 10) and the low 62 bits of `random`.
    private static func v7(_ time: V7Time, random: UInt64) -> UUID {
        let tail = (0b10 << 62) | (random & ((1 << 62) - 1))
        func byte(_ word: UInt64, _ index: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: word >> (56 - 8 * index)) }
        return UUID(uuid: (byte(time.millis, 2), byte(time.millis, 3), byte(time.millis, 4), byte(time.millis, 5),
                           byte(time.millis, 6), byte(time.millis, 7), 0x70 | UInt8(time.fraction >> 8),
                           UInt8(truncatingIfNeeded: time.fraction), byte(tail, 0), byte(tail, 1), byte(tail, 2),
                           byte(tail, 3), byte(tail, 4), byte(tail, 5), byte(tail, 6), byte(tail, 7)))
    }
}

extension UUID {
    /// `count` version 7 UUIDs made at one moment, in ascending order, for the rows of one batch: the millisecond
    /// and its 12-bit fraction as in `v7(now:)`, then a 16-bit counter at the top of the random bits, then 46
    /// random bits, drawn 32 ids to a system call (where `v7()` makes one per id). Above 65,536 ids each is made
    /// on its own.
    public static func v7(count: Int, now: Date = Date()) -> [UUID] {
        guard count <= 65_536 else { return (0..<count).map { _ in v7(now: now) } }
        guard count > 0 else { return [] }
        let time = V7Time(now)
        var random = [UInt64](repeating: 0, count: count)
        fillRandom(&random)
        // The counter (16 bits) above 46 random bits, under the variant.
        return (0..<count).map { index in v7(time, random: (UInt64(index) << 46) | (random[index] & ((1 << 46) - 1))) }
    }

    /// Fills `words` from the system's random source, 256 bytes (32 words) a call where the platform allows
    /// (`getentropy`; `SystemRandomNumberGenerator` makes a call per word).
    private static func fillRandom(_ words: inout [UInt64]) {
        #if canImport(Glibc)
        let filled = words.withUnsafeMutableBytes { bytes -> Bool in
            var done = 0
            while done < bytes.count {
                let size = min(256, bytes.count - done)
                guard getentropy(bytes.baseAddress! + done, size) == 0 else { return false }
                done += size
            }
            return true
        }
        if filled { return }
        #endif
        var generator = SystemRandomNumberGenerator()
        for index in words.indices { words[index] = generator.next() }
    }

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

    /// The canonical (upper-case) text in a buffer on the stack, for binding without making a string. Inlinable, so
    /// that a caller in another module gets it specialised: unspecialised, each call looked up the generic metadata
    /// of the temporary allocation's result type (a seventh of a bulk insert's binding on the writer).
    @inlinable
    public func withCanonicalText<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { out in
            writeCanonicalText(into: UnsafeMutableRawPointer(out.baseAddress!))
            return try body(UnsafeBufferPointer(out))
        }
    }

    /// Writes the 36 bytes of the canonical (upper-case) text at `out`.
    public func writeCanonicalText(into out: UnsafeMutableRawPointer) {
        _ = writeText(into: UnsafeMutableBufferPointer(start: out.assumingMemoryBound(to: UInt8.self), count: 36),
                      letters: 55)
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
