import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// Group commit: small writes that arrive while another is committing share the next transaction, so many of
/// them cost one durable commit (one fsync) instead of one each.
///
/// Each write runs in its own savepoint inside the shared transaction: a write that fails is rolled back to its
/// savepoint and gets its own error at once, while the others go on. A write's result is handed back only after
/// the transaction has committed, so a caller that hears "done" can rely on it surviving a crash. If the commit
/// itself fails, every write of the group gets that error and none of them happened.
///
/// There is no waiting window: a group is whatever arrived during the previous commit, so a lone write commits at
/// once and a busy system forms larger groups by itself. Writes run one after another, in arrival order.
public final class GroupCommit: Sendable {
    public static let writesPerGroupMax = 256

    struct Pending: Sendable {
        /// Runs the write inside the group's transaction (within its savepoint); returns how to deliver its
        /// result once the group has committed, or throws its own error.
        let run: @Sendable (any Database) async throws -> Delivery
        let fail: @Sendable (any Error) -> Void
        let db: any Database
        /// For a write of a kind that can be done many at once: its kind, its item, and how to deliver a result.
        let batch: Batchable?
    }

    struct Batchable: Sendable {
        let key: String
        let item: any Sendable
        let runMany: @Sendable (any Database, [any Sendable]) async throws -> [any Sendable]
        let deliver: @Sendable (any Sendable) -> Void
    }

    /// A kind of write that can be done for many items in one call (posting many entries at once). Consecutive
    /// queued writes of the same kind and key run as one call in one savepoint; if that call fails, each is run
    /// alone in its own savepoint, so every item still succeeds or fails by itself.
    public struct Batcher<Item: Sendable, Result: Sendable>: Sendable {
        public let key: String
        public let runMany: @Sendable (any Database, [Item]) async throws -> [Result]

        public init(key: String, runMany: @escaping @Sendable (any Database, [Item]) async throws -> [Result]) {
            self.key = key
            self.runMany = runMany
        }
    }

    struct Delivery: Sendable {
        let hooks: CommitHooks
        let deliver: @Sendable () -> Void
    }

    private let state = NIOLockedValueBox<(queue: [Pending], draining: Bool)>(([], false))

    public init() {}

    /// Runs `work` in a write transaction shared with other writes; joins the caller's transaction if there is one.
    public func write<T: Sendable>(_ db: any Database,
                                   _ work: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        if db.inTransaction { return try await work(db) }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueue(Pending(run: { tx in
                let hooks = CommitHooks()
                let value = try await CommitHooks.$current.withValue(hooks) { try await work(tx) }
                return Delivery(hooks: hooks, deliver: { continuation.resume(returning: value) })
            }, fail: { continuation.resume(throwing: $0) }, db: db, batch: nil))
        }
    }

    /// Runs the write of one `item` in a shared transaction, together with the same kind's other queued items.
    public func write<Item: Sendable, Result: Sendable>(_ db: any Database, _ item: Item,
                                                        with batcher: Batcher<Item, Result>) async throws -> Result {
        if db.inTransaction { return try await batcher.runMany(db, [item])[0] }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            let runMany: @Sendable (any Database, [any Sendable]) async throws -> [any Sendable] = { tx, items in
                try await batcher.runMany(tx, items.map { $0 as! Item })
            }
            enqueue(Pending(run: { tx in
                let hooks = CommitHooks()
                let value = try await CommitHooks.$current.withValue(hooks) { try await batcher.runMany(tx, [item])[0] }
                return Delivery(hooks: hooks, deliver: { continuation.resume(returning: value) })
            }, fail: { continuation.resume(throwing: $0) }, db: db,
            batch: Batchable(key: batcher.key, item: item, runMany: runMany,
                             deliver: { continuation.resume(returning: $0 as! Result) })))
        }
    }

    private func enqueue(_ pending: Pending) {
        let startDrainer = state.withLockedValue { state -> Bool in
            state.queue.append(pending)
            guard !state.draining else { return false }
            state.draining = true
            return true
        }
        // Detached: the drainer serves every caller, so it must not carry the first one's task-locals.
        if startDrainer { Task.detached { await self.drain() } }
    }

    /// Takes groups off the queue until it is empty.
    private func drain() async {
        while true {
            let group = state.withLockedValue { state -> [Pending] in
                let group = Array(state.queue.prefix(Self.writesPerGroupMax))
                state.queue.removeFirst(group.count)
                if group.isEmpty { state.draining = false }
                return group
            }
            guard let first = group.first else { return }
            await commit(group, on: first.db)
        }
    }

    private func commit(_ group: [Pending], on db: any Database) async {
        /// Per write: its delivery once it succeeded in the transaction, or whether it already had its error.
        let outcomes = NIOLockedValueBox<(delivered: [Delivery], answered: Set<Int>)>(([], []))
        do {
            try await writeTransaction(db) { tx in
                func savepoint(_ verb: String, _ index: Int) async throws {
                    try await tx.sql.raw(SQLQueryString("\(unsafeRaw: verb) keel_group_\(unsafeRaw: String(index))")).run()
                }
                /// One write alone in its savepoint.
                func runAlone(_ index: Int) async throws {
                    let pending = group[index]
                    try await savepoint("SAVEPOINT", index)
                    do {
                        let delivery = try await pending.run(tx)
                        try await savepoint("RELEASE SAVEPOINT", index)
                        outcomes.withLockedValue { $0.delivered.append(delivery) }
                    } catch {
                        try await savepoint("ROLLBACK TO SAVEPOINT", index)
                        try await savepoint("RELEASE SAVEPOINT", index)
                        outcomes.withLockedValue { _ = $0.answered.insert(index) }
                        pending.fail(error)
                    }
                }
                var index = 0
                while index < group.count {
                    guard let batch = group[index].batch else {
                        try await runAlone(index)
                        index += 1
                        continue
                    }
                    var end = index + 1
                    while end < group.count, group[end].batch?.key == batch.key { end += 1 }
                    guard end - index > 1 else {
                        try await runAlone(index)
                        index += 1
                        continue
                    }
                    // A run of the same kind: one call for all of them, or each alone if that call fails.
                    let members = Array(group[index..<end])
                    let hooks = CommitHooks()
                    try await savepoint("SAVEPOINT", index)
                    do {
                        let results = try await CommitHooks.$current.withValue(hooks) {
                            try await batch.runMany(tx, members.map { $0.batch!.item })
                        }
                        try await savepoint("RELEASE SAVEPOINT", index)
                        let deliveries = zip(members, results).map { member, result in
                            Delivery(hooks: CommitHooks(), deliver: { member.batch!.deliver(result) })
                        }
                        outcomes.withLockedValue {
                            $0.delivered.append(Delivery(hooks: hooks, deliver: {}))
                            $0.delivered += deliveries
                        }
                    } catch {
                        try await savepoint("ROLLBACK TO SAVEPOINT", index)
                        try await savepoint("RELEASE SAVEPOINT", index)
                        for alone in index..<end { try await runAlone(alone) }
                    }
                    index = end
                }
                // The writes' own after-commit work joins the transaction's, in order (one audit head for all).
                for delivery in outcomes.withLockedValue({ $0.delivered }) {
                    CommitHooks.afterCommit(adopting: delivery.hooks)
                }
            }
        } catch {
            // The transaction did not commit: no write of the group happened, whatever it had done inside it.
            let answered = outcomes.withLockedValue { $0.answered }
            for (index, pending) in group.enumerated() where !answered.contains(index) { pending.fail(error) }
            return
        }
        for delivery in outcomes.withLockedValue({ $0.delivered }) { delivery.deliver() }
    }
}
