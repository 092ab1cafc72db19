import ArgumentParser
import Fluent
import Foundation
import Kernel
import Platform
import Vapor
import Web

/// `keel bench`: measurements run on purpose, never by the tests. Results go into BENCHMARKS.md with the command.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Run benchmarks.",
                                                    subcommands: [PlatformBench.self, LedgerBench.self, SalesBench.self])
}

struct PlatformBench: AsyncParsableCommand, BenchReporting {
    static let configuration = CommandConfiguration(
        commandName: "platform",
        abstract: "Audited writes, document numbers and audit-chain verification on a scratch database.",
        discussion: """
            Uses a new SQLite file in a temporary folder, or --database-url (an empty PostgreSQL database; \
            the benchmark's rows stay there).
            """)

    @ArgumentParser.Option(help: "How many audited writes and numbers to take.") var writes = 2000
    @ArgumentParser.Option(help: "Concurrent writers for the parallel run.") var writers = 16
    @ArgumentParser.Option(help: "A PostgreSQL URL instead of a scratch SQLite file.") var databaseURL: String?

    func run() async throws {
        try await withScratchApplication(databaseURL: databaseURL) { app in try await measure(app) }
    }

    func measure(_ app: Application) async throws {
        let db = app.db
        let context = app.keelContext
        let count = writes
        say("keel bench platform on \(db.isPostgres ? "PostgreSQL" : "SQLite"), \(count) operations each")
        let sequential = try await timed {
            for index in 0..<count { try await auditedWrite(index, db, context) }
        }
        report("audited writes, one transaction each", count, sequential)
        let parallel = try await timed {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for index in stride(from: writer, to: count, by: writers) {
                            try await auditedWrite(count + index, db, context)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        report("audited writes, \(writers) concurrent writers", count, parallel)
        let numbers = try await timed {
            for _ in 0..<count {
                _ = try await writeTransaction(db) { try await DocumentNumbers.next("BENCH", year: 2026, on: $0) }
            }
        }
        report("document numbers, one transaction each", count, numbers)
        var rows: Int64 = 0
        let verify = try await timed {
            let chain = try await AuditVerifier.verify(on: db, headPath: context.config.auditHeadPath)
            precondition(chain.isIntact, "the benchmark's own chain must verify")
            rows = chain.rows
        }
        report("audit chain verification (rows)", Int(rows), verify)
    }

    func auditedWrite(_ index: Int, _ db: any Database, _ context: PlatformContext) async throws {
        try await writeTransaction(db) { tx in
            try await Settings.set("bench.\(index % 100)", String(index), on: tx)
            try await context.audit(tx, .system, "bench.write", entity: "setting", id: "bench.\(index % 100)",
                                    before: nil as String?, after: String(index))
        }
    }

    func timed(_ work: () async throws -> Void) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        try await work()
        return clock.now - start
    }

    func report(_ what: String, _ count: Int, _ duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(count) / seconds : 0
        let label = what.padding(toLength: 44, withPad: " ", startingAt: 0)
        say(label + String(format: " %8.0f /s   (%d in %.2f s)", rate, count, seconds))
    }
}
