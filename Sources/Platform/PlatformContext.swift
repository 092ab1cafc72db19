import Crypto
import Fluent
import Foundation
import Kernel
import NIOConcurrencyHelpers
import NIOPosix
import Vapor

/// What every use case needs besides the database: configuration, the clock, and the event handlers.
public struct PlatformContext: Sendable {
    public let config: KeelConfig
    public let clock: any Clock
    public let events: EventHandlers
    /// Shares one durable commit among small writes that arrive together (single postings over HTTP).
    public let groupCommit = GroupCommit()
    /// Facts that never change once the database has them (the company once set up), so hot paths read them
    /// from the database once per process.
    public let settled = SettledFacts()
    /// API tokens' principals, kept for a moment after they were read.
    public let bearers: BearerCache

    public init(config: KeelConfig, clock: any Clock = SystemClock(), events: EventHandlers = EventHandlers()) {
        self.config = config
        self.clock = clock
        self.events = events
        bearers = BearerCache(lifetime: .milliseconds(Int64(config.tokenCacheMilliseconds)))
    }

    /// Appends an audit record inside the current write transaction.
    public func audit<Before: Encodable & Sendable, After: Encodable & Sendable>(
        _ db: any Database, _ actor: Principal, _ action: String, entity: String, id: String,
        before: Before?, after: After?
    ) async throws {
        try await AuditChain.record(on: db, headPath: config.auditHeadPath, clock: clock, actor: actor,
                                    action: action, entity: entity, entityID: id, before: before, after: after)
    }

    /// Appends several audit records, in order, inside the current write transaction (three statements for all).
    public func audit(_ db: any Database, _ actor: Principal, _ entries: [AuditChain.Entry]) async throws {
        try await AuditChain.record(on: db, headPath: config.auditHeadPath, clock: clock, actor: actor, entries)
    }

    /// Carries out an all-or-nothing import inside its write transaction: each planned row updates its existing
    /// record or creates one (each with its own audit record, by `update` and `create`), and the import is recorded
    /// once more with its counts.
    public func applyImport<Existing: Sendable, Input: Sendable>(
        _ plan: [(existing: Existing?, input: Input)], on db: any Database, by actor: Principal, action: String,
        entity: String, update: (Existing, Input) async throws -> Void, create: (Input) async throws -> Void
    ) async throws -> (created: Int, updated: Int) {
        var counts = ImportCounts(created: 0, updated: 0)
        for (existing, input) in plan {
            if let existing {
                try await update(existing, input)
                counts.updated += 1
            } else {
                try await create(input)
                counts.created += 1
            }
        }
        try await audit(db, actor, action, entity: entity, id: "csv", before: nil as ImportCounts?, after: counts)
        return (counts.created, counts.updated)
    }

    public func publish<Payload: Encodable & Sendable>(_ type: String, _ payload: Payload,
                                                       on db: any Database) async throws {
        try await Outbox.publish(type, payload, on: db, clock: clock)
    }
}

/// Values read from the database that, once there, are never updated or deleted: kept after the first read so that
/// every request need not read them again. An absent value is never kept (another process may set it up), nor is
/// one read inside a transaction (it may yet roll back).
public final class SettledFacts: Sendable {
    private let values = NIOLockedValueBox<[String: any Sendable]>([:])

    public init() {}

    /// The value kept under `key`, or the one `read` finds, kept if it is not `nil` and `keep` is true (pass
    /// `!db.inTransaction`).
    public func value<T: Sendable>(_ key: String, keep: Bool, read: () async throws -> T?) async rethrows -> T? {
        if let known = values.withLockedValue({ $0[key] }) as? T { return known }
        guard let found = try await read() else { return nil }
        if keep { values.withLockedValue { $0[key] = found } }
        return found
    }
}

/// bcrypt off the event loops, with the configured cost.
public enum Passwords {
    public static let lengthMin = 10
    public static let lengthMax = 200

    public static func hash(_ password: String, cost: Int) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { try Bcrypt.hash(password, cost: cost) }
    }

    public static func verify(_ password: String, hash: String) async -> Bool {
        (try? await NIOThreadPool.singleton.runIfActive { try Bcrypt.verify(password, created: hash) }) ?? false
    }

    public static func validate(_ password: String, field: String = "password") throws(DomainError) {
        guard password.count >= lengthMin else {
            throw .invalid("user.password.too_short", "A password needs at least \(lengthMin) characters", field: field)
        }
        guard password.count <= lengthMax else {
            throw .invalid("user.password.too_long", "A password may have at most \(lengthMax) characters", field: field)
        }
    }

    /// A random password of 20 characters from an alphabet without look-alikes.
    public static func generate() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet.randomElement(using: &generator)! })
    }
}

/// Random secrets and their stored digests (sessions, API tokens, CSRF tokens).
public enum Secrets {
    /// 32 random bytes, base64url without padding.
    public static func random(bytes count: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    public static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).lowercaseHex
    }

    /// Compares without leaking where two strings first differ.
    public static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8), b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// What an import's own audit record says: how many records it created and how many it changed.
struct ImportCounts: Codable, Sendable {
    var created: Int
    var updated: Int
}
