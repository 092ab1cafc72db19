import ArgumentParser
import Fluent
import Foundation
import Kernel
import Ledger
import Platform
import Vapor
import Web

/// `keel bench ledger`: a generated company journal imported into Keel and read by ledger-cli and hledger, then
/// reports and batch posting on the imported book. Prints one line per figure for BENCHMARKS.md.
struct LedgerBench: AsyncParsableCommand, BenchReporting {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Import a generated journal (vs ledger-cli and hledger), then time reports and batch posting.")

    @ArgumentParser.Option(help: "Transactions in the generated journal.") var transactions = 1_000_000
    @ArgumentParser.Option(help: "Entries to post in batches after the import, dated day after day through 2027.")
    var batchEntries = 100_000
    @ArgumentParser.Option(help: "Entries to post in batches after those, dated at random in 2027 (the worst case).")
    var scatteredEntries = 20_000
    @ArgumentParser.Option(help: "Entries per batch.") var batchSize = 10_000
    @ArgumentParser.Option(help: "A PostgreSQL URL (an empty database) instead of a scratch SQLite file.")
    var databaseURL: String?
    @ArgumentParser.Flag(help: "Do not run ledger and hledger.") var skipOracles = false
    @ArgumentParser.Option(help: "Keep the generated journal at this path.") var journal: String?

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = journal ?? folder.appendingPathComponent("company.ledger").path
        let generation = try timed { try Self.generate(transactions: transactions, to: path) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        say("journal: \(transactions) transactions, \(size / 1_000_000) MB, generated in \(seconds(generation)) s")
        // What `ledger bal` and `hledger bal` took on the same file, for the ratios printed after the import.
        var oracles: [OracleRun] = []
        if !skipOracles {
            for tool in ["ledger", "hledger"] {
                guard let executable = ["/usr/bin", "/usr/local/bin"].map({ "\($0)/\(tool)" })
                    .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                    say("\(tool): not installed, skipped")
                    continue
                }
                var peak = 0
                let duration = try timed { peak = try Self.runMeasured(executable, ["-f", path, "bal"]) }
                say(line("\(tool) bal", duration, memory: peak))
                oracles.append(OracleRun(tool: tool, duration: duration, memory: peak))
            }
        }
        let location: DatabaseLocation = try databaseURL.map { try DatabaseLocation.parse($0) }
            ?? .sqlite(path: folder.appendingPathComponent("bench.sqlite").path)
        var config = KeelConfig(database: location, auditHeadPath: folder.appendingPathComponent("head").path)
        config.bcryptCost = 4
        try await withApplication(config: config) { app, _ in
            // As `keel import` does: the import may close the readers to write through a rollback journal.
            DatabaseSetup.allowBulkWrites(app)
            say("database: \(app.db.isPostgres ? "PostgreSQL" : "SQLite (WAL, synchronous=FULL)")")
            let memoryBefore = Self.peakMemory(RUSAGE_SELF)
            var summary: ImportSummary?
            let importing = try await timedAsync {
                summary = try await LedgerService(db: app.db, context: app.keelContext)
                    .importJournal(path: path, currency: "EUR", by: .system)
            }
            // Taken after the import, which reopened the readers.
            let ledger = LedgerService(db: app.db, context: app.keelContext)
            let importMemory = max(Self.peakMemory(RUSAGE_SELF), memoryBefore)
            say(line("keel import ledger (\(summary?.entries ?? 0) entries)", importing, memory: importMemory))
            for oracle in oracles {
                say(Self.ratio(importing, importMemory, against: oracle))
            }
            if app.db.isPostgres {
                // What PostgreSQL's manual advises after a bulk load ("Populating a Database"), then a checkpoint.
                // Without them the autovacuum of the freshly written tables, and the checkpoint of the import's
                // gigabyte of WAL, ran during the timed posting below on the same two cores and disk, and moved
                // that figure by a third between otherwise equal runs (BENCHMARKS.md).
                let settling = try await timedAsync {
                    try await app.db.sql.raw("""
                        VACUUM (ANALYZE) ledger_entries, ledger_lines, ledger_balances, ledger_daily_balances, audit_log
                        """).run()
                }
                say(line("VACUUM (ANALYZE) after the import", settling))
                do {
                    say(line("CHECKPOINT", try await timedAsync { try await app.db.sql.raw("CHECKPOINT").run() }))
                } catch {
                    // It needs a superuser or the pg_checkpoint role; without it the figures below are less settled.
                    say("CHECKPOINT: skipped (\(String(reflecting: error)))")
                }
            } else {
                say("the import wrote through " + (DatabaseSetup.rollbackJournalTransactions(app) > 0
                    ? "a rollback journal" : "the WAL (another connection had the file open)"))
            }
            let end = CivilDate(2026, 12, 31)
            let year = try DateRange(from: CivilDate(2026, 1, 1), to: end)
            try await report("trial balance", runs: 5) { _ = try await ledger.trialBalance(asOf: end) }
            try await report("trial balance mid-month", runs: 5) { _ = try await ledger.trialBalance(asOf: CivilDate(2026, 6, 15)) }
            try await report("balance sheet", runs: 5) { _ = try await ledger.balanceSheet(asOf: [end]) }
            try await report("income statement (year)", runs: 5) { _ = try await ledger.incomeStatement([year]) }
            try await report("general ledger, first page of Bank", runs: 5) {
                _ = try await ledger.generalLedger(account: "1010", range: year, limit: 100)
            }
            try await report("general ledger, page 1,000 of Bank", runs: 5) {
                _ = try await ledger.generalLedger(account: "1010", range: year, limit: 100, offset: 100_000)
            }
            // A batch is a run of the company's days (a day's sales, a payroll run, a bank statement), so its dates
            // are close together; the scattered run dates each entry anywhere in the year, touching pages all over
            // the indexes by date.
            var seed: UInt64 = 99
            let first = CivilDate(2027, 1, 1)
            let inOrder = try await postBatches(ledger, count: batchEntries, from: 0) { index in
                Self.entry(index: index, seed: &seed, date: first.addingDays(index * 365 / max(batchEntries, 1)))
            }
            if batchEntries > 0 {
                say(line("batch posting (\(batchSize) a batch), dates in order", inOrder, count: batchEntries))
            }
            let scattered = try await postBatches(ledger, count: scatteredEntries, from: batchEntries) { index in
                let day = Int(Self.next(&seed, 365))
                return Self.entry(index: index, seed: &seed, date: first.addingDays(day))
            }
            if scatteredEntries > 0 {
                say(line("batch posting (\(batchSize) a batch), dates scattered", scattered, count: scatteredEntries))
            }
            let problems = try await ledger.verifyBooks()
            say("verify: " + (problems.isEmpty ? "books balance" : "\(problems.count) problems"))
        }
    }

    /// Posts `count` entries made by `make` (given each entry's running index) in batches of `batchSize`, and
    /// returns the time spent posting: each batch is made before its clock starts, as a caller hands over entries
    /// it already has.
    func postBatches(_ ledger: LedgerService, count: Int, from start: Int,
                     _ make: (Int) -> ProposedEntry) async throws -> Duration {
        var posting = Duration.zero
        var done = 0
        while done < count {
            let batch = (0..<min(batchSize, count - done)).map { make(start + done + $0) }
            posting += try await timedAsync {
                done += try await ledger.post(batch: batch, by: .system, auditAs: "bench-\(start + done)").count
            }
        }
        return posting
    }

    /// What one reference tool's `bal` took on the benchmark's journal.
    struct OracleRun {
        let tool: String
        let duration: Duration
        let memory: Int
    }

    /// The import's time and peak memory against a tool's `bal` on the same file: "0.95x the time, 0.06x the peak
    /// memory". The target is the time of `ledger bal` or less (1.00x).
    static func ratio(_ importing: Duration, _ memory: Int, against oracle: OracleRun) -> String {
        let time = importing / oracle.duration
        let space = Double(memory) / Double(max(oracle.memory, 1))
        return "keel import / \(oracle.tool) bal: "
            + String(format: "%.2fx the time, %.2fx the peak memory", time, space)
    }

    /// The next number below `bound` from a linear congruential generator (the same sequence on every run).
    static func next(_ seed: inout UInt64, _ bound: Int64) -> Int64 {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int64((seed >> 33) % UInt64(bound))
    }

    /// Sales with VAT (3 postings), purchases, payroll, rent and receipts (2 postings): ~2.5 postings a transaction.
    static func entry(index: Int, seed: inout UInt64, date: CivilDate) -> ProposedEntry {
        func next(_ bound: Int64) -> Int64 { Self.next(&seed, bound) }
        let amount = 100 + next(2_000_000)
        let lines: [ProposedLine]
        switch next(4) {
        case 0, 1:
            let tax = amount * 19 / 100
            lines = [ProposedLine(account: "1100", debit: amount + tax, currency: .eur),
                     ProposedLine(account: "4000", credit: amount, currency: .eur),
                     ProposedLine(account: "2100", credit: tax, currency: .eur)]
        case 2:
            lines = [ProposedLine(account: "1010", debit: amount, currency: .eur),
                     ProposedLine(account: "1100", credit: amount, currency: .eur)]
        default:
            lines = [ProposedLine(account: ["5000", "6000", "6100", "6200"][Int(next(4))], debit: amount, currency: .eur),
                     ProposedLine(account: "1010", credit: amount, currency: .eur)]
        }
        return ProposedEntry(journal: "GEN", date: date, memo: "Bench \(index)", lines: lines)
    }

    /// Writes the journal in the ledger-cli syntax Keel exports, streaming.
    static func generate(transactions: Int, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw DomainError.invalid("bench.file", "Cannot write \(path)")
        }
        defer { try? handle.close() }
        let names = Dictionary(uniqueKeysWithValues: StandardChart.rows.map { ($0.code, $0.fullName) })
        var seed: UInt64 = 2026
        var buffer = ""
        for index in 0..<transactions {
            // Two years in date order, as a company's journal is kept.
            let entry = Self.entry(index: index, seed: &seed,
                                   date: CivilDate(2025, 1, 1).addingDays(index * 730 / max(transactions, 1)))
            buffer += "\(entry.date) \(entry.memo)\n"
            for line in entry.lines {
                let amount = line.debit ?? -(line.credit ?? 0)
                buffer += "    \(names[line.account]!)  \(Money(minorUnits: amount, currency: .eur).decimalString) EUR\n"
            }
            buffer += "\n"
            if buffer.utf8.count > 1 << 20 {
                handle.write(Data(buffer.utf8))
                buffer = ""
            }
        }
        handle.write(Data(buffer.utf8))
    }

    /// Runs a tool to completion, its output discarded; returns the peak memory of the children so far.
    static func runMeasured(_ executable: String, _ arguments: [String]) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DomainError.invalid("bench.tool_failed", "\(executable) exited with \(process.terminationStatus)")
        }
        return peakMemory(RUSAGE_CHILDREN)
    }

    static func peakMemory(_ who: __rusage_who) -> Int {
        var usage = rusage()
        getrusage(who.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
