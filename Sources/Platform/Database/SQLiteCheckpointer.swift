import Foundation
import Logging
import NIOConcurrencyHelpers
import VaporCSQLite

/// Copies the writer's WAL back into the database file on a thread of its own, so that no commit waits for it.
///
/// SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages: that commit copies the
/// pages into the database file and fsyncs it before it returns, and the transactions queued behind it wait too.
/// A batch of 10,000 entries wrote 2,000-8,000 pages and paid for their copy on every batch; under HTTP posting
/// one group in a few dozen paid for it. Raising the threshold made the copies rarer but longer, and the p99 of
/// HTTP posting went from 9-12 ms to 13-14 ms (BENCHMARKS.md, seventeenth look).
///
/// Here the writer's connection replaces the automatic checkpoint with a WAL hook (`committed(frames:on:)`): past
/// `pages` it asks this checkpointer, which runs a PASSIVE checkpoint on its own connection while the writer goes on.
/// A passive checkpoint takes no lock that the writer or the readers wait for; it copies what no reader still needs
/// and leaves the rest for the next one. Durability does not change: a commit is durable once its WAL frames are
/// synced, as before. Should the WAL reach `backstopPages` (this thread fallen behind, or one transaction as large as a
/// big import), the writer checkpoints inside its commit as SQLite would have.
final class SQLiteCheckpointer: Sendable {
    /// WAL pages after a commit at which the writer asks for a checkpoint (SQLite's own automatic threshold).
    static let defaultPages: Int32 = 1_000
    /// WAL pages at which the writer checkpoints itself, in its commit (256 MiB of 4 KiB pages).
    static let defaultBackstopPages: Int32 = 65_536

    let pages: Int32
    let backstopPages: Int32
    private let path: String
    private let logger: Logger
    private let queue = DispatchQueue(label: "keel.sqlite-checkpoint")

    private struct State {
        /// Whether a checkpoint is queued and has not started yet (a request then adds nothing).
        var queued = false
        var closed = false
        /// The checkpointer's connection, opened by the first checkpoint; only used on `queue`.
        var connection: Connection?
        /// Checkpoints run, and what the last one reported (tests read them).
        var runs = 0
        var lastFrames: (log: Int32, copied: Int32) = (0, 0)
    }
    private let state = NIOLockedValueBox(State())

    /// The SQLite handle, closed with the checkpointer.
    private final class Connection: @unchecked Sendable {
        let handle: OpaquePointer
        init(_ handle: OpaquePointer) { self.handle = handle }
    }

    init(path: String, pages: Int32 = defaultPages, backstopPages: Int32 = defaultBackstopPages,
         logger: Logger = Logger(label: "keel.sqlite-checkpoint")) {
        self.path = path
        self.pages = pages
        self.backstopPages = max(pages, backstopPages)
        self.logger = logger
    }

    /// Called by the writer's WAL hook after each commit, on the writer's thread, with the pages now in the WAL.
    func committed(frames: Int32, on handle: OpaquePointer?) {
        if frames >= backstopPages {
            // The checkpointer has fallen behind, or one transaction (a large import) wrote this much: the commit
            // copies what it can itself, as SQLite's automatic checkpoint would, so the WAL stays bounded.
            sqlite_nio_sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        } else if frames >= pages {
            request()
        }
    }

    /// Queues a checkpoint unless one is queued already or the checkpointer is closed.
    func request() {
        let queue = state.withLockedValue { state -> Bool in
            guard !state.closed, !state.queued else { return false }
            state.queued = true
            return true
        }
        if queue { self.queue.async { self.run() } }
    }

    /// How many checkpoints have run, and the WAL pages the last one saw and copied.
    var progress: (runs: Int, log: Int32, copied: Int32) {
        state.withLockedValue { ($0.runs, $0.lastFrames.log, $0.lastFrames.copied) }
    }

    private func run() {
        // Cleared before the checkpoint starts: a commit during it queues the next one.
        let (closed, existing) = state.withLockedValue { state in
            state.queued = false
            return (state.closed, state.connection)
        }
        guard !closed, let handle = existing?.handle ?? open() else { return }
        var log: Int32 = 0
        var copied: Int32 = 0
        let status = sqlite_nio_sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        // SQLITE_BUSY: another connection (another keel process) is checkpointing; the next commit asks again.
        if status != SQLITE_OK, status != SQLITE_BUSY {
            logger.warning("SQLite checkpoint failed", metadata: [
                "code": "\(status)", "message": "\(String(cString: sqlite_nio_sqlite3_errmsg(handle)))"])
        }
        state.withLockedValue {
            $0.runs += 1
            $0.lastFrames = (log, copied)
        }
    }

    /// Opens the checkpointer's connection (on `queue`), with the writer's durability: a checkpoint fsyncs the WAL
    /// before copying from it and the database file after.
    private func open() -> OpaquePointer? {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE
        guard sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle,
              sqlite_nio_sqlite3_exec(handle, "PRAGMA synchronous = FULL", nil, nil, nil) == SQLITE_OK else {
            let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open"
            logger.warning("SQLite checkpointer cannot open the database", metadata: ["message": "\(message)"])
            sqlite_nio_sqlite3_close(handle)
            return nil
        }
        state.withLockedValue { $0.connection = Connection(handle) }
        return handle
    }

    /// Closes the checkpointer's connection once a running checkpoint is done; the next request opens it again. A
    /// bulk transaction (`SQLiteWriter.RollbackJournal`) does this before it takes the file out of WAL mode, which
    /// SQLite allows only to the file's one connection.
    func closeConnection() {
        queue.sync {
            if let connection = state.withLockedValue({ $0.connection.take() }) {
                sqlite_nio_sqlite3_close(connection.handle)
            }
        }
    }

    /// Stops taking requests, waits for a running checkpoint, and closes the connection. The writer's connection,
    /// closed after this, checkpoints what is left when it is the file's last connection.
    func close() {
        state.withLockedValue { $0.closed = true }
        closeConnection()
    }
}
