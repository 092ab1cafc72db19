import Crypto
import Fluent
import Foundation
import Kernel
import SQLKit

/// A receiver of events: a URL, the events it wants, and the secret its deliveries are signed with.
public struct WebhookSubscription: Sendable, Codable, Equatable {
    public let id: String
    public let url: String
    public let events: [String]
    public let active: Bool
    public let createdBy: String
    public let createdAt: String
}

/// One event sent (or to be sent) to one subscription, with how it went.
public struct WebhookDelivery: Sendable, Codable, Equatable {
    public let id: String
    public let subscriptionID: String
    public let url: String
    public let eventID: String
    public let eventType: String
    public let payload: String
    public let attempts: Int
    public let nextAttemptAt: String
    public let deliveredAt: String?
    public let failedAt: String?
    public let lastStatus: Int?
    public let lastError: String?
    public let createdAt: String

    public var state: String { deliveredAt != nil ? "delivered" : failedAt != nil ? "failed" : attempts > 0 ? "retrying" : "pending" }
}

/// Outbound webhooks (ARCHITECTURE: integration). Events reach the outbox in the transaction of the change that
/// caused them; the outbox hands each to `enqueue`, which writes one delivery per matching subscription; `deliverDue`
/// then POSTs them, outside any transaction, with `Keel-Event`, `Keel-Delivery` and
/// `Keel-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, and retries failures with exponential
/// backoff (2^attempts seconds, capped at an hour) until `attemptsMax`.
public enum Webhooks {
    public static let events = ["order.confirmed", "invoice.issued", "invoice.paid", "payment.received", "credit_note.issued"]
    public static let attemptsMax = 10
    /// How long a claimed delivery is left to its sender before another run may try it.
    static let lease: TimeInterval = 300

    /// Sends a body to a URL with headers and answers the HTTP status (the web layer supplies a real client).
    public typealias Sender = @Sendable (_ url: String, _ headers: [(String, String)], _ body: String) async throws -> Int

    public static func signature(secret: String, timestamp: Int, body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=" + mac.lowercaseHex
    }

    // MARK: Subscriptions

    /// Adds a subscription; without a secret one is generated. The secret is answered once, here.
    public static func subscribe(url: String, events: [String], secret: String?, on db: any Database,
                                 by actor: Principal, context: PlatformContext) async throws -> (WebhookSubscription, String) {
        try require(actor, Permission("settings", .admin))
        let url = String(url.trimmed)
        guard url.count <= 2000, let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else {
            throw DomainError.invalid("webhook.url.invalid", "A webhook URL is an http:// or https:// address", field: "url")
        }
        let chosen = Array(Set(events.map { String($0.trimmed) }.filter { !$0.isEmpty })).sorted()
        guard !chosen.isEmpty else {
            throw DomainError.invalid("webhook.events.missing", "Choose at least one event: "
                                      + Self.events.joined(separator: ", "), field: "events")
        }
        if let unknown = chosen.first(where: { !Self.events.contains($0) }) {
            throw DomainError.invalid("webhook.events.unknown", "'\(unknown)' is not an event; use "
                                      + Self.events.joined(separator: ", "), field: "events")
        }
        let secret = secret.nonBlank ?? Secrets.random(bytes: 24)
        guard (16...200).contains(secret.count) else {
            throw DomainError.invalid("webhook.secret.invalid", "A signing secret has 16 to 200 characters", field: "secret")
        }
        let id = UUID.v7()
        return try await writeTransaction(db) { tx in
            try await tx.sql.insert(into: "webhook_subscriptions")
                .columns("id", "url", "events", "secret", "active", "created_by", "created_at")
                .values(SQLBind(id), SQLBind(url), SQLBind(chosen.joined(separator: ",")), SQLBind(secret), SQLBind(true),
                        SQLBind(actor.username), SQLBind(RFC3339.format(context.clock.now())))
                .run()
            let subscription = try await find(id.uuidString, on: tx)
            try await context.audit(tx, actor, "webhook.subscribe", entity: "webhook", id: subscription.id,
                                    before: nil as WebhookSubscription?, after: subscription)
            return (subscription, secret)
        }
    }

    public static func subscriptions(on db: any Database, by actor: Principal) async throws -> [WebhookSubscription] {
        try require(actor, Permission("settings", .admin))
        return try await db.sql.select().column("*").from("webhook_subscriptions").orderBy("created_at").all().map(subscription)
    }

    /// Pauses or resumes a subscription; paused ones get no new deliveries.
    public static func setActive(_ id: String, _ active: Bool, on db: any Database, by actor: Principal,
                                 context: PlatformContext) async throws -> WebhookSubscription {
        try require(actor, Permission("settings", .admin))
        return try await writeTransaction(db) { tx in
            let before = try await find(id, on: tx)
            try await tx.sql.update("webhook_subscriptions").set("active", to: active)
                .where("id", .equal, UUID(uuidString: before.id)!).run()
            let after = try await find(id, on: tx)
            try await context.audit(tx, actor, active ? "webhook.resume" : "webhook.pause", entity: "webhook", id: id,
                                    before: before, after: after)
            return after
        }
    }

