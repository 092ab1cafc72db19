import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// What posting needs to know about the books, loaded once per batch inside its transaction.
struct Books {
    let company: Company
    let rules: EntryRules.Context

    static func load(on db: any Database, months: Set<String>) async throws -> Books {
        let company = try await LedgerService.requireCompany(on: db)
        var accounts: [String: Account] = [:]
        for account in try await LedgerService.accounts(on: db) {
            accounts[account.code] = account
            accounts[account.fullName] = account
        }
        let journals = Set(try await db.sql.select().column("code").from(JournalModel.schema).all()
            .map { try $0.decode(column: "code", as: String.self) })
        let states = try await lockPeriods(months, on: db)
        let rates = try await RateTable.load(on: db)
        let context = EntryRules.Context(
            functionalCurrency: company.currency, accounts: accounts, journals: journals,
            periodState: { states[$0.monthText] ?? .open },
            rateOnFile: { rates.rate($0, on: $1) })
        return Books(company: company, rules: context)
    }

    /// Opens the months a batch touches that have no period yet (a first posting opens its month), then reads
    /// their states under a share lock on PostgreSQL, so a concurrent close waits until the batch commits.
    /// On SQLite the write transaction already excludes every other writer.
    static func lockPeriods(_ months: Set<String>, on db: any Database) async throws -> [String: PeriodState] {
        let sorted = months.sorted()
        for chunk in sorted.chunked(500) {
            var insert = db.sql.insert(into: "ledger_periods").columns("id", "month", "state")
            for month in chunk { insert = insert.values(SQLBind(UUID.v7()), SQLBind(month), SQLBind("open")) }
            try await insert.ignoringConflicts(with: ["month"]).run()
        }
        var states: [String: PeriodState] = [:]
        for chunk in sorted.chunked(500) {
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
    let byCurrency: [String: [(date: String, rate: Decimal)]]

    static func load(on db: any Database) async throws -> RateTable {
        var table: [String: [(String, Decimal)]] = [:]
        let rows = try await db.sql.select().columns("currency", "date", "rate").from(RateModel.schema).orderBy("date").all()
        for row in rows {
            let text = try row.decode(column: "rate", as: String.self)
            if let rate = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) {
                table[try row.decode(column: "currency", as: String.self), default: []]
                    .append((try row.decode(column: "date", as: String.self), rate))
            }
        }
        return RateTable(byCurrency: table)
    }

    func rate(_ currency: Currency, on date: CivilDate) -> Decimal? {
        let key = date.description
        return byCurrency[currency.code]?.last { $0.date <= key }?.rate
    }
}
