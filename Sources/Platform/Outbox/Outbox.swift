import Fluent
import Foundation
import Kernel
import Logging
import NIOConcurrencyHelpers
import SQLKit

/// A domain event as stored in the outbox and handed to handlers.
public struct OutboxEvent: Sendable, Equatable {
    public let id: UUID
    public let type: String
    /// The event's JSON payload.
    public let payload: String
    public let occurredAt: Date
    public let attempts: Int
}

/// An event that has been delivered, is waiting for a retry, or has failed for good.
public struct OutboxEntry: Sendable {
    public let event: OutboxEvent
    public let deliveredAt: Date?
    public let failedAt: Date?
    public let nextAttemptAt: Date
    public let lastError: String?
}

/// In-process reactions to events, registered once in `configure`.
public final class EventHandlers: Sendable {
    public typealias Handler = @Sendable (OutboxEvent, any Database) async throws -> Void
    private let handlers = NIOLockedValueBox<[String: [Handler]]>([:])

    public init() {}

    public func on(_ type: String, _ handler: @escaping Handler) {
        handlers.withLockedValue { $0[type, default: []].append(handler) }
    }

    func handlers(for type: String) -> [Handler] { handlers.withLockedValue { $0[type] ?? [] } }
}

/// The transactional outbox: events are written in the same transaction as the change that caused them,
/// and delivered afterwards, at least once, with retries.
public enum Outbox {
    public static let attemptsMax = 10

    /// Writes an event inside the caller's write transaction.
    public static func publish<Payload: Encodable & Sendable>(_ type: String, _ payload: Payload,
                                                              on db: any Database, clock: any Clock) async throws {
        precondition(db.inTransaction, "events are written in the same transaction as the change")
        let row = OutboxModel()
        row.id = UUID.v7()
        row.eventType = type
        row.payload = try AuditChain.canonicalJSON(payload) ?? "{}"
        row.occurredAt = clock.now()
        row.attempts = 0
        row.nextAttemptAt = clock.now()
        try await row.create(on: db)
    }

    /// Delivers due events one by one, each in its own transaction with its handlers' writes, so a handler's
    /// work and the "delivered" mark commit together. A failure rolls the handler back and schedules a retry
    /// (2^attempts seconds, capped at an hour); after `attemptsMax` tries the event is marked failed.
    /// Returns how many events were delivered.
    @discardableResult
    public static func dispatch(on db: any Database, handlers: EventHandlers, clock: any Clock,
                                logger: Logger, batchMax: Int = 100) async throws -> Int {
        var delivered = 0
        for _ in 0..<batchMax {
            let outcome = try await deliverOne(on: db, handlers: handlers, clock: clock)
            switch outcome {
            case .none: return delivered
            case .delivered: delivered += 1
            case .failed(let id, let attempts, let error):
                logger.warning("event \(id) failed (attempt \(attempts)): \(error)")
                try await recordFailure(id: id, attempts: attempts, error: error, on: db, clock: clock)
            }
        }
        return delivered
    }

    enum Outcome: Sendable { case none, delivered, failed(UUID, Int, String) }

    static func deliverOne(on db: any Database, handlers: EventHandlers, clock: any Clock) async throws -> Outcome {
        let claimed: OutboxEvent? = try await claimNext(on: db, clock: clock)
        guard let claimed else { return .none }
        do {
            try await writeTransaction(db) { tx in
                // Re-check inside the transaction (and lock the row on PostgreSQL): another node may have won.
                guard try await lockPending(claimed.id, on: tx, clock: clock) else { return }
                for handler in handlers.handlers(for: claimed.type) { try await handler(claimed, tx) }
                try await tx.sql.update("outbox_events").set("delivered_at", to: clock.now())
                    .set("attempts", to: claimed.attempts + 1).where("id", .equal, claimed.id).run()
            }
            return .delivered
        } catch {
            return .failed(claimed.id, claimed.attempts + 1, String(describing: error))
        }
    }

    static func claimNext(on db: any Database, clock: any Clock) async throws -> OutboxEvent? {
        try await OutboxModel.query(on: db).filter(\.$deliveredAt == nil).filter(\.$failedAt == nil)
            .filter(\.$nextAttemptAt <= clock.now()).sort(\.$id).first()?.event
    }

    static func lockPending(_ id: UUID, on tx: any Database, clock: any Clock) async throws -> Bool {
        let lock = tx.isPostgres ? " FOR UPDATE SKIP LOCKED" : ""
        let row = try await tx.sql.raw("""
            SELECT id FROM outbox_events WHERE id = \(bind: id) AND delivered_at IS NULL AND failed_at IS NULL\(unsafeRaw: lock)
            """).first()
        return row != nil
    }

    static func recordFailure(id: UUID, attempts: Int, error: String, on db: any Database,
                              clock: any Clock) async throws {
        let delay = min(3600.0, pow(2.0, Double(attempts)))
        try await writeTransaction(db) { tx in
            var update = tx.sql.update("outbox_events").set("attempts", to: attempts)
                .set("last_error", to: String(error.prefix(2000)))
                .set("next_attempt_at", to: clock.now().addingTimeInterval(delay))
            if attempts >= attemptsMax { update = update.set("failed_at", to: clock.now()) }
            try await update.where("id", .equal, id).run()
        }
    }

    /// The newest events first, for the admin page and tests.
    public static func recent(on db: any Database, type: String? = nil, limit: Int = 100) async throws -> [OutboxEntry] {
        var query = OutboxModel.query(on: db).sort(\.$id, .descending).limit(min(limit, 500))
        if let type { query = query.filter(\.$eventType == type) }
        return try await query.all().map {
            OutboxEntry(event: $0.event, deliveredAt: $0.deliveredAt, failedAt: $0.failedAt,
                        nextAttemptAt: $0.nextAttemptAt, lastError: $0.lastError)
        }
    }
}

extension OutboxModel {
    var event: OutboxEvent {
        OutboxEvent(id: id!, type: eventType, payload: payload, occurredAt: occurredAt, attempts: attempts)
    }
}
