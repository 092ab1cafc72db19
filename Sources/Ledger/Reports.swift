import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

extension LedgerService {
    // MARK: Entries

    /// One posted entry with its lines.
    public func entry(id: String) async throws -> PostedEntry {
        guard let uuid = UUID(uuidString: id),
              let row = try await db.sql.select().column("*").from("ledger_entries").where("id", .equal, uuid).first() else {
            throw DomainError.notFound("ledger.entry.not_found", "There is no entry '\(id)'")
        }
        let accounts = Dictionary(uniqueKeysWithValues: try await accounts().map { ($0.id, $0) })
        let lineRows = try await db.sql.select().column("*").from("ledger_lines").where("entry_id", .equal, uuid)
            .orderBy("line_no").all()
        let lines = try lineRows.map { try Self.postedLine($0, accounts: accounts) }
        return PostedEntry(id: uuid.lowercaseText, number: try row.decode(column: "number", as: String.self),
                           journal: try row.decode(column: "journal", as: String.self),
                           date: try CivilDate.parse(try row.decode(column: "date", as: String.self)),
                           memo: try row.decode(column: "memo", as: String.self), lines: lines,
                           reversalOf: try row.decode(column: "reversal_of", as: UUID?.self)?.lowercaseText,
                           reversedBy: try row.decode(column: "reversed_by", as: UUID?.self)?.lowercaseText,
                           createdBy: try row.decode(column: "created_by", as: String.self))
    }

    /// Reads one `ledger_lines` row; `accounts` maps account ids (lower-case) to accounts.
    static func postedLine(_ line: any SQLRow, accounts: [String: Account]) throws -> PostedEntry.Line {
        let dimensions = try line.decode(column: "dimensions", as: String?.self)
            .flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
        return PostedEntry.Line(
            account: accounts[try line.decode(column: "account_id", as: UUID.self).lowercaseText]!,
            debit: try line.decode(column: "debit", as: Int64.self),
            credit: try line.decode(column: "credit", as: Int64.self),
            currency: Currency(code: try line.decode(column: "currency", as: String.self))!,
            functionalDebit: try line.decode(column: "func_debit", as: Int64.self),
            functionalCredit: try line.decode(column: "func_credit", as: Int64.self),
            rate: try line.decode(column: "rate", as: String.self),
            memo: try line.decode(column: "memo", as: String?.self),
            partner: try line.decode(column: "partner", as: String?.self),
            dueDate: try line.decode(column: "due_date", as: String?.self).flatMap { try? CivilDate.parse($0) },
            dimensions: dimensions)
    }

    /// A summary row of the journal list.
    public struct EntrySummary: Sendable, Codable, Equatable {
        public let id: String
        public let number: String
        public let journal: String
        public let date: CivilDate
        public let memo: String
        /// The entry's total debits in functional currency.
        public let amount: Int64
        public let reversed: Bool
    }

    /// Entries newest first, `limit` at most 500, paged by number of rows to skip.
    public func entries(journal: String? = nil, from: CivilDate? = nil, to: CivilDate? = nil, limit: Int = 50,
                        offset: Int = 0) async throws -> [EntrySummary] {
        var query = db.sql.select()
            .column(SQLColumn("id", table: "e")).column(SQLColumn("number", table: "e"))
            .column(SQLColumn("journal", table: "e")).column(SQLColumn("date", table: "e"))
            .column(SQLColumn("memo", table: "e")).column(SQLColumn("reversed_by", table: "e"))
            .column(SQLRaw("CAST(SUM(l.func_debit) AS BIGINT)"), as: "amount")
            .from(SQLAlias(SQLIdentifier("ledger_entries"), as: SQLIdentifier("e")))
            .join(SQLAlias(SQLIdentifier("ledger_lines"), as: SQLIdentifier("l")), on: SQLColumn("entry_id", table: "l"),
                  .equal, SQLColumn("id", table: "e"))
        if let journal { query = query.where(SQLColumn("journal", table: "e"), .equal, SQLBind(journal)) }
        if let from { query = query.where(SQLColumn("date", table: "e"), .greaterThanOrEqual, SQLBind(from.description)) }
        if let to { query = query.where(SQLColumn("date", table: "e"), .lessThanOrEqual, SQLBind(to.description)) }
        let rows = try await query
            .groupBy(SQLColumn("id", table: "e")).groupBy(SQLColumn("number", table: "e"))
            .groupBy(SQLColumn("journal", table: "e")).groupBy(SQLColumn("date", table: "e"))
            .groupBy(SQLColumn("memo", table: "e")).groupBy(SQLColumn("reversed_by", table: "e"))
            .orderBy(SQLOrderBy(expression: SQLColumn("date", table: "e"), direction: SQLDirection.descending))
            .orderBy(SQLOrderBy(expression: SQLColumn("number", table: "e"), direction: SQLDirection.descending))
            .limit(min(max(limit, 1), 500)).offset(max(offset, 0)).all()
        return try rows.map {
            EntrySummary(id: try $0.decode(column: "id", as: UUID.self).lowercaseText,
                         number: try $0.decode(column: "number", as: String.self),
                         journal: try $0.decode(column: "journal", as: String.self),
                         date: try CivilDate.parse(try $0.decode(column: "date", as: String.self)),
                         memo: try $0.decode(column: "memo", as: String.self),
                         amount: try $0.decode(column: "amount", as: Int64.self),
                         reversed: try $0.decode(column: "reversed_by", as: UUID?.self) != nil)
        }
    }

