import Fluent
import Foundation
import KeelTesting
import Kernel
import Logging
import NIOConcurrencyHelpers
@testable import Platform
import SQLKit
import Testing

@Suite("Document numbers")
struct DocumentNumberTests {
    @Test("Numbers read SERIES-YEAR-NNNNNN, padded to six digits and longer when they must be")
    func format() {
        #expect(DocumentNumbers.format(series: "INV", year: 2026, value: 1) == "INV-2026-000001")
        #expect(DocumentNumbers.format(series: "GEN", year: 2027, value: 0) == "GEN-2027-000000")
        #expect(DocumentNumbers.format(series: "SAL", year: 2026, value: 999_999) == "SAL-2026-999999")
        #expect(DocumentNumbers.format(series: "SAL", year: 2026, value: 1_234_567) == "SAL-2026-1234567")
        #expect(DocumentNumbers.format(series: "Rechnung_Ü", year: 987, value: 42) == "Rechnung_Ü-987-000042")
        #expect(DocumentNumbers.format(series: "X", year: 2026, value: .max) == "X-2026-\(Int64.max)")
    }

    @Test("50 concurrent tasks get 50 distinct, gap-free numbers")
    func concurrent() async throws {
        try await withTestDatabase { db, _ in
            let numbers = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await writeTransaction(db) { tx in try await DocumentNumbers.next("INV", year: 2026, on: tx) } }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            let expected = (1...50).map { DocumentNumbers.format(series: "INV", year: 2026, value: Int64($0)) }
            #expect(numbers.sorted() == expected)
            #expect(expected.first == "INV-2026-000001")
        }
    }

    @Test("A rolled-back document gives its number back; years and series count separately")
    func rollbackLeavesNoGap() async throws {
        try await withTestDatabase { db, _ in
            struct Boom: Error {}
            _ = try? await writeTransaction(db) { tx -> String in
                _ = try await DocumentNumbers.next("INV", year: 2026, on: tx)
                throw Boom()
            }
            let first = try await writeTransaction(db) { try await DocumentNumbers.next("INV", year: 2026, on: $0) }
            let otherYear = try await writeTransaction(db) { try await DocumentNumbers.next("INV", year: 2027, on: $0) }
            let otherSeries = try await writeTransaction(db) { try await DocumentNumbers.next("CN", year: 2026, on: $0) }
            #expect(first == "INV-2026-000001" && otherYear == "INV-2027-000001" && otherSeries == "CN-2026-000001")
        }
    }
}

@Suite("Outbox")
struct OutboxTests {
    struct Payload: Codable, Sendable { let name: String }

    @Test("An event written with its change is delivered once to its handlers")
    func delivers() async throws {
        try await withTestDatabase { db, context in
            let seen = Counter()
            context.events.on("thing.happened") { event, _ in
                #expect(event.payload == #"{"name":"x"}"#)
                await seen.add()
            }
            try await writeTransaction(db) { tx in try await context.publish("thing.happened", Payload(name: "x"), on: tx) }
            let logger = Logger(label: "test")
            #expect(try await Outbox.dispatch(on: db, handlers: context.events, clock: context.clock, logger: logger) == 1)
            #expect(try await Outbox.dispatch(on: db, handlers: context.events, clock: context.clock, logger: logger) == 0)
            #expect(await seen.value == 1)
        }
    }

    @Test("An event whose change rolls back is never written")
    func rollback() async throws {
        try await withTestDatabase { db, context in
            struct Boom: Error {}
            _ = try? await writeTransaction(db) { tx in
                try await context.publish("thing.happened", Payload(name: "x"), on: tx)
                throw Boom()
            }
            let recent = try await Outbox.recent(on: db)
            #expect(recent.isEmpty)
        }
    }

    @Test("A failing handler is retried with backoff, its writes rolled back, and marked failed after the last try")
    func retries() async throws {
        try await withTestDatabase { db, context in
            struct Refused: Error {}
            let clock = MutableClock()
            context.events.on("thing.happened") { _, tx in
                try await Settings.set("handler.wrote", "yes", on: tx)
                throw Refused()
            }
            try await writeTransaction(db) { tx in try await context.publish("thing.happened", Payload(name: "x"), on: tx) }
            let logger = Logger(label: "test")
            for attempt in 1...Outbox.attemptsMax {
                clock.advance(by: 4000)
                _ = try await Outbox.dispatch(on: db, handlers: context.events, clock: clock, logger: logger)
                let entry = try await Outbox.recent(on: db)[0]
                #expect(entry.event.attempts == attempt)
                #expect(entry.lastError?.contains("Refused") == true)
                #expect((entry.failedAt != nil) == (attempt == Outbox.attemptsMax))
            }
            #expect(try await Settings.get("handler.wrote", on: db) == nil)
        }
    }
}

extension OutboxTests {
    @Test("Due events are delivered in one transaction; a failing one is rolled back alone, audit and all, and retried")
    func batch() async throws {
        try await withTestDatabase { db, context in
            struct Refused: Error {}
            let transactions = NIOLockedValueBox<Set<Int64>>([])
            let hooksRun = NIOLockedValueBox<[String]>([])
            context.events.on("thing.happened") { event, tx in
                let transaction = try await GroupCommitTests.transaction(tx)
                transactions.withLockedValue { _ = $0.insert(transaction) }
                let name = try JSONDecoder().decode(Payload.self, from: Data(event.payload.utf8)).name
                try await Settings.set("handled.\(name)", "yes", on: tx)
                try await context.audit(tx, .system, "thing.handle", entity: "thing", id: name,
                                        before: nil as Payload?, after: Payload(name: name))
                CommitHooks.afterCommit { hooksRun.withLockedValue { $0.append(name) } }
                if name == "b" { throw Refused() }
            }
            for name in ["a", "b", "c"] {
                try await writeTransaction(db) { tx in try await context.publish("thing.happened", Payload(name: name), on: tx) }
            }
            let logger = Logger(label: "test")
            #expect(try await Outbox.dispatch(on: db, handlers: context.events, clock: context.clock, logger: logger) == 2)
            #expect(transactions.withLockedValue { $0.count } == 1)
            #expect(hooksRun.withLockedValue { $0 } == ["a", "c"])
            #expect(try await Settings.get("handled.a", on: db) == "yes")
            #expect(try await Settings.get("handled.b", on: db) == nil)
            #expect(try await Settings.get("handled.c", on: db) == "yes")
            let recent = try await Outbox.recent(on: db)
            let failed = try #require(recent.first { $0.deliveredAt == nil })
            #expect(failed.event.attempts == 1 && failed.lastError?.contains("Refused") == true && failed.failedAt == nil)
            #expect(recent.filter { $0.deliveredAt != nil }.count == 2)
            // The rolled-back audit record left no trace: the chain and its head file agree.
            let report = try await AuditVerifier.verify(on: db, headPath: context.config.auditHeadPath)
            #expect(report.isIntact, "\(report)")
            #expect(report.warning == nil)
        }
    }
}

actor Counter {
    var value = 0
    func add() { value += 1 }
}

/// A clock tests move forward by hand.
final class MutableClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var instant = Date()
    func now() -> Date { lock.withLock { instant } }
    func advance(by seconds: TimeInterval) { lock.withLock { instant = instant.addingTimeInterval(seconds) } }
}
