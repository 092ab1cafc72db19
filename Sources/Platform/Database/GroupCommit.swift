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
            let pending = Pending(run: { tx in
                let hooks = CommitHooks()
                let value = try await CommitHooks.$current.withValue(hooks) { try await work(tx) }
                return Delivery(hooks: hooks, deliver: { continuation.resume(returning: value) })
            }, fail: { continuation.resume(throwing: $0) }, db: db)
            let startDrainer = state.withLockedValue { state -> Bool in
                state.queue.append(pending)
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if startDrainer { Task { await self.drain() } }
        }
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
                for (index, pending) in group.enumerated() {
                    let savepoint = "keel_group_\(index)"
                    try await tx.sql.raw(SQLQueryString("SAVEPOINT \(unsafeRaw: savepoint)")).run()
                    do {
                        let delivery = try await pending.run(tx)
                        try await tx.sql.raw(SQLQueryString("RELEASE SAVEPOINT \(unsafeRaw: savepoint)")).run()
                        outcomes.withLockedValue { $0.delivered.append(delivery) }
                    } catch {
                        try await tx.sql.raw(SQLQueryString("ROLLBACK TO SAVEPOINT \(unsafeRaw: savepoint)")).run()
                        try await tx.sql.raw(SQLQueryString("RELEASE SAVEPOINT \(unsafeRaw: savepoint)")).run()
                        outcomes.withLockedValue { _ = $0.answered.insert(index) }
                        pending.fail(error)
                    }
                }
                // The writes' own after-commit work joins the transaction's, in order.
                for delivery in outcomes.withLockedValue({ $0.delivered }) {
                    CommitHooks.afterCommit { delivery.hooks.runAll() }
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