    /// Reverses a posted entry on `date` with a linked entry that swaps every debit and credit at the
    /// original functional amounts. An entry is reversed at most once.
    public func reverse(entryID: String, on date: CivilDate, by actor: Principal) async throws -> PostingResult {
        let original = try await entry(id: entryID)
        if original.reversedBy != nil {
            throw DomainError.conflict("ledger.entry.already_reversed", "Entry \(original.number) is already reversed")
        }
        if original.reversalOf != nil {
            throw DomainError.conflict("ledger.entry.is_reversal", "Entry \(original.number) is itself a reversal")
        }
        let lines = original.lines.map { line in
            ProposedLine(account: line.account.code, debit: line.credit > 0 ? line.credit : nil,
                         credit: line.debit > 0 ? line.debit : nil, currency: line.currency,
                         functionalAmount: line.functionalDebit + line.functionalCredit, memo: line.memo,
                         partner: line.partner, dueDate: line.dueDate, dimensions: line.dimensions)
        }
        let proposed = ProposedEntry(journal: original.journal, date: date,
                                     memo: "Reversal of \(original.number)", lines: lines)
        let originalID = UUID(uuidString: original.id)!
        return try await writeTransaction(db) { tx in
            let service = LedgerService(db: tx, context: context)
            let result = try await ReversalMarker.$current.withValue(originalID) {
                try await service.post(proposed, by: actor)
            }
            try await tx.sql.update("ledger_entries").set("reversed_by", to: UUID(uuidString: result.id)!)
                .where("id", .equal, originalID).run()
            return result
        }
    }

    // MARK: Trial balance

    /// Every postable account's balance per currency as of the end of `asOf`, debit positive, zero rows left out.
    /// Whole months come from the materialised balances; the last, partial month from its lines.
    public func trialBalance(asOf: CivilDate) async throws -> [TrialBalanceRow] {
        let sums = try await balanceSums(asOf: asOf)
        let accounts = Dictionary(uniqueKeysWithValues: try await accounts().map { (UUID(uuidString: $0.id)!, $0) })
        return sums.compactMap { key, value -> TrialBalanceRow? in
            guard value.0 != 0 || value.1 != 0, let account = accounts[key.account],
                  let currency = Currency(code: key.currency) else { return nil }
            return TrialBalanceRow(account: account, currency: currency, balance: value.0, functionalBalance: value.1)
        }.sorted { ($0.account.fullName, $0.currency.code) < ($1.account.fullName, $1.currency.code) }
    }

    struct BalanceKey: Hashable { let account: UUID, currency: String }

