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

    /// Delivers the due events, up to `batchMax`, in one write transaction, each in a savepoint of its own with its
    /// handlers' writes, so a handler's work and the "delivered" mark commit together and a steady flow of events
    /// costs one commit per batch rather than one per event. A failure rolls that event's handlers back to its
    /// savepoint and schedules a retry (2^attempts seconds, capped at an hour); after `attemptsMax` tries the event
    /// is marked failed. Returns how many events were delivered.
    @discardableResult
    public static func dispatch(on db: any Database, handlers: EventHandlers, clock: any Clock,
                                logger: Logger, batchMax: Int = 100) async throws -> Int {
        let due = try await OutboxModel.query(on: db).filter(\.$deliveredAt == nil).filter(\.$failedAt == nil)
            .filter(\.$nextAttemptAt <= clock.now()).sort(\.$id).limit(batchMax).all().map(\.event)
        guard !due.isEmpty else { return 0 }
        let outcome = try await writeTransaction(db) { tx -> (delivered: Int, failed: [(UUID, Int, String)]) in
            func savepoint(_ verb: String) async throws {
                try await tx.sql.raw(SQLQueryString("\(unsafeRaw: verb) keel_outbox_event")).run()
            }
            var delivered = 0
            var failed: [(UUID, Int, String)] = []
            for event in due {
                // Each event's after-commit work is kept apart, and joins the transaction's only if it succeeded.
                let hooks = CommitHooks()
                try await savepoint("SAVEPOINT")
                do {
                    // Re-check inside the transaction (and lock the row on PostgreSQL): another node may have won.
                    guard try await lockPending(event.id, on: tx, clock: clock) else {
                        try await savepoint("RELEASE SAVEPOINT")
                        continue
                    }
                    try await CommitHooks.$current.withValue(hooks) {
                        for handler in handlers.handlers(for: event.type) { try await handler(event, tx) }
                    }
                    try await tx.sql.update("outbox_events").set("delivered_at", to: clock.now())
                        .set("attempts", to: event.attempts + 1).where("id", .equal, event.id).run()
                    try await savepoint("RELEASE SAVEPOINT")
                    CommitHooks.afterCommit(adopting: hooks)
                    delivered += 1
                } catch {
                    try await savepoint("ROLLBACK TO SAVEPOINT")
                    try await savepoint("RELEASE SAVEPOINT")
                    let attempts = event.attempts + 1
                    try await recordFailure(id: event.id, attempts: attempts, error: String(describing: error),
                                            on: tx, clock: clock)
                    failed.append((event.id, attempts, String(describing: error)))
                }
            }
            return (delivered, failed)
        }
        for (id, attempts, error) in outcome.failed { logger.warning("event \(id) failed (attempt \(attempts)): \(error)") }
        return outcome.delivered
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
