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
        return PostedEntry(id: uuid.uuidString.lowercased(), number: try row.decode(column: "number", as: String.self),
                           journal: try row.decode(column: "journal", as: String.self),
                           date: try CivilDate.parse(try row.decode(column: "date", as: String.self)),
                           memo: try row.decode(column: "memo", as: String.self), lines: lines,
                           reversalOf: try row.decode(column: "reversal_of", as: UUID?.self)?.uuidString.lowercased(),
                           reversedBy: try row.decode(column: "reversed_by", as: UUID?.self)?.uuidString.lowercased(),
                           createdBy: try row.decode(column: "created_by", as: String.self))
    }

    /// Reads one `ledger_lines` row; `accounts` maps account ids (lower-case) to accounts.
    static func postedLine(_ line: any SQLRow, accounts: [String: Account]) throws -> PostedEntry.Line {
        let dimensions = try line.decode(column: "dimensions", as: String?.self)
            .flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
        return PostedEntry.Line(
            account: accounts[try line.decode(column: "account_id", as: UUID.self).uuidString.lowercased()]!,
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
            EntrySummary(id: try $0.decode(column: "id", as: UUID.self).uuidString.lowercased(),
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

    /// Balances per account and currency as of the end of `asOf` (transaction currency, functional), debit positive.
    /// Whole months come from the materialised balances; the last, partial month from its lines.
    func balanceSums(asOf: CivilDate) async throws -> [BalanceKey: (Int64, Int64)] {
        let month = asOf.monthText
        var sums: [BalanceKey: (Int64, Int64)] = [:]
        // At a month end the month is whole too, and no line needs reading.
        let whole = try await db.sql.raw("""
            SELECT account_id, currency, CAST(SUM(debit - credit) AS BIGINT) AS balance, CAST(SUM(func_debit - func_credit) AS BIGINT) AS func
            FROM ledger_balances WHERE month \(unsafeRaw: asOf.isMonthEnd ? "<=" : "<") \(bind: month)
            GROUP BY account_id, currency
            """).all()
        let partial = asOf.isMonthEnd ? [] : try await db.sql.raw("""
            SELECT account_id, currency, CAST(SUM(debit - credit) AS BIGINT) AS balance, CAST(SUM(func_debit - func_credit) AS BIGINT) AS func
            FROM ledger_lines WHERE date >= \(bind: asOf.monthStart.description) AND date <= \(bind: asOf.description)
            GROUP BY account_id, currency
            """).all()
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
        struct Key: Hashable { let account: UUID, month: String, currency: String }
        var fromLines: [Key: [Int64]] = [:]
        for row in try await db.sql.raw("""
            SELECT account_id, substr(date, 1, 7) AS month, currency, CAST(SUM(debit) AS BIGINT) AS d, CAST(SUM(credit) AS BIGINT) AS c,
                   CAST(SUM(func_debit) AS BIGINT) AS fd, CAST(SUM(func_credit) AS BIGINT) AS fc
            FROM ledger_lines GROUP BY account_id, substr(date, 1, 7), currency
            """).all() {
            fromLines[Key(account: try row.decode(column: "account_id", as: UUID.self),
                          month: try row.decode(column: "month", as: String.self),
                          currency: try row.decode(column: "currency", as: String.self))] =
                [try row.decode(column: "d", as: Int64.self), try row.decode(column: "c", as: Int64.self),
                 try row.decode(column: "fd", as: Int64.self), try row.decode(column: "fc", as: Int64.self)]
        }
        var seen = Set<Key>()
        for row in try await db.sql.raw("SELECT * FROM ledger_balances").all() {
            let key = Key(account: try row.decode(column: "account_id", as: UUID.self),
                          month: try row.decode(column: "month", as: String.self),
                          currency: try row.decode(column: "currency", as: String.self))
            seen.insert(key)
            let stored = [try row.decode(column: "debit", as: Int64.self), try row.decode(column: "credit", as: Int64.self),
                          try row.decode(column: "func_debit", as: Int64.self),
                          try row.decode(column: "func_credit", as: Int64.self)]
            if stored != (fromLines[key] ?? [0, 0, 0, 0]) {
                problems.append("balance of account \(key.account) in \(key.month) \(key.currency) differs from its lines")
            }
        }
        for key in fromLines.keys where !seen.contains(key) {
            problems.append("account \(key.account) has lines in \(key.month) \(key.currency) but no balance row")
        }
        return problems
    }
}
