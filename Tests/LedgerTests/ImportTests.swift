import Foundation
import KeelTesting
import Kernel
@testable import Ledger
import Platform
import SQLKit
import Testing

func writeTemp(_ text: String, _ name: String = "books.ledger") throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-import-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite("Importing plain-text journals")
struct ImportTests {
    static let sample = """
        ; A small company's first days
        account Assets:Checking

        2026-01-02 * (1) Opening balance
            Assets:Checking              5,000.00 EUR
            Equity:Opening Balances

        2026/01/05 ! Office chairs  ; bought online
            Expenses:Office:Furniture      349.90 EUR  ; two chairs
            Assets:Checking
            ; receipt: #4411

        2026-01-09 Consulting for ACME
            Assets:Checking   EUR 1200
            Revenue:Consulting   EUR -1200
        """

    @Test("A journal imports into a fresh database: company, accounts from names, elided amounts, one audit record")
    func imports() async throws {
        try await withTestDatabase { db, context in
            let ledger = LedgerService(db: db, context: context)
            let path = try writeTemp(Self.sample)
            let summary = try await ledger.importJournal(path: path, by: .system)
            #expect(summary.entries == 3 && summary.companyCreated)
            #expect(try await ledger.company()?.currency == .eur)
            let rows = try await ledger.trialBalance(asOf: CivilDate(2026, 12, 31))
            let balances = Dictionary(uniqueKeysWithValues: rows.map { ($0.account.fullName, $0.balance) })
            #expect(balances["Assets:Checking"] == 585_010)
            #expect(balances["Expenses:Office:Furniture"] == 34_990)
            #expect(balances["Revenue:Consulting"] == -120_000)
            #expect(balances["Equity:Opening Balances"] == -500_000)
            let audit = try await AuditChain.list(on: db, filter: .init(action: "ledger.import"))
            #expect(audit.count == 1 && audit[0].entityID == summary.sha256)
            #expect(try await AuditChain.list(on: db, filter: .init(action: "ledger.entry.post")).isEmpty)
        }
    }

    @Test("A posting in another currency without @@ takes the rate on file for its date; one dated before any rate is refused at its line")
    func foreignPostingsTakeTheRateOnFile() async throws {
        try await withTestDatabase { db, context in
            let ledger = LedgerService(db: db, context: context)
            _ = try await ledger.setUpCompany(name: "Acme", currency: "EUR", by: .system)
            _ = try await ledger.setRates([(line: 2, currency: "USD", date: "2026-03-01", rate: "0.9")], source: "test",
                                          by: .system)
            let early = try writeTemp("""
                2026-03-10 Invoice paid in dollars
                    Assets:Dollar Account   100.00 USD
                    Income:Sales   -100.00 USD

                2026-02-20 Before any rate
                    Assets:Dollar Account   10.00 USD
                    Income:Sales   -10.00 USD
                """)
            let error = await #expect(throws: DomainError.self) { _ = try await ledger.importJournal(path: early, by: .system) }
            // Each of its two lines lacks a rate.
            #expect(error?.items.map(\.line) == [5, 5])
            #expect(error?.items.allSatisfy { $0.code == "ledger.rate.missing" } == true)
            let good = try writeTemp("""
                2026-03-10 Invoice paid in dollars
                    Assets:Dollar Account   100.00 USD
                    Income:Sales   -100.00 USD
                """)
            #expect(try await ledger.importJournal(path: good, by: .system).entries == 1)
            let rows = try await ledger.trialBalance(asOf: CivilDate(2026, 12, 31))
            let bank = rows.first { $0.account.fullName == "Assets:Dollar Account" }
            #expect(bank?.currency.code == "USD" && bank?.balance == 10_000 && bank?.functionalBalance == 9_000)
        }
    }

