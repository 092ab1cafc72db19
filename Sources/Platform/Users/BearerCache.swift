import Foundation
import Kernel
import NIOConcurrencyHelpers
import NIOCore

/// The principals of API tokens used in the last moment, so that a client sending many requests (the front office
/// posting its sales one by one) does not have its token, user and roles read from the database for each of them.
///
/// Measured under single-entry posting over HTTP (BENCHMARKS.md, fourteenth look): that read, through sqlite-nio's
/// thread pool and back, cost about a third of the server's throughput.
///
/// What it changes, and what it does not:
/// - A token revoked, or a user disabled or given other roles, **by this process** (the API, the pages, a job)
///   stops counting at once: those changes forget every kept principal once their transaction commits
///   (`forgetAfterCommit`). A principal read while such a transaction was committing is not kept past it (each
///   entry remembers which generation of the cache it was read in).
/// - The same change made by **another process** (the `keel` CLI next to a running server, a second server on the
///   same PostgreSQL database) counts within `lifetime` (`KEEL_TOKEN_CACHE_MS`, 1,000 ms by default; 0 reads the
///   database on every request).
/// - Expiry is checked on every request against the kept expiry date, so a token never outlives it.
/// - Only tokens that were found are kept (an unknown token is read from the database each time), keyed by the
///   token's SHA-256 digest, never the secret itself; at most `capacity` of them.
public final class BearerCache: Sendable {
    /// What a token stood for when it was read.
    public struct Entry: Sendable {
        public let principal: Principal
        public let tokenID: UUID
        public let expiresAt: Date?
        /// When its use was last written to the database (`api_tokens.last_used_at`).
        public var lastUsedAt: Date?
        fileprivate var readAt = NIODeadline.now()
        fileprivate var generation: UInt64 = 0

        public init(principal: Principal, tokenID: UUID, expiresAt: Date?, lastUsedAt: Date?) {
            self.principal = principal
            self.tokenID = tokenID
            self.expiresAt = expiresAt
            self.lastUsedAt = lastUsedAt
        }
    }

    private struct State {
        var generation: UInt64 = 0
        var entries: [String: Entry] = [:]
    }

    private let state = NIOLockedValueBox(State())
    public let lifetime: TimeAmount
    static let capacity = 10_000

    public init(lifetime: TimeAmount) { self.lifetime = lifetime }

    /// The count of forgettings so far: read it before reading a token from the database and pass it to `keep`.
    public var generation: UInt64 { state.withLockedValue { $0.generation } }

    /// The entry kept for a token's digest, if it was read within `lifetime` and nothing has been forgotten since.
    public func entry(_ digest: String) -> Entry? {
        guard lifetime > .zero else { return nil }
        let now = NIODeadline.now()
        return state.withLockedValue { state in
            guard let entry = state.entries[digest] else { return nil }
            guard entry.generation == state.generation, now - entry.readAt < lifetime else {
                state.entries[digest] = nil
                return nil
            }
            return entry
        }
    }

    /// Keeps what was read for a token, unless something was forgotten after `generation` (then what was read may
    /// be older than the change).
    public func keep(_ digest: String, _ entry: Entry, readIn generation: UInt64) {
        guard lifetime > .zero else { return }
        var entry = entry
        entry.readAt = .now()
        entry.generation = generation
        state.withLockedValue { state in
            guard generation == state.generation else { return }
            if state.entries.count >= Self.capacity, state.entries[digest] == nil { state.entries.removeAll() }
            state.entries[digest] = entry
        }
    }

    /// Notes that a token's use was written to the database at `date`.
    public func used(_ digest: String, at date: Date) {
        state.withLockedValue { $0.entries[digest]?.lastUsedAt = date }
    }

    /// Forgets every kept principal.
    public func forget() {
        state.withLockedValue { state in
            state.generation &+= 1
            state.entries.removeAll()
        }
    }

    /// Forgets every kept principal once the current write transaction commits (at once outside one): call it in
    /// any transaction that changes what a token stands for (its revocation, its user's roles or state).
    public func forgetAfterCommit() {
        CommitHooks.afterCommit(key: "bearer-cache.forget") { [self] in forget() }
    }
}
