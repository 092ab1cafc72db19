import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import Ledger
import Platform
import Testing

@Suite("Exchange rates and revaluation")
struct RateTests {
    @Test("Rates import from CSV all or nothing, with every bad row named by its line")
    func ratesCSV() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            let bad = try LedgerService.ratesCSV("date,currency,rate\n2026-03-31,USD,0.95\n2026-02-30,USD,1\n2026-03-31,EUR,1\n2026-03-31,GBP,-2\n")
            let error = await #expect(throws: DomainError.self) { _ = try await ledger.setRates(bad, source: "r.csv", by: .system) }
            #expect(error?.items.map { "\($0.line ?? 0) \($0.code)" } == ["3 date.invalid", "4 ledger.rate.functional",
                                                                          "5 ledger.rate.invalid"])
            #expect(try await ledger.rates().isEmpty)
            let good = try LedgerService.ratesCSV("currency,date,rate\nUSD,2026-03-31,0.95\nGBP,2026-03-31,1.17\nUSD,2026-03-31,0.951\n")
            #expect(try await ledger.setRates(good, source: "r.csv", by: .system) == 2)
            #expect(try await ledger.rates().map { "\($0.currency) \($0.date) \($0.rate)" }
                    == ["GBP 2026-03-31 1.17", "USD 2026-03-31 0.951"])
            #expect(throws: DomainError.self) { _ = try LedgerService.ratesCSV("when,what\n") }
        }
    }

    @Test("The rate on file for a date is the latest on or before it")
    func rateLookup() {
        let table = RateTable(byCurrency: ["USD": [("2026-01-31", 0.9), ("2026-02-28", 0.92), ("2026-03-31", 0.95)]])
        #expect(table.rate(.usd, on: CivilDate(2026, 1, 30)) == nil)
        #expect(table.rate(.usd, on: CivilDate(2026, 1, 31)) == 0.9)
        #expect(table.rate(.usd, on: CivilDate(2026, 2, 27)) == 0.9)
        #expect(table.rate(.usd, on: CivilDate(2026, 2, 28)) == 0.92)
        #expect(table.rate(.usd, on: CivilDate(2027, 1, 1)) == 0.95)
        #expect(table.rate(.gbp, on: CivilDate(2026, 3, 31)) == nil)
    }

    @Test("A batch converts each line at the latest rate on or before its entry's date, among many on file")
    func ratesForABatch() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            var csv = "currency,date,rate\n"
            var day = CivilDate(2025, 1, 1)
            while day <= CivilDate(2026, 12, 31) {  // two years of daily USD rates, and GBP beside them
                let day2 = day.day < 10 ? "0\(day.day)" : "\(day.day)"  // USD on 2026-02-01 is 1.201
                if day.month != 3 { csv += "USD,\(day),1.\(day.month)\(day2)\nGBP,\(day),2\n" }
                day = day.addingDays(1)
            }
            _ = try await ledger.setRates(try LedgerService.ratesCSV(csv), source: "rates.csv", by: .system)
            func usd(_ date: CivilDate, _ cents: Int64 = 100, rate: Decimal? = nil) -> ProposedEntry {
                ProposedEntry(date: date, memo: "USD \(date)", lines: [
                    ProposedLine(account: "1010", debit: cents, currency: .usd, rate: rate),
                    ProposedLine(account: "Income:Sales", credit: cents, currency: .usd, rate: rate)])
            }
            // March has no rates: its entries take the last of February's, also when March starts the batch.
            let batch = [usd(CivilDate(2026, 3, 20)), usd(CivilDate(2026, 4, 9)), usd(CivilDate(2026, 4, 9), rate: 3)]
            let posted = try await ledger.post(batch: batch, by: .system)
                + [try await ledger.post(usd(CivilDate(2026, 2, 1)), by: .system),
                   try await ledger.post(usd(CivilDate(2025, 1, 1)), by: .system)]
            var rates: [String] = []
            var functional: [Int64] = []
            for result in posted {
                let line = try #require(try await ledger.entry(id: result.id).lines.first)
                rates.append(line.rate)
                functional.append(line.functionalDebit)
            }
            #expect(rates == ["1.228", "1.409", "3", "1.201", "1.101"])
            #expect(functional == [123, 141, 300, 120, 110])
            // Before the first rate on file there is none, and the whole batch is refused.
            let error = await #expect(throws: DomainError.self) {
                _ = try await ledger.post(batch: [usd(CivilDate(2026, 5, 5)), usd(CivilDate(2024, 12, 31))],
                                          by: .system)
            }
            #expect(error?.items.map { "\($0.index ?? -1) \($0.code)" }
                    == ["1 ledger.rate.missing", "1 ledger.rate.missing"])
            #expect(try await ledger.verifyBooks().isEmpty)
        }
    }

    @Test("Revaluation moves a foreign balance to its value at the period-end rate, against exchange gains or losses")
    func revaluation() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            _ = try await ledger.post(ProposedEntry(date: CivilDate(2026, 3, 10), memo: "USD customer", lines: [
                ProposedLine(account: "1010", debit: 100_000, currency: .usd, functionalAmount: 92_000),
                ProposedLine(account: "4100", credit: 92_000, currency: .eur)]), by: .system)
            #expect(await domainErrorCode { _ = try await ledger.revalue(asOf: CivilDate(2026, 3, 31), by: .system) }
                    == "ledger.rate.missing")
            try await ledger.setRate("USD", on: CivilDate(2026, 3, 31), rate: "0.95", by: .system)
            let march = try await ledger.revalue(asOf: CivilDate(2026, 3, 31), by: .system)
            #expect(march.difference == 3_000 && march.lines.first?.after == 95_000)
            var balances = try await ledger.trialBalance(asOf: CivilDate(2026, 3, 31))
            #expect(balances.first { $0.account.code == "1010" }.map { ($0.balance, $0.functionalBalance) } ?? (0, 0) == (100_000, 95_000))
            #expect(balances.first { $0.account.code == "4950" }?.balance == -3_000)
            #expect(await domainErrorCode { _ = try await ledger.revalue(asOf: CivilDate(2026, 3, 31), by: .system) }
                    == "ledger.revaluation.nothing")
            try await ledger.setRate("USD", on: CivilDate(2026, 4, 30), rate: "0.90", by: .system)
            let april = try await ledger.revalue(asOf: CivilDate(2026, 4, 30), by: .system)
            #expect(april.difference == -5_000)
            balances = try await ledger.trialBalance(asOf: CivilDate(2026, 4, 30))
            #expect(balances.first { $0.account.code == "6950" }?.balance == 5_000)
            #expect(try await ledger.verifyBooks().isEmpty)
            // A zero amount is still refused where it is not an exchange difference.
            #expect(await domainErrorCode { _ = try await ledger.post(ProposedEntry(date: CivilDate(2026, 4, 1), memo: "x", lines: [
                ProposedLine(account: "1010", debit: 0, currency: .eur),
                ProposedLine(account: "4100", credit: 0, currency: .eur)]), by: .system) } == "ledger.line.amount_not_positive")
        }
    }
}