    /// Balances per account and currency as of the end of `asOf` (transaction currency, functional), debit positive,
    /// of `accounts` only when given. Whole months come from the monthly balances; the last, partial month from the
    /// daily ones.
    func balanceSums(asOf: CivilDate, accounts: [UUID]? = nil) async throws -> [BalanceKey: (Int64, Int64)] {
        var sums: [BalanceKey: (Int64, Int64)] = [:]
        func only(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
            guard let accounts else { return query }
            return query.where("account_id", .in, SQLBind.group(accounts))
        }
        func summed(_ table: String) -> SQLSelectBuilder {
            db.sql.select().column("account_id").column("currency")
                .column(SQLRaw("CAST(SUM(debit - credit) AS BIGINT)"), as: "balance")
                .column(SQLRaw("CAST(SUM(func_debit - func_credit) AS BIGINT)"), as: "func")
                .from(table)
        }
        // At a month end the month is whole too, and no day needs reading.
        let whole = try await only(summed("ledger_balances")
            .where("month", asOf.isMonthEnd ? .lessThanOrEqual : .lessThan, SQLBind(asOf.monthText)))
            .groupBy("account_id").groupBy("currency").all()
        let partial = asOf.isMonthEnd ? [] : try await only(summed("ledger_daily_balances")
            .where("date", .greaterThanOrEqual, SQLBind(asOf.monthStart.description))
            .where("date", .lessThanOrEqual, SQLBind(asOf.description)))
            .groupBy("account_id").groupBy("currency").all()
        for row in whole + partial {
            let key = BalanceKey(account: try row.decode(column: "account_id", as: UUID.self),
                                 currency: try row.decode(column: "currency", as: String.self))
            let old = sums[key] ?? (0, 0)
            sums[key] = (old.0 + (try row.decode(column: "balance", as: Int64.self)),
                         old.1 + (try row.decode(column: "func", as: Int64.self)))
        }
        return sums
    }

    // MARK: Verification

    /// Re-checks the books from their rows: every entry balances in functional currency, and every materialised
    /// balance equals the sum of its lines. Returns the problems found (empty when the books are sound).
    public func verifyBooks() async throws -> [String] {
        var problems: [String] = []
        let unbalanced = try await db.sql.raw("""
            SELECT e.number AS number, CAST(SUM(l.func_debit) AS BIGINT) AS d, CAST(SUM(l.func_credit) AS BIGINT) AS c
            FROM ledger_entries e JOIN ledger_lines l ON l.entry_id = e.id
            GROUP BY e.number HAVING SUM(l.func_debit) <> SUM(l.func_credit)
            """).all()
        for row in unbalanced {
            problems.append("entry \(try row.decode(column: "number", as: String.self)) does not balance")
        }
        problems += try await balanceProblems(table: "ledger_balances", period: "month", of: "substr(date, 1, 7)",
                                              counted: false)
        problems += try await balanceProblems(table: "ledger_daily_balances", period: "date", of: "date", counted: true)
        return problems
    }

    /// Compares each row of a materialised balance table with the sums of its lines; `periodOfLine` is the SQL
    /// that gives a line's period (its month, or its date).
    private func balanceProblems(table: String, period: String, of periodOfLine: String,
                                 counted: Bool) async throws -> [String] {
        struct Key: Hashable { let account: UUID, period: String, currency: String }
        func figures(_ row: any SQLRow) throws -> [Int64] {
            try ["d", "c", "fd", "fc"].map { try row.decode(column: $0, as: Int64.self) }
                + (counted ? [try row.decode(column: "n", as: Int64.self)] : [])
        }
        var problems: [String] = []
        var fromLines: [Key: [Int64]] = [:]
        for row in try await db.sql.raw("""
            SELECT account_id, \(unsafeRaw: periodOfLine) AS period, currency, CAST(SUM(debit) AS BIGINT) AS d,
                   CAST(SUM(credit) AS BIGINT) AS c, CAST(SUM(func_debit) AS BIGINT) AS fd,
                   CAST(SUM(func_credit) AS BIGINT) AS fc, CAST(COUNT(*) AS BIGINT) AS n
            FROM ledger_lines GROUP BY account_id, \(unsafeRaw: periodOfLine), currency
            """).all() {
            fromLines[Key(account: try row.decode(column: "account_id", as: UUID.self),
                          period: try row.decode(column: "period", as: String.self),
                          currency: try row.decode(column: "currency", as: String.self))] = try figures(row)
        }
        var seen = Set<Key>()
        for row in try await db.sql.raw("""
            SELECT account_id, \(unsafeRaw: period) AS period, currency, debit AS d, credit AS c, func_debit AS fd,
                   func_credit AS fc\(unsafeRaw: counted ? ", lines AS n" : "") FROM \(unsafeRaw: table)
            """).all() {
            let key = Key(account: try row.decode(column: "account_id", as: UUID.self),
                          period: try row.decode(column: "period", as: String.self),
                          currency: try row.decode(column: "currency", as: String.self))
            seen.insert(key)
            if try figures(row) != (fromLines[key] ?? [0, 0, 0, 0] + (counted ? [0] : [])) {
                problems.append("balance of account \(key.account) in \(key.period) \(key.currency) differs from its lines")
            }
        }
        for key in fromLines.keys where !seen.contains(key) {
            problems.append("account \(key.account) has lines in \(key.period) \(key.currency) but no balance row")
        }
        return problems
    }
}
