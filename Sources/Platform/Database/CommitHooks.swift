import Foundation
import NIOConcurrencyHelpers

/// Work to do once the surrounding write transaction has committed (and never if it rolls back):
/// writing the audit head file, waking the outbox dispatcher.
public final class CommitHooks: Sendable {
    private let hooks = NIOLockedValueBox<[@Sendable () -> Void]>([])

    @TaskLocal static var current: CommitHooks?

    /// Registers `hook` to run after the current write transaction commits; outside one it runs now.
    public static func afterCommit(_ hook: @escaping @Sendable () -> Void) {
        if let current { current.hooks.withLockedValue { $0.append(hook) } } else { hook() }
    }

    func runAll() {
        for hook in hooks.withLockedValue({ $0 }) { hook() }
    }
}
