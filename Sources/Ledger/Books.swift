import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// What posting needs to know about the books, loaded once per batch inside its transaction: only what the batch
/// names (its accounts, its months, the rates its foreign-currency lines need), so a posting's cost does not grow
/// with the chart or with years of daily rates on file.
struct Books {
    let company: Company
    let rules: EntryRules.Context

    static func load(on db: any Database, context: PlatformContext, for batch: [ProposedEntry]) async throws -> Books {
        let company = try await LedgerService(db: db, context: context).requireCompany()
        var names: Set<String> = []
        var months: Set<String> = []
        var rateDates: [Currency: ClosedRange<CivilDate>] = [:]
        for entry in batch {
            months.insert(entry.date.monthText)
            for line in entry.lines {
                names.insert(line.account)
                if line.currency != company.currency, line.rate == nil, line.functionalAmount == nil {
                    let dates = rateDates[line.currency]
                    rateDates[line.currency] = min(dates?.lowerBound ?? entry.date, entry.date)
                        ... max(dates?.upperBound ?? entry.date, entry.date)
                }
            }
        }
        var accounts: [String: Account] = [:]
        for account in try await LedgerService.accounts(on: db, named: names) {
            accounts[account.code] = account
            accounts[account.fullName] = account
        }
        let journals = Set(try await db.sql.select().column("code").from(JournalModel.schema).all()
            .map { try $0.decode(column: "code", as: String.self) })
        let states = try await lockPeriods(months, on: db)
        let rates = try await RateTable.load(on: db, for: rateDates)
        let context = EntryRules.Context(
            functionalCurrency: company.currency, accounts: accounts, journals: journals,
            periodState: { states[$0.monthText] ?? .open },
            rateOnFile: { rates.rate($0, on: $1) })
        return Books(company: company, rules: context)
    }

    /// Reads the states of the months a batch touches, under a share lock on PostgreSQL so a concurrent close
    /// waits until the batch commits (on SQLite the write transaction already excludes every other writer), and
    /// opens those that have no period yet (a first posting opens its month). Usually every month exists, and
    /// this is one statement.
    static func lockPeriods(_ months: Set<String>, on db: any Database) async throws -> [String: PeriodState] {
        var states = try await periodStates(months.sorted(), on: db)
        let missing = months.filter { states[$0] == nil }.sorted()
        guard !missing.isEmpty else { return states }
        for chunk in missing.chunked(500) {
            var insert = db.sql.insert(into: "ledger_periods").columns("id", "month", "state")
            for month in chunk { insert = insert.values(SQLBind(UUID.v7()), SQLBind(month), SQLBind("open")) }
            try await insert.ignoringConflicts(with: ["month"]).run()
        }
        // Read back rather than assume "open": on PostgreSQL another transaction may have made the row first.
        states.merge(try await periodStates(missing, on: db)) { _, new in new }
        return states
    }

    private static func periodStates(_ months: [String], on db: any Database) async throws -> [String: PeriodState] {
        var states: [String: PeriodState] = [:]
        for chunk in months.chunked(500) {
            var select = db.sql.select().columns("month", "state").from("ledger_periods")
                .where(SQLIdentifier("month"), .in, SQLBind.group(Array(chunk))).orderBy("month")
            if db.isPostgres { select = select.lockingClause(SQLLockingClause.share) }
            for row in try await select.all() {
                states[try row.decode(column: "month", as: String.self)] =
                    PeriodState(rawValue: try row.decode(column: "state", as: String.self)) ?? .closed
            }
        }
        return states
    }
}

/// Exchange rates on file: for a date, the latest rate on or before it.
struct RateTable: Sendable {
    /// Per currency, in date order.
    let byCurrency: [String: [(date: String, rate: Decimal)]]

    /// Reads, for each currency, the rates that can apply to a date in its range: the latest on or before the
    /// range's first day, and every one after it up to its last day.
    static func load(on db: any Database, for ranges: [Currency: ClosedRange<CivilDate>]) async throws -> RateTable {
        var table: [String: [(String, Decimal)]] = [:]
        for (currency, range) in ranges {
            let first = range.lowerBound.description
            let rows = try await db.sql.raw("""
                SELECT date, rate FROM ledger_rates
                WHERE currency = \(bind: currency.code) AND date <= \(bind: range.upperBound.description)
                  AND date >= COALESCE((SELECT MAX(date) FROM ledger_rates
                                        WHERE currency = \(bind: currency.code) AND date <= \(bind: first)),
                                       \(bind: first))
                ORDER BY date
                """).all()
            for row in rows {
                let text = try row.decode(column: "rate", as: String.self)
                if let rate = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) {
                    table[currency.code, default: []].append((try row.decode(column: "date", as: String.self), rate))
                }
            }
        }
        return RateTable(byCurrency: table)
    }

    func rate(_ currency: Currency, on date: CivilDate) -> Decimal? {
        guard let rates = byCurrency[currency.code] else { return nil }
        let key = date.description
        var low = 0, high = rates.count  // the first index whose date is after the key
        while low < high {
            let middle = (low + high) / 2
            if rates[middle].date <= key { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : rates[low - 1].rate
    }
}
