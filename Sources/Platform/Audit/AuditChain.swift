import Crypto
import Fluent
import Foundation
import Kernel
import NIOConcurrencyHelpers
import SQLKit

/// One audit record as written: who did what to which entity, with the state before and after.
public struct AuditRecord: Sendable, Equatable, Codable {
    public let seq: Int64
    public let at: String
    public let actor: String
    public let action: String
    public let entity: String
    public let entityID: String
    public let before: String?
    public let after: String?
    public let prevHash: String
    public let hash: String
}

/// The append-only, hash-chained audit log.
///
/// Row n's hash is SHA-256 over its sequence number, its content and row n-1's hash, each field written as
/// `<byte length>:<bytes>` so no two different rows encode alike. The newest (seq, hash) is also kept in the
/// `audit_head` row, which every appender locks (so concurrent PostgreSQL writers append in order), and in a
/// file outside the database, so that a cut tail is noticed by `keel verify`.
public enum AuditChain {
    public static let genesisHash = String(repeating: "0", count: 64)

    /// One record to append: `before`/`after` already encoded as canonical JSON (see `Entry.init`).
    public struct Entry: Sendable {
        public let action: String
        public let entity: String
        public let entityID: String
        public let before: String?
        public let after: String?

        public init<Before: Encodable & Sendable, After: Encodable & Sendable>(
            action: String, entity: String, entityID: String, before: Before?, after: After?) throws {
            self.action = action
            self.entity = entity
            self.entityID = entityID
            self.before = try canonicalJSON(before)
            self.after = try canonicalJSON(after)
        }
    }

    /// Appends one record inside the caller's write transaction. `before`/`after` are encoded as canonical JSON.
    public static func record<Before: Encodable & Sendable, After: Encodable & Sendable>(
        on db: any Database, headPath: String, clock: any Clock, actor: Principal, action: String,
        entity: String, entityID: String, before: Before?, after: After?
    ) async throws {
        try await record(on: db, headPath: headPath, clock: clock, actor: actor, [
            try Entry(action: action, entity: entity, entityID: entityID, before: before, after: after),
        ])
    }

    /// Appends records in order inside the caller's write transaction, with three statements however many there
    /// are: the head advanced by their count, the rows in multi-row inserts, the head's new hash.
    public static func record(on db: any Database, headPath: String, clock: any Clock, actor: Principal,
                              _ entries: [Entry]) async throws {
        precondition(db.inTransaction, "audit records are written in the same transaction as the change")
        try await append(on: db, headPath: headPath, at: clock.now(), actor: actor.username, entries)
    }

    static func append(on db: any Database, headPath: String, at instant: Date, actor: String,
                       _ entries: [Entry]) async throws {
        guard !entries.isEmpty else { return }
        // Advancing the head row first takes its row lock (PostgreSQL) inside the writer's transaction.
        guard let head = try await db.sql.raw("""
            UPDATE audit_head SET seq = seq + \(bind: Int64(entries.count)) WHERE id = 1 RETURNING seq, hash
            """).first() else { preconditionFailure("audit_head row missing: migrations not run") }
        let last = try head.decode(column: "seq", as: Int64.self)
        var hash = try head.decode(column: "hash", as: String.self)
        var seq = last - Int64(entries.count)
        let at = RFC3339.format(instant)
        var rows: [[SQLCell]] = []
        rows.reserveCapacity(entries.count)
        for entry in entries {
            seq += 1
            let prevHash = hash
            hash = digest(seq: seq, at: at, actor: actor, action: entry.action, entity: entry.entity,
                          entityID: entry.entityID, before: entry.before, after: entry.after, prevHash: prevHash)
            rows.append([.integer(seq), .text(at), .text(actor), .text(entry.action), .text(entry.entity),
                         .text(entry.entityID), .text(entry.before), .text(entry.after), .text(prevHash), .text(hash)])
        }
        try await BulkInsert.run(db, into: "audit_log", columns: [
            ("seq", .integer), ("at", .text), ("actor", .text), ("action", .text), ("entity", .text),
            ("entity_id", .text), ("before_json", .text), ("after_json", .text), ("prev_hash", .text), ("hash", .text),
        ], rows: rows)
        try await db.sql.update("audit_head").set("hash", to: hash).where("id", .equal, 1).run()
        // Only the newest head matters: one file write per transaction, however many appends it made.
        let newest = (seq, hash)
        CommitHooks.afterCommit(key: "audit.head") {
            AuditHeadWriter.shared.advance(path: headPath, to: newest.0, hash: newest.1)
        }
    }

    public static func digest(seq: Int64, at: String, actor: String, action: String, entity: String,
                              entityID: String, before: String?, after: String?, prevHash: String) -> String {
        var hasher = SHA256()
        for field in [String(seq), at, actor, action, entity, entityID, before ?? "\u{0}", after ?? "\u{0}", prevHash] {
            let bytes = Array(field.utf8)
            hasher.update(data: Array("\(bytes.count):".utf8))
            hasher.update(data: bytes)
        }
        return hasher.finalize().lowercaseHex
    }

