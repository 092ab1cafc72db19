import Foundation
import KeelTesting
import Kernel
@testable import Ledger
import Platform
import Testing

/// A deterministic pseudo-random company journal: sales, purchases, payroll, rent, USD income.
func generatedBooks(entries: Int, seed: UInt64) -> [ProposedEntry] {
    var state = seed
    func next(_ bound: Int64) -> Int64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int64((state >> 33) % UInt64(bound))
    }
    var result: [ProposedEntry] = []
    for index in 0..<entries {
        let date = CivilDate(2025, 1, 1).addingDays(Int(next(700)))
        let amount = 100 + next(2_000_000)
        let kind = next(5)
        let lines: [ProposedLine]
        switch kind {
        case 0:
            let tax = amount * 19 / 100
            lines = [ProposedLine(account: "1100", debit: amount + tax, currency: .eur),
                     ProposedLine(account: "4000", credit: amount, currency: .eur),
                     ProposedLine(account: "2100", credit: tax, currency: .eur)]
        case 1:
            lines = [ProposedLine(account: "5000", debit: amount, currency: .eur),
                     ProposedLine(account: "2000", credit: amount, currency: .eur)]
        case 2:
            lines = [ProposedLine(account: "6000", debit: amount, currency: .eur),
                     ProposedLine(account: "1010", credit: amount, currency: .eur)]
        case 3:
            let functional = amount * 92 / 100 + 1
            lines = [ProposedLine(account: "1010", debit: amount, currency: .usd, functionalAmount: functional),
                     ProposedLine(account: "4100", credit: functional, currency: .eur)]
        default:
            lines = [ProposedLine(account: "1010", debit: amount, currency: .eur),
                     ProposedLine(account: "1100", credit: amount, currency: .eur, memo: "receipt; ref \(index)")]
        }
        result.append(ProposedEntry(journal: ["SAL", "PUR", "PAY", "BNK", "BNK"][Int(kind)], date: date,
                                    memo: "Generated \(index)", lines: lines))
    }
    return result
}

/// Parses `hledger bal --flat -N -O csv --layout=bare` into "account|currency" -> decimal text.
func parseHledgerCSV(_ text: String) -> [String: String] {
    var result: [String: String] = [:]
    for line in text.split(separator: "\n").dropFirst() {
        let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        guard fields.count == 3 else { continue }
        result["\(fields[0])|\(fields[1])"] = fields[2]
    }
    return result
}

/// Parses `ledger bal --flat --no-total`: amount lines, the account name on the last line of each group.
func parseLedgerBalance(_ text: String) -> [String: String] {
    var result: [String: String] = [:]
    var pending: [(String, String)] = []
    for line in text.split(separator: "\n") {
        let parts = line.trimmingCharacters(in: .whitespaces).components(separatedBy: "  ")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let amount = parts[0].split(separator: " ")
        guard amount.count == 2 else { continue }
        pending.append((String(amount[0]), String(amount[1])))
        if parts.count > 1 {
            for (value, currency) in pending { result["\(parts[1])|\(currency)"] = value }
            pending = []
        }
    }
    return result
}