    static func find(_ id: String, on db: any Database) async throws -> WebhookSubscription {
        guard let uuid = UUID(uuidString: id),
              let row = try await db.sql.select().column("*").from("webhook_subscriptions").where("id", .equal, uuid).first() else {
            throw DomainError.notFound("webhook.not_found", "There is no webhook subscription '\(id)'")
        }
        return try subscription(row)
    }

    static func subscription(_ row: any SQLRow) throws -> WebhookSubscription {
        WebhookSubscription(id: try row.decode(column: "id", as: UUID.self).lowercaseText,
                            url: try row.decode(column: "url", as: String.self),
                            events: try row.decode(column: "events", as: String.self).split(separator: ",").map(String.init),
                            active: try row.decode(column: "active", as: Bool.self),
                            createdBy: try row.decode(column: "created_by", as: String.self),
                            createdAt: try row.decode(column: "created_at", as: String.self))
    }

    // MARK: Deliveries

    /// Writes a delivery of `event` for each active subscription that wants it (inside the outbox's transaction).
    public static func enqueue(_ event: OutboxEvent, on tx: any Database, clock: any Clock) async throws {
        let rows = try await tx.sql.select().columns("id", "events").from("webhook_subscriptions")
            .where("active", .equal, true).all()
        let now = RFC3339.format(clock.now())
        for row in rows where try row.decode(column: "events", as: String.self).split(separator: ",").contains(Substring(event.type)) {
            try await insertDelivery(subscription: try row.decode(column: "id", as: UUID.self), event: event.id,
                                     type: event.type, payload: event.payload, now: now, on: tx)
        }
    }

    static func insertDelivery(subscription: UUID, event: UUID, type: String, payload: String, now: String,
                               on db: any Database) async throws {
        try await db.sql.insert(into: "webhook_deliveries")
            .columns("id", "subscription_id", "event_id", "event_type", "payload", "attempts", "next_attempt_at",
                     "created_at")
            .values(SQLBind(UUID.v7()), SQLBind(subscription), SQLBind(event), SQLBind(type), SQLBind(payload),
                    SQLBind(0), SQLBind(now), SQLBind(now))
            .run()
    }

    /// Sends every delivery that is due, each claimed first so two runs never send the same one at once. Returns how
    /// many were accepted (2xx) by their receivers.
    @discardableResult
    public static func deliverDue(on db: any Database, send: Sender, clock: any Clock, limit: Int = 50) async throws -> Int {
        let now = clock.now()
        let rows = try await db.sql.raw("""
            SELECT d.id, d.event_id, d.event_type, d.payload, d.attempts, d.next_attempt_at, s.url, s.secret
            FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
            WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= \(bind: RFC3339.format(now))
            ORDER BY d.next_attempt_at, d.id LIMIT \(unsafeRaw: String(max(1, limit)))
            """).all()
        var accepted = 0
        for row in rows {
            let id = try row.decode(column: "id", as: UUID.self)
            let due = try row.decode(column: "next_attempt_at", as: String.self)
            // The claim and the outcome are each a write of their own (the send between them may take seconds), and
            // go through `writeTransaction` so that on SQLite they queue for the writer connection.
            let leaseEnd = RFC3339.format(now.addingTimeInterval(lease))
            let claimed = try await writeTransaction(db) { tx in
                try await tx.sql.raw("""
                    UPDATE webhook_deliveries SET next_attempt_at = \(bind: leaseEnd)
                    WHERE id = \(bind: id) AND next_attempt_at = \(bind: due) AND delivered_at IS NULL RETURNING id
                    """).first() != nil
            }
            guard claimed else { continue }
            let body = try row.decode(column: "payload", as: String.self)
            let type = try row.decode(column: "event_type", as: String.self)
            let timestamp = Int(now.timeIntervalSince1970)
            let headers = [("Content-Type", "application/json"), ("User-Agent", "Keel-Webhooks/1"), ("Keel-Event", type),
                           ("Keel-Delivery", id.lowercaseText),
                           ("Keel-Signature", signature(secret: try row.decode(column: "secret", as: String.self),
                                                        timestamp: timestamp, body: body))]
            let attempts = try row.decode(column: "attempts", as: Int.self) + 1
            var status: Int?
            var problem: String?
            do {
                status = try await send(try row.decode(column: "url", as: String.self), headers, body)
                if !(200..<300).contains(status!) { problem = "HTTP \(status!)" }
            } catch {
                problem = String(describing: error)
            }
            if problem == nil { accepted += 1 }
            let finished = RFC3339.format(clock.now())
            let retryAt = RFC3339.format(now.addingTimeInterval(min(3600, pow(2, Double(attempts)))))
            let (code, failure) = (status, problem.map { String($0.prefix(500)) })
            try await writeTransaction(db) { tx in
                var update = tx.sql.update("webhook_deliveries").set("attempts", to: attempts).set("last_status", to: code)
                    .set("last_error", to: failure)
                if failure == nil {
                    update = update.set("delivered_at", to: finished)
                } else if attempts >= attemptsMax {
                    update = update.set("failed_at", to: finished)
                } else {
                    update = update.set("next_attempt_at", to: retryAt)
                }
                try await update.where("id", .equal, id).run()
            }
        }
        return accepted
    }

