import Foundation
import NIOConcurrencyHelpers

/// Work to do once the surrounding write transaction has committed (and never if it rolls back):
/// writing the audit head file, waking the outbox dispatcher.
public final class CommitHooks: Sendable {
    private let hooks = NIOLockedValueBox<[(key: String?, run: @Sendable () -> Void)]>([])

    @TaskLocal static var current: CommitHooks?

    /// Registers `hook` to run after the current write transaction commits; outside one it runs now.
    /// With a `key`, the hook replaces one registered earlier under the same key in this transaction (the later
    /// one supersedes it, as a newer audit head does an older).
    public static func afterCommit(key: String? = nil, _ hook: @escaping @Sendable () -> Void) {
        guard let current else { return hook() }
        current.hooks.withLockedValue { hooks in
            if let key, let index = hooks.firstIndex(where: { $0.key == key }) {
                hooks.remove(at: index)
            }
            hooks.append((key, hook))
        }
    }

    /// Registers another transaction's (a savepoint's) hooks, in order, as the current transaction's.
    static func afterCommit(adopting other: CommitHooks) {
        for hook in other.hooks.withLockedValue({ $0 }) { afterCommit(key: hook.key, hook.run) }
    }

    func runAll() {
        for hook in hooks.withLockedValue({ $0 }) { hook.run() }
    }
}