    @Test("A file imported before is refused, naming when; --again imports it once more, and a changed file imports")
    func refusesTheSameFileTwice() async throws {
        try await withTestDatabase { db, context in
            let ledger = LedgerService(db: db, context: context)
            let path = try writeTemp(Self.sample)
            let first = try await ledger.importJournal(path: path, by: .system)
            // The hash taken before an import, to refuse a repeat at once, is the one the import records.
            #expect(try JournalChunks.sha256(path: path) == first.sha256)
            let before = try await ledger.trialBalance(asOf: CivilDate(2026, 12, 31))
            let error = await #expect(throws: DomainError.self) {
                _ = try await ledger.importJournal(path: path, by: .system)
            }
            #expect(error?.code == "import.already_imported" && error?.kind == .conflict)
            #expect(error?.message.contains("books.ledger") == true && error?.message.contains("(3 entries)") == true)
            #expect(error?.message.contains("--again") == true)
            #expect(try await ledger.trialBalance(asOf: CivilDate(2026, 12, 31)) == before)
            #expect(try await AuditChain.list(on: db, filter: .init(action: "ledger.import")).count == 1)
            // The same bytes under another name are the same file.
            let copy = try writeTemp(Self.sample, "copy.ledger")
            let repeated = await #expect(throws: DomainError.self) { _ = try await ledger.importJournal(path: copy, by: .system) }
            #expect(repeated?.message.hasPrefix("copy.ledger has the same content") == true)
            #expect(repeated?.message.contains("as books.ledger, imported at") == true)
            let again = try await ledger.importJournal(path: path, again: true, by: .system)
            #expect(again.sha256 == first.sha256 && again.entries == 3 && !again.companyCreated)
            let doubled = try await ledger.trialBalance(asOf: CivilDate(2026, 12, 31))
            #expect(doubled.map(\.balance) == before.map { $0.balance * 2 })
            // Line ends in CR LF and no line feed at the end hash as the import reads them.
            let crlf = try writeTemp(Self.sample.replacingOccurrences(of: "\n", with: "\r\n") + "; end", "crlf.ledger")
            #expect(try await ledger.importJournal(path: crlf, by: .system).sha256 == (try JournalChunks.sha256(path: crlf)))
            // One more line makes it another file.
            let changed = try writeTemp(Self.sample + "\n\n2026-01-10 Stamps\n    Expenses:Office:Post  1.10 EUR\n    Assets:Checking\n")
            #expect(try await ledger.importJournal(path: changed, by: .system).entries == 4)
        }
    }

    @Test("Every problem is reported with its line, and nothing is written")
    func refusesWithLines() async throws {
        try await withTestDatabase { db, context in
            let ledger = LedgerService(db: db, context: context)
            let path = try writeTemp("""
                2026-01-02 Fine
                    Assets:Bank   10.00 EUR
                    Income:Sales

                2026-01-03 Two elided
                    Assets:Bank
                    Income:Sales

                2026-02-30 Bad date
                    Assets:Bank   1.00 EUR
                    Income:Sales

                2026-01-04 Unit price
                    Assets:Bank   10 AAPL @ 150.00 EUR
                    Income:Sales

                2026-01-05 Not a currency
                    Assets:Bank   10.00 XYZ
                    Income:Sales

                2026-01-06 Unknown root
                    Stuff:Things   1.00 EUR
                    Income:Sales

                commodity EUR
                """)
            do {
                _ = try await ledger.importJournal(path: path, by: .system)
                Issue.record("the file should have been refused")
            } catch let error as DomainError {
                #expect(error.code == "import.invalid")
                #expect(error.items.map(\.line) == [5, 9, 14, 18, 22, 25])
                #expect(error.message.hasPrefix("books.ledger:5:"))
            }
            #expect(try await ledger.company() == nil)
        }
    }

    /// A journal of `count` sales, one a day from 2026-01-01; `extra` maps a transaction's number to text put before it.
    static func longJournal(_ count: Int, extra: [Int: String] = [:]) -> String {
        var text = ""
        for index in 0..<count {
            if let before = extra[index] { text += before + "\n" }
            let date = CivilDate(2026, 1, 1).addingDays(index % 700)
            text += "\(date) Sale \(index)\n    Assets:Bank  \(index % 90 + 10).00 EUR\n    Income:Sales\n\n"
        }
        return text
    }

    @Test("Longer than a chunk: late accounts are created; a problem near the end rolls back every chunk, reported with the books' problems")
    func problemsAfterTheFirstChunk() async throws {
        let count = LedgerService.importEntriesPerChunk + 500
        let late = LedgerService.importEntriesPerChunk + 300
        try await withTestDatabase { db, context in
            let ledger = LedgerService(db: db, context: context)
            let bad = try writeTemp(Self.longJournal(count, extra: [
                10: "2026-01-11 Unbalanced\n    Assets:Bank  5.00 EUR\n    Income:Sales  -4.00 EUR\n",
                late: "2026-02-01 Stamps\n    Expenses:Post  1.10 EUR\n    Assets:Bank\n",
                count - 1: "2026-13-01 Bad date\n    Assets:Bank  1.00 EUR\n    Income:Sales\n",
            ]))
            let error = await #expect(throws: DomainError.self) { _ = try await ledger.importJournal(path: bad, by: .system) }
            #expect(error?.code == "import.invalid")
            #expect(error?.items.map(\.code) == ["ledger.entry.unbalanced", "import.date"])
            #expect(error?.items.first?.line == 41)
            #expect(try await ledger.company() == nil)
            #expect(try await AuditChain.list(on: db, filter: .init(action: "ledger.import")).isEmpty)

            let good = try writeTemp(Self.longJournal(count, extra: [
                late: "2026-02-01 Stamps\n    Expenses:Post  1.10 EUR\n    Assets:Bank\n"]))
            let summary = try await ledger.importJournal(path: good, by: .system)
            #expect(summary.entries == count + 1 && summary.companyCreated)
            let balances = Dictionary(uniqueKeysWithValues: try await ledger.trialBalance(asOf: CivilDate(2030, 1, 1))
                .map { ($0.account.fullName, $0.balance) })
            #expect(balances["Expenses:Post"] == 110)
            var sales: Int64 = 0
            for index in 0..<count { sales += Int64(index % 90 + 10) * 100 }
            #expect(balances["Assets:Bank"] == sales - 110)
            #expect(try await ledger.verifyBooks().isEmpty)
        }
    }

    @Test("On PostgreSQL an import leaves the planner's statistics fresh (ANALYZE)",
          .enabled(if: TestDatabases.isPostgres, "PostgreSQL only"))
    func analyzesOnPostgres() async throws {
        try await withTestDatabase { db, context in
            let sql = db as! any SQLDatabase
            func analyzed() async throws -> Int {
                try await sql.raw("""
                    SELECT count(*) AS n FROM pg_stat_user_tables
                    WHERE relname IN ('ledger_entries', 'ledger_lines') AND last_analyze IS NOT NULL
                    """).first()!.decode(column: "n", as: Int.self)
            }
            #expect(try await analyzed() == 0)
            _ = try await LedgerService(db: db, context: context).importJournal(path: try writeTemp(Self.sample), by: .system)
            #expect(try await analyzed() == 2)
        }
    }

    @Test("Chunks are checked while the one before is written: entries are numbered in file order, and problems in several chunks are all reported")
    func chunksOverlap() async throws {
        let chunk = LedgerService.importEntriesPerChunk
        let count = 2 * chunk + 10
        func journal(unbalanced: Set<Int>) -> String {
            (0..<count).map { index in
                let date = CivilDate(2026, 1, 1).addingDays(index % 300)
                let credit = unbalanced.contains(index) ? "  -1.00 EUR" : ""
                return "\(date) Sale \(index)\n    Assets:Bank  2.00 EUR\n    Income:Sales\(credit)\n\n"
            }.joined()
        }
        try await withTestDatabase { db, context in
            let ledger = LedgerService(db: db, context: context)
            // One unbalanced entry in the first chunk and one in the third: each is reported with its line.
            let bad = try writeTemp(journal(unbalanced: [5, 2 * chunk + 3]))
            let error = await #expect(throws: DomainError.self) { _ = try await ledger.importJournal(path: bad, by: .system) }
            #expect(error?.code == "import.invalid")
            #expect(error?.items.map(\.code) == ["ledger.entry.unbalanced", "ledger.entry.unbalanced"])
            #expect(error?.items.map(\.line) == [5 * 4 + 1, (2 * chunk + 3) * 4 + 1])
            #expect(try await ledger.company() == nil)

            let summary = try await ledger.importJournal(path: try writeTemp(journal(unbalanced: [])), by: .system)
            #expect(summary.entries == count)
            let numbers = Dictionary(uniqueKeysWithValues: try await (db as! any SQLDatabase)
                .select().columns("memo", "number").from("ledger_entries").all()
                .map { (try $0.decode(column: "memo", as: String.self), try $0.decode(column: "number", as: String.self)) })
            #expect(numbers.count == count)
            for index in [0, chunk - 1, chunk, 2 * chunk, count - 1] {
                #expect(numbers["Sale \(index)"] == DocumentNumbers.format(series: "GEN", year: 2026, value: Int64(index + 1)))
            }
            #expect(try await ledger.trialBalance(asOf: CivilDate(2027, 1, 1))
                .first { $0.account.fullName == "Assets:Bank" }?.balance == Int64(count) * 200)
            #expect(try await ledger.verifyBooks().isEmpty)
        }
    }

    @Test("On a fresh database, an operating currency declared after the first chunk is refused: the first transactions set the books up")
    func lateOperatingCurrency() async throws {
        var text = "2026-01-01 open Assets:Bank\n2026-01-01 open Income:Sales\n\n"
        for index in 0...LedgerService.importEntriesPerChunk {
            text += "2026-01-02 * \"Sale \(index)\"\n  Assets:Bank  1.00 EUR\n  Income:Sales\n\n"
        }
        text += "option \"operating_currency\" \"USD\"\n"
        let path = try writeTemp(text, "late.beancount")
        try await withTestDatabase { db, context in
            let ledger = LedgerService(db: db, context: context)
            let error = await #expect(throws: DomainError.self) {
                _ = try await ledger.importJournal(path: path, format: .beancount, by: .system)
            }
            #expect(error?.code == "import.currency_declared_late")
            #expect(error?.message.contains("declares USD") == true)
            #expect(try await ledger.company() == nil)
            // Given the currency, the file imports.
            let summary = try await ledger.importJournal(path: path, format: .beancount, currency: "EUR", by: .system)
            #expect(summary.entries == LedgerService.importEntriesPerChunk + 1)
        }
        // Declared before the first transaction, the operating currency (quoted, as beancount writes it) sets the
        // books up, though the first posting is in another currency.
        let declared = try writeTemp("""
            option "operating_currency" "CHF"
            2026-01-02 * "Lunch"
              Expenses:Food  10.00 EUR @@ 9.50 CHF
              Assets:Bank

            """, "declared.beancount")
        try await withTestDatabase { db, context in
            let ledger = LedgerService(db: db, context: context)
            let summary = try await ledger.importJournal(path: declared, format: .beancount, by: .system)
            #expect(summary.companyCreated && summary.entries == 1)
            #expect(try await ledger.company()?.currency == Currency(code: "CHF"))
        }
    }

    @Test("Problems only the books can see (unbalanced, closed period) also roll the whole import back")
    func booksProblems() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            _ = try await ledger.closePeriod("2026-02", by: .system)
            let path = try writeTemp("""
                2026-01-02 Good
                    Assets:Current Assets:Bank   10.00 EUR
                    Income:Sales   -10.00 EUR

                2026-01-03 Unbalanced
                    Assets:Current Assets:Bank   10.00 EUR
                    Income:Sales   -9.00 EUR

                2026-02-03 Closed month
                    Assets:Current Assets:Bank   10.00 EUR
                    Income:Sales   -10.00 EUR
                """)
            do {
                _ = try await ledger.importJournal(path: path, by: .system)
                Issue.record("the file should have been refused")
            } catch let error as DomainError {
                #expect(error.items.map(\.line) == [5, 9])
                #expect(error.items.map(\.code) == ["ledger.entry.unbalanced", "ledger.period.closed"])
            }
            #expect(try await ledger.trialBalance(asOf: CivilDate(2026, 12, 31)).isEmpty)
            #expect(try await ledger.accounts().count == StandardChart.rows.count)
        }
    }

    @Test("Export then import into a fresh database round-trips exactly",
          .enabled(if: Oracles.usable("ledger"), "needs ledger"))
    func roundTrip() async throws {
        var exported = ""
        var original: [String: Int64] = [:]
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            _ = try await ledger.post(batch: generatedBooks(entries: 400, seed: 7), by: .system, auditAs: "generated")
            _ = try await ledger.exportLedger { exported += $0 }
            for row in try await ledger.trialBalance(asOf: CivilDate(2030, 1, 1)) {
                original["\(row.account.fullName)|\(row.currency.code)"] = row.balance
            }
        }
        let path = try writeTemp(exported)
        try await withTestDatabase { db, context in
            let ledger = LedgerService(db: db, context: context)
            let summary = try await ledger.importJournal(path: path, by: .system)
            #expect(summary.entries == 400)
            var imported: [String: Int64] = [:]
            for row in try await ledger.trialBalance(asOf: CivilDate(2030, 1, 1)) {
                imported["\(row.account.fullName)|\(row.currency.code)"] = row.balance
            }
            #expect(imported == original)
            // And ledger-cli, reading the same file, agrees with what was imported.
            var ours: [String: String] = [:]
            for row in try await ledger.trialBalance(asOf: CivilDate(2030, 1, 1)) {
                ours["\(row.account.fullName)|\(row.currency.code)"] = Money(minorUnits: row.balance, currency: row.currency).decimalString
            }
            #expect(parseLedgerBalance(try Oracles.run("ledger", ["-f", path, "bal", "--flat", "--no-total"])) == ours)
            #expect(try await ledger.verifyBooks().isEmpty)
        }
    }
}