    /// The newest deliveries first (the delivery log).
    public static func deliveries(on db: any Database, subscription: String? = nil, limit: Int = 100,
                                  by actor: Principal) async throws -> [WebhookDelivery] {
        try require(actor, Permission("settings", .admin))
        let filter: SQLQueryString = subscription.flatMap(UUID.init(uuidString:)).map { " WHERE d.subscription_id = \(bind: $0)" } ?? ""
        let rows = try await db.sql.raw("""
            SELECT d.*, s.url FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id\(filter)
            ORDER BY d.id DESC LIMIT \(unsafeRaw: String(min(max(limit, 1), 500)))
            """).all()
        return try rows.map { row in
            WebhookDelivery(
                id: try row.decode(column: "id", as: UUID.self).lowercaseText,
                subscriptionID: try row.decode(column: "subscription_id", as: UUID.self).lowercaseText,
                url: try row.decode(column: "url", as: String.self),
                eventID: try row.decode(column: "event_id", as: UUID.self).lowercaseText,
                eventType: try row.decode(column: "event_type", as: String.self),
                payload: try row.decode(column: "payload", as: String.self),
                attempts: try row.decode(column: "attempts", as: Int.self),
                nextAttemptAt: try row.decode(column: "next_attempt_at", as: String.self),
                deliveredAt: try row.decode(column: "delivered_at", as: String?.self),
                failedAt: try row.decode(column: "failed_at", as: String?.self),
                lastStatus: try row.decode(column: "last_status", as: Int?.self),
                lastError: try row.decode(column: "last_error", as: String?.self),
                createdAt: try row.decode(column: "created_at", as: String.self))
        }
    }

    /// Sends a delivery's event again as a new delivery (the log keeps the old one).
    public static func resend(_ id: String, on db: any Database, by actor: Principal,
                              context: PlatformContext) async throws -> WebhookDelivery {
        try require(actor, Permission("settings", .admin))
        guard let uuid = UUID(uuidString: id),
              let row = try await db.sql.select().column("*").from("webhook_deliveries").where("id", .equal, uuid).first() else {
            throw DomainError.notFound("webhook.delivery.not_found", "There is no delivery '\(id)'")
        }
        let subscription = try row.decode(column: "subscription_id", as: UUID.self)
        try await writeTransaction(db) { tx in
            try await insertDelivery(subscription: subscription, event: try row.decode(column: "event_id", as: UUID.self),
                                     type: try row.decode(column: "event_type", as: String.self),
                                     payload: try row.decode(column: "payload", as: String.self),
                                     now: RFC3339.format(context.clock.now()), on: tx)
            try await context.audit(tx, actor, "webhook.resend", entity: "webhook_delivery", id: id,
                                    before: nil as String?, after: nil as String?)
        }
        return try await deliveries(on: db, subscription: subscription.uuidString, limit: 1, by: actor)[0]
    }
}

struct CreateWebhooks: AsyncMigration {
    var name: String { "platform.009.webhooks" }

    func prepare(on db: any Database) async throws {
        try await db.schema("webhook_subscriptions").id()
            .field("url", .string, .required)
            .field("events", .string, .required)
            .field("secret", .string, .required)
            .field("active", .bool, .required)
            .field("created_by", .string, .required)
            .field("created_at", .string, .required)
            .create()
        try await db.schema("webhook_deliveries").id()
            .field("subscription_id", .uuid, .required, .references("webhook_subscriptions", "id"))
            .field("event_id", .uuid, .required)
            .field("event_type", .string, .required)
            .field("payload", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .string, .required)
            .field("delivered_at", .string)
            .field("failed_at", .string)
            .field("last_status", .int)
            .field("last_error", .string)
            .field("created_at", .string, .required)
            .create()
        try await db.sql.create(index: "webhook_deliveries_due").on("webhook_deliveries").column("delivered_at")
            .column("failed_at").column("next_attempt_at").run()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("webhook_deliveries").delete()
        try await db.schema("webhook_subscriptions").delete()
    }
}
