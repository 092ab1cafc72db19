import Fluent
import Foundation
import KeelTesting
import Kernel
import NIOConcurrencyHelpers
@testable import Platform
import SQLKit
import Testing

@Suite("Group commit")
struct GroupCommitTests {
    struct Refused: Error, Equatable { let index: Int }

    /// Which transaction a statement runs in: PostgreSQL's id, or the number of the SQLite writer's transaction.
    static func transaction(_ tx: any Database) async throws -> Int64 {
        if let writer = tx as? WriterTransaction { return writer.number }
        return try await tx.sql.raw("SELECT txid_current() AS t").first()!.decode(column: "t", as: Int64.self)
    }

    @Test("Writes that arrive together share a transaction; a failing one is rolled back alone and hears its error")
    func sharedAndIsolated() async throws {
        try await withTestDatabase { db, _ in
            try await db.schema("group_probe").field("n", .int64, .identifier(auto: false)).create()
            let group = GroupCommit()
            let gate = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)
            let blocked = NIOLockedValueBox(false)
            // The first write holds the group open until the others have queued behind it.
            async let first: Int64 = group.write(db) { tx in
                await withCheckedContinuation { continuation in
                    gate.withLockedValue { $0 = continuation }
                    blocked.withLockedValue { $0 = true }
                }
                try await tx.sql.insert(into: "group_probe").columns("n").values(SQLBind(-1)).run()
                return try await Self.transaction(tx)
            }
            while !blocked.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
            let results = try await withThrowingTaskGroup(of: (Int, Result<Int64, Refused>).self) { tasks in
                for index in 0..<40 {
                    tasks.addTask {
                        do {
                            return (index, .success(try await group.write(db) { tx in
                                try await tx.sql.insert(into: "group_probe").columns("n").values(SQLBind(index)).run()
                                if index % 10 == 3 { throw Refused(index: index) }
                                return try await Self.transaction(tx)
                            }))
                        } catch let refused as Refused {
                            return (index, .failure(refused))
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(200))
                gate.withLockedValue { $0?.resume() }
                return try await tasks.reduce(into: [Int: Result<Int64, Refused>]()) { $0[$1.0] = $1.1 }
            }
            let firstTransaction = try await first
            let refused = results.filter { if case .failure = $0.value { true } else { false } }.keys.sorted()
            #expect(refused == [3, 13, 23, 33])
            for (index, result) in results where !refused.contains(index) {
                #expect(try result.get() != firstTransaction, "the waiting writes form the next group")
            }
            // 36 successful writes after the first: in far fewer transactions than writes.
            let transactions = Set(results.values.compactMap { try? $0.get() })
            #expect(transactions.count <= 2)
            let stored = try await db.sql.select().column("n").from("group_probe").orderBy("n").all()
                .map { try $0.decode(column: "n", as: Int.self) }
            #expect(stored == [-1] + (0..<40).filter { $0 % 10 != 3 })
        }
    }

    @Test("Queued items of one kind run as one call; if it fails, each runs alone and only the bad one fails")
    func batched() async throws {
        try await withTestDatabase { db, _ in
            try await db.schema("group_probe").field("n", .int64, .identifier(auto: false)).create()
            let group = GroupCommit()
            let calls = NIOLockedValueBox<[Int]>([])
            let batcher = GroupCommit.Batcher<Int, String>(key: "probe") { tx, items in
                calls.withLockedValue { $0.append(items.count) }
                for item in items {
                    try await tx.sql.insert(into: "group_probe").columns("n").values(SQLBind(item)).run()
                    if item == 13 { throw Refused(index: item) }
                }
                return items.map { "done \($0)" }
            }
            let gate = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)
            async let first: Void = group.write(db) { _ in
                await withCheckedContinuation { continuation in gate.withLockedValue { $0 = continuation } }
            }
            while gate.withLockedValue({ $0 == nil }) { try await Task.sleep(for: .milliseconds(1)) }
            let results = try await withThrowingTaskGroup(of: (Int, String).self) { tasks in
                for item in 0..<20 {
                    tasks.addTask {
                        do { return (item, try await group.write(db, item, with: batcher)) } catch { return (item, "refused") }
                    }
                }
                try await Task.sleep(for: .milliseconds(200))
                gate.withLockedValue { $0?.resume() }
                return try await tasks.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
            }
            try await first
            #expect(results[13] == "refused")
            #expect(results.filter { $0.key != 13 }.allSatisfy { $0.value == "done \($0.key)" })
            // One call for all twenty (it failed), then one each.
            #expect(calls.withLockedValue { $0 } == [20] + Array(repeating: 1, count: 20))
            let stored = try await db.sql.select().column("n").from("group_probe").orderBy("n").all()
                .map { try $0.decode(column: "n", as: Int.self) }
            #expect(stored == (0..<20).filter { $0 != 13 })
        }
    }

    @Test("After-commit work runs for the writes that succeeded, never for one rolled back")
    func hooks() async throws {
        try await withTestDatabase { db, _ in
            let group = GroupCommit()
            let ran = NIOLockedValueBox<[String]>([])
            _ = try await group.write(db) { _ in CommitHooks.afterCommit { ran.withLockedValue { $0.append("kept") } } }
            await #expect(throws: Refused.self) {
                try await group.write(db) { _ in
                    CommitHooks.afterCommit { ran.withLockedValue { $0.append("rolled back") } }
                    throw Refused(index: 0)
                }
            }
            // Inside a transaction a write simply joins it.
            try await writeTransaction(db) { tx in
                try await group.write(tx) { inner in #expect(inner.inTransaction) }
            }
            #expect(ran.withLockedValue { $0 } == ["kept"])
        }
    }

    @Test("A group commits on the writer connection (on SQLite): reads on the request's connection go on meanwhile")
    func readsWhileAGroupCommits() async throws {
        try await withTestDatabase { db, context in
            try await db.schema("group_probe").field("n", .int64, .identifier(auto: false)).create()
            let gate = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)
            let blocked = NIOLockedValueBox(false)
            async let write: Void = context.groupCommit.write(db) { tx in
                try await tx.sql.insert(into: "group_probe").columns("n").values(SQLBind(1)).run()
                await withCheckedContinuation { continuation in
                    gate.withLockedValue { $0 = continuation }
                    blocked.withLockedValue { $0 = true }
                }
            }
            while !blocked.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
            // Were the group's transaction on this connection, the read would wait for the commit, which waits for
            // the gate.
            let seen = NIOLockedValueBox<Int?>(nil)
            let read = Task {
                let count = try await db.sql.raw("SELECT count(*) AS c FROM group_probe").first()!
                    .decode(column: "c", as: Int.self)
                seen.withLockedValue { $0 = count }
            }
            let deadline = ContinuousClock.now + .seconds(5)
            while seen.withLockedValue({ $0 }) == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            let seenDuringCommit = seen.withLockedValue { $0 }
            gate.withLockedValue { $0?.resume() }
            try await write
            try await read.value
            #expect(seenDuringCommit == 0, "the read answered during the commit, without the uncommitted row")
            let after = try await db.sql.raw("SELECT count(*) AS c FROM group_probe").first()!
                .decode(column: "c", as: Int.self)
            #expect(after == 1)
        }
    }
}
