import Fluent
import Foundation
import Kernel
import SQLKit

/// Idempotent creates (ARCHITECTURE: integration): a request that carries an `Idempotency-Key` runs once per
/// calling user, scope and key. The same key with the same request returns the first result (from the stored
/// response); with a different request it is a 409 and nothing changes.
public enum Idempotency {
    public static let keyLengthMax = 200

    /// Runs `work` in a write transaction unless `key` was used before by `actor` in `scope`. `request` is what the
    /// caller sent (its canonical JSON is hashed to tell a replay from a reuse).
    public static func run<Request: Encodable & Sendable, Value: Codable & Sendable>(
        _ db: any Database, actor: Principal, scope: String, key: String?, request: Request,
        clock: any Clock, _ work: @escaping @Sendable (any Database) async throws -> Value
    ) async throws -> (value: Value, replayed: Bool) {
        guard let key else { return (try await writeTransaction(db, work), false) }
        guard (1...keyLengthMax).contains(key.count), key.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) else {
            throw DomainError.invalid("request.idempotency_key.invalid",
                                      "An Idempotency-Key has 1 to \(keyLengthMax) visible ASCII characters",
                                      field: "Idempotency-Key")
        }
        let hash = Secrets.sha256(try AuditChain.canonicalJSON(request) ?? "")
        return try await writeTransaction(db) { tx in
            // Claiming the key first makes a concurrent request with the same key wait for this one (PostgreSQL)
            // and then find its row; on SQLite the write transaction already serialises them.
            let claimed = try await tx.sql.raw("""
                INSERT INTO idempotency_keys (id, username, scope, key, request_hash, created_at)
                VALUES (\(bind: UUID.v7()), \(bind: actor.username), \(bind: scope), \(bind: key), \(bind: hash),
                        \(bind: RFC3339.format(clock.now())))
                ON CONFLICT (username, scope, key) DO NOTHING RETURNING id
                """).first()
            if claimed != nil {
                let value = try await work(tx)
                let response = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
                try await tx.sql.update("idempotency_keys").set("response", to: response)
                    .where("username", .equal, actor.username).where("scope", .equal, scope).where("key", .equal, key).run()
                return (value, false)
            }
            guard let row = try await tx.sql.select().columns("request_hash", "response").from("idempotency_keys")
                .where("username", .equal, actor.username).where("scope", .equal, scope).where("key", .equal, key).first(),
                  let response = try row.decode(column: "response", as: String?.self) else {
                preconditionFailure("an idempotency key row is written with its response in one transaction")
            }
            guard try row.decode(column: "request_hash", as: String.self) == hash else {
                throw DomainError(.conflict, "request.idempotency_conflict",
                                  "The Idempotency-Key '\(key)' was used for a different request", field: "Idempotency-Key")
            }
            return (try JSONDecoder().decode(Value.self, from: Data(response.utf8)), true)
        }
    }
}

struct CreateIdempotencyKeys: AsyncMigration {
    var name: String { "platform.008.idempotency_keys" }

    func prepare(on db: any Database) async throws {
        try await db.schema("idempotency_keys").id()
            .field("username", .string, .required)
            .field("scope", .string, .required)
            .field("key", .string, .required)
            .field("request_hash", .string, .required)
            .field("response", .string)
            .field("created_at", .string, .required)
            .unique(on: "username", "scope", "key")
            .create()
    }

    func revert(on db: any Database) async throws { try await db.schema("idempotency_keys").delete() }
}