    /// The one JSON form Keel stores and hashes: sorted keys, unescaped slashes, ISO 8601 dates.
    public static func canonicalJSON<T: Encodable>(_ value: T?) throws -> String? {
        guard let value else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Reads audit records, newest first, filtered. `limit` is capped at 500.
    public static func list(on db: any Database, filter: AuditFilter) async throws -> [AuditRecord] {
        var query = AuditRowModel.query(on: db).sort(\.$id, .descending).limit(min(max(filter.limit, 1), 500))
        if let actor = filter.actor, !actor.isEmpty { query = query.filter(\.$actor == actor) }
        if let entity = filter.entity, !entity.isEmpty { query = query.filter(\.$entity == entity) }
        if let entityID = filter.entityID, !entityID.isEmpty { query = query.filter(\.$entityID == entityID) }
        if let action = filter.action, !action.isEmpty { query = query.filter(\.$action == action) }
        if let from = filter.from { query = query.filter(\.$at >= from.description) }
        if let to = filter.to { query = query.filter(\.$at < to.addingDays(1).description) }
        if let before = filter.beforeSeq { query = query.filter(\.$id < before) }
        return try await query.all().map(\.record)
    }
}

/// Which audit records to show.
public struct AuditFilter: Sendable {
    public var actor: String?
    public var entity: String?
    public var entityID: String?
    public var action: String?
    public var from: CivilDate?
    public var to: CivilDate?
    public var beforeSeq: Int64?
    public var limit: Int

    public init(actor: String? = nil, entity: String? = nil, entityID: String? = nil, action: String? = nil,
                from: CivilDate? = nil, to: CivilDate? = nil, beforeSeq: Int64? = nil, limit: Int = 100) {
        self.actor = actor
        self.entity = entity
        self.entityID = entityID
        self.action = action
        self.from = from
        self.to = to
        self.beforeSeq = beforeSeq
        self.limit = limit
    }
}

extension AuditRowModel {
    var record: AuditRecord {
        AuditRecord(seq: id!, at: at, actor: actor, action: action, entity: entity, entityID: entityID,
                    before: beforeJSON, after: afterJSON, prevHash: prevHash, hash: hash)
    }
}

/// The chain head kept outside the database: one line "<seq> <hash>", replaced atomically, only ever advanced.
public struct AuditHeadFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The head as the file has it, once every head this process has committed is written (`AuditHeadWriter`).
    public func read() -> (seq: Int64, hash: String)? {
        AuditHeadWriter.shared.settle()
        return readFile()
    }

    private func readFile() -> (seq: Int64, hash: String)? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        guard parts.count == 2, let seq = Int64(parts[0]) else { return nil }
        return (seq, String(parts[1]))
    }

    /// Writes the head now (a temporary file, fsync, rename), unless the file already has this row or a later one.
    public func advance(to seq: Int64, hash: String) {
        if let current = readFile(), current.seq >= seq { return }
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? "\(seq) \(hash)\n".write(to: url, atomically: true, encoding: .utf8)
    }
}

/// Writes committed audit heads to their files on a queue of its own, so that no commit waits for it.
///
/// The write (read the file, a temporary file, fsync, rename) took about a fifth of the SQLite writer's time per
/// group commit, on the one thread every write transaction queues for; on PostgreSQL it ran on the event loop that
/// committed. Now a commit hands its head over and goes on. The first head handed over starts a short wait
/// (`interval`); the heads handed over until it ends are coalesced into the newest, written once. Without the
/// wait, HTTP posting with a few clients wrote the file after almost every group commit, and those writes were a
/// tenth of the server's CPU (BENCHMARKS.md, nineteenth look). The file still only ever advances and still lags the
/// database, as it always could between a commit and its write, now by at most `interval` and one write.
/// In-process readers of the file (`AuditHeadFile.read`: `keel verify`, the backup, tests) have what was handed over
/// written first, and the CLI does so before it exits (`settle`).
public final class AuditHeadWriter: Sendable {
    public static let shared = AuditHeadWriter()

    /// How long the heads of later commits are gathered before the file is written.
    public static let interval: TimeInterval = 0.1

    private struct State {
        var heads: [String: (seq: Int64, hash: String)] = [:]
        var scheduled = false
    }

    private let state = NIOLockedValueBox(State())
    private let queue = DispatchQueue(label: "keel.audit-head")

    /// Hands over the head of a committed transaction, to be written to the file at `path`.
    public func advance(path: String, to seq: Int64, hash: String) {
        let schedule = state.withLockedValue { state -> Bool in
            if let pending = state.heads[path], pending.seq >= seq { return false }
            state.heads[path] = (seq, hash)
            defer { state.scheduled = true }
            return !state.scheduled
        }
        if schedule { queue.asyncAfter(deadline: .now() + Self.interval) { self.write() } }
    }

    /// Writes what was handed over and not written yet; on `queue` only.
    private func write() {
        let heads = state.withLockedValue { state in
            defer {
                state.heads = [:]
                state.scheduled = false
            }
            return state.heads
        }
        for (path, head) in heads { AuditHeadFile(path: path).advance(to: head.seq, hash: head.hash) }
    }

    /// Returns once every head handed over before the call is in its file, without waiting for `interval`.
    public func settle() { queue.sync { write() } }
}
