import ArgumentParser
import Fluent
import Foundation
import Kernel
import Ledger
import Parties
import Platform
import Sales
import Vapor
import Web

/// `keel bench sales`: subscriptions billed by the billing run (the batch path), payments allocated oldest first, then
/// the aging and a customer statement on the resulting book. Prints one line per figure for BENCHMARKS.md.
struct SalesBench: AsyncParsableCommand, BenchReporting {
    static let configuration = CommandConfiguration(
        commandName: "sales",
        abstract: "Bill monthly subscriptions through the billing run, record payments, then time aging and statements.")

    @ArgumentParser.Option(help: "Customers, each with one monthly subscription.") var customers = 1_000
    @ArgumentParser.Option(help: "Monthly periods billed per subscription.") var periods = 100
    @ArgumentParser.Option(help: "A PostgreSQL URL (an empty database) instead of a scratch SQLite file.")
    var databaseURL: String?

    func run() async throws {
        try await withScratchApplication(databaseURL: databaseURL) { app in try await measure(app) }
    }

    func measure(_ app: Application) async throws {
        let db = app.db, context = app.keelContext
        say("keel bench sales on \(db.isPostgres ? "PostgreSQL" : "SQLite (WAL, synchronous=FULL)"): \(customers) "
            + "customers x \(periods) monthly periods")
        let ledger = LedgerService(db: db, context: context)
        _ = try await ledger.setUpCompany(name: "Bench GmbH", currency: "EUR", by: .system)
        _ = try await ledger.saveTaxCode(TaxCodeInput(code: "VAT19", name: "VAT 19 %", rate: "19", account: "2100"), by: .system)
        let parties = PartiesService(db: db, context: context)
        let sales = SalesService(db: db, context: context, products: LedgerReferences(db: db, context: context))
        let start = CivilDate(2018, 1, 1)
        let setup = try await timedAsync {
            for index in 0..<customers {
                let code = "B\(100_000 + index)"
                _ = try await parties.create(PartnerInput(code: code, name: "Bench customer \(index)",
                                                          paymentTerms: index % 3 == 0 ? "net 14" : "net 30"), by: .system)
                _ = try await sales.createOrder(OrderInput(
                    customer: code, orderDate: start.description,
                    billing: .init(kind: "recurring", interval: "month", start: start.description, periods: periods),
                    lines: [.init(description: "Subscription", unitPrice: "\(40 + index % 60).00", taxCode: "VAT19"),
                            .init(description: "Support", quantity: "2", unitPrice: "12.50", taxCode: "VAT19")],
                    confirm: true), by: .system)
            }
        }
        say(line("customers and confirmed orders", setup, count: customers))
        let end = start.addingMonths(periods - 1)
        var issued = 0
        let billing = try await timedAsync { issued = try await sales.runBilling(asOf: end, by: .system).count }
        say(line("billing run: invoices issued and posted", billing, count: issued))
        // Each customer pays all but its last three invoices, in one payment allocated oldest first.
        var receipts = 0
        let paying = try await timedAsync {
            for index in 0..<customers {
                let code = "B\(100_000 + index)"
                let gross = Int64((40 + index % 60) * 100 + 2_500) * 119 / 100
                let amount = gross * Int64(max(periods - 3, 0)) + gross / 2
                guard amount > 0 else { continue }
                _ = try await sales.recordReceipt(ReceiptInput(customer: code, date: end.description,
                                                               amount: Money(minorUnits: amount, currency: .eur).decimalString),
                                                  by: .system)
                receipts += 1
            }
        }
        say(line("receipts allocated oldest first", paying, count: receipts))
        var rows = 0
        try await report("AR aging on \(issued) invoices", runs: 5) {
            rows = try await sales.aging(asOf: end, by: .system).rows.count
        }
        say("  (aging rows: \(rows))")
        try await report("customer statement, one year", runs: 5) {
            _ = try await sales.statement(customer: "B100007", from: end.addingMonths(-12), to: end, by: .system)
        }
        try await report("invoice list, first page of overdue", runs: 5) {
            _ = try await sales.invoices(.init(state: .overdue, limit: 50), by: .system)
        }
        let total = try await sales.aging(asOf: end, by: .system).totals.first?.total ?? 0
        let receivable = try await ledger.trialBalance(asOf: end).filter { $0.account.subtype == .receivable }
            .reduce(0) { $0 + $1.functionalBalance }
        precondition(total == receivable, "the aging total must equal the receivable balance")
        say("  aging total = receivable balance = \(Money(minorUnits: total, currency: .eur).grouped) EUR")
    }
}

/// Timing and the one-line report format the benchmarks share.
protocol BenchReporting {}

extension BenchReporting {
    /// Runs `body` on a new SQLite file in a temporary folder (removed afterwards), or on `databaseURL` (an empty
    /// PostgreSQL database; the benchmark's rows stay there).
    func withScratchApplication(databaseURL: String?, _ body: (Application) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let location: DatabaseLocation = try databaseURL.map { try DatabaseLocation.parse($0) }
            ?? .sqlite(path: folder.appendingPathComponent("bench.sqlite").path)
        var config = KeelConfig(database: location, auditHeadPath: folder.appendingPathComponent("head").path)
        config.bcryptCost = 4
        try await withApplication(config: config) { app, _ in try await body(app) }
    }

    func report(_ what: String, runs: Int, _ work: () async throws -> Void) async throws {
        var durations: [Duration] = []
        for _ in 0..<runs { durations.append(try await timedAsync(work)) }
        durations.sort()
        say(line("\(what) (median of \(runs))", durations[runs / 2]))
    }

    func timed(_ work: () throws -> Void) throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        try work()
        return clock.now - start
    }

    func timedAsync(_ work: () async throws -> Void) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        try await work()
        return clock.now - start
    }

    func seconds(_ duration: Duration) -> String {
        String(format: "%.2f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    func line(_ what: String, _ duration: Duration, count: Int? = nil, memory: Int? = nil) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        // Labels longer than the column keep their whole text (they were cut at 46 characters).
        var text = what.count < 46 ? what.padding(toLength: 46, withPad: " ", startingAt: 0) : what + " "
        text += value < 1 ? String(format: "%9.1f ms", value * 1000) : String(format: "%9.2f s ", value)
        if let count { text += String(format: "   %8.0f /s", Double(count) / value) }
        if let memory { text += "   peak \(memory / 1_000_000) MB" }
        return text
    }
}