@Suite("Plain-text accounting: the books agree with ledger-cli and hledger")
struct OracleTests {
    func keelBalances(_ ledger: LedgerService) async throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try await ledger.trialBalance(asOf: CivilDate(2030, 12, 31)) {
            result["\(row.account.fullName)|\(row.currency.code)"] = Money(minorUnits: row.balance, currency: row.currency).decimalString
        }
        return result
    }

    @Test("Exported books give, account by account, the balances Keel shows",
          .enabled(if: Oracles.usable("ledger") && Oracles.usable("hledger"), "needs ledger and hledger"))
    func exportMatchesOracles() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            let generated = generatedBooks(entries: 600, seed: 42)
            _ = try await ledger.post(batch: generated, by: .system, auditAs: "generated")
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("keel-\(UUID().uuidString).ledger")
            defer { try? FileManager.default.removeItem(at: file) }
            var text = ""
            let count = try await ledger.exportLedger { text += $0 }
            try text.write(to: file, atomically: true, encoding: .utf8)
            #expect(count == 600)
            let ours = try await keelBalances(ledger)
            #expect(ours.count >= 9)
            let ledgerCLI = parseLedgerBalance(try Oracles.run("ledger", ["-f", file.path, "bal", "--flat", "--no-total"]))
            #expect(ledgerCLI == ours)
            let hledger = parseHledgerCSV(try Oracles.run("hledger", ["-f", file.path, "bal", "--flat", "-N", "-O", "csv",
                                                                       "--layout=bare"]))
            #expect(hledger == ours)
        }
    }

    static let beancountBalances = """
        import sys
        from collections import defaultdict
        from beancount import loader
        from beancount.core import data
        entries, errors, options = loader.load_file(sys.argv[1])
        if errors:
            sys.exit("\\n".join(str(error) for error in errors))
        sums = defaultdict(int)
        for entry in entries:
            if isinstance(entry, data.Transaction):
                for posting in entry.postings:
                    sums[(posting.account, posting.units.currency)] += posting.units.number
        for (account, currency), value in sorted(sums.items()):
            if value != 0:
                print(f"{account}|{currency}|{value}")
        """

    @Test("Exported beancount passes bean-check, shows Keel's balances in beancount, and imports back exactly",
          .enabled(if: Oracles.usable("bean-check"), "needs beancount (pip install beancount)"))
    func beancountRoundTrip() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            _ = try await ledger.post(batch: generatedBooks(entries: 400, seed: 7), by: .system, auditAs: "generated")
            _ = try await ledger.closeYear(endingOn: CivilDate(2025, 12, 31), by: .system)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("keel-\(UUID().uuidString).beancount")
            defer { try? FileManager.default.removeItem(at: file) }
            var text = ""
            #expect(try await ledger.export(.beancount) { text += $0 } == 401)
            try text.write(to: file, atomically: true, encoding: .utf8)
            _ = try Oracles.run("bean-check", [file.path])
            var theirs: [String: String] = [:]
            for line in try Oracles.run("python3", ["-c", Self.beancountBalances, file.path]).split(separator: "\n") {
                let fields = line.split(separator: "|").map(String.init)
                theirs["\(fields[0])|\(fields[1])"] = fields[2]
            }
            let accounts = Dictionary(uniqueKeysWithValues: try await ledger.accounts().map { ($0.fullName, $0) })
            var ours: [String: String] = [:]
            for (key, value) in try await keelBalances(ledger) {
                let parts = key.split(separator: "|").map(String.init)
                ours["\(PlainTextExport.beancountName(accounts[parts[0]]!))|\(parts[1])"] = value
            }
            #expect(ours.count >= 9 && theirs == ours)
            let before = try await keelBalances(ledger)
            let statement = try await ledger.incomeStatement([try DateRange(from: CivilDate(2025, 1, 1), to: CivilDate(2025, 12, 31))])
            try await withTestDatabase { other, otherContext in
                let fresh = LedgerService(db: other, context: otherContext)
                let summary = try await fresh.importJournal(path: file.path, format: .beancount, by: .system)
                #expect(summary.companyCreated && summary.entries == 401 && summary.accountsCreated == 0)
                #expect(try await keelBalances(fresh) == before)
                // The closing entry comes back in the closing journal, so the year's statement reads the same.
                let again = try await fresh.incomeStatement([try DateRange(from: CivilDate(2025, 1, 1), to: CivilDate(2025, 12, 31))])
                #expect(again.amounts(of: "Net income") == statement.amounts(of: "Net income"))
            }
        }
    }

    @Test("Beancount constructs outside the subset are refused with their line, and nothing is written")
    func beancountRefusals() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("keel-\(UUID().uuidString).beancount")
            defer { try? FileManager.default.removeItem(at: file) }
            try """
                option "operating_currency" "EUR"
                2026-01-01 open Assets:Bank EUR
                2026-01-02 * "Shop" "Paper" #office ^inv-9
                  receipt: "R-17"
                  Expenses:Office  12.50 EUR
                  Assets:Bank
                2026-01-03 balance Assets:Bank  -12.50 EUR
                2026-01-04 * "Shares"
                  Assets:Broker  10 ACME {12.00 EUR}
                  Assets:Bank
                2026-01-05 * "Lunch"
                  Expenses:Food  10.00 USD @ 0.9 EUR
                  Assets:Bank

                """.write(to: file, atomically: true, encoding: .utf8)
            let error = await #expect(throws: DomainError.self) {
                _ = try await ledger.importJournal(path: file.path, format: .beancount, by: .system)
            }
            #expect(error?.items.map { "\($0.line ?? 0) \($0.code)" } == [
                "7 import.unsupported", "9 import.unsupported", "12 import.unsupported"])
            #expect(try await ledger.entries().isEmpty)
            // Without the refused lines it imports, with tags, links and metadata in the memo.
            try """
                option "operating_currency" "EUR"
                2026-01-01 open Assets:Bank EUR
                2026-01-02 * "Shop" "Paper" #office ^inv-9
                  receipt: "R-17"
                  Expenses:Office  12.50 EUR
                  Assets:Bank

                """.write(to: file, atomically: true, encoding: .utf8)
            let summary = try await ledger.importJournal(path: file.path, format: .beancount, by: .system)
            #expect(summary.entries == 1 && summary.accountsCreated == 2)
            let entry = try await ledger.entry(id: try await ledger.entries()[0].id)
            #expect(entry.memo == "Shop - Paper [#office ^inv-9; receipt: R-17]")
            #expect(entry.lines.map(\.account.fullName) == ["Expenses:Office", "Assets:Bank"])
        }
    }
}
