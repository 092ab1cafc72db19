import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// The general-ledger detail of one account (a header takes in every account under it) over a period: the opening
/// balance, one page of lines in date order with the running balance after each, and the closing balance.
/// Amounts are functional, debit positive.
public struct GeneralLedger: Sendable, Codable, Equatable {
    public struct Line: Sendable, Codable, Equatable {
        public let entryID: String
        public let number: String
        public let journal: String
        public let date: CivilDate
        /// The line's memo, or the entry's when the line has none.
        public let memo: String
        public let account: String
        /// The amount in the line's own currency, debit positive.
        public let currency: Currency
        public let amount: Int64
        public let debit: Int64
        public let credit: Int64
        /// The running balance after this line.
        public let balance: Int64
        public let partner: String?
    }

    public let account: Account
    public let currency: Currency
    public let range: DateRange
    public let opening: Int64
    public let closing: Int64
    /// Lines in the period, of which `lines` are those from `offset`.
    public let count: Int
    public let offset: Int
    public let limit: Int
    public let lines: [Line]
}

extension LedgerService {
    public static let generalLedgerPageLimit = 1000

    /// `account` is a code or a full name. Pages hold `limit` lines (1 to 1,000) starting at `offset`.
    public func generalLedger(account name: String, range: DateRange, limit: Int = 100,
                              offset: Int = 0) async throws -> GeneralLedger {
        let company = try await requireCompany()
        try Paging.check(limit: limit, offset: offset, limitMax: Self.generalLedgerPageLimit, noun: "lines",
                         codePrefix: "ledger.report")
        let all = try await accounts()
        guard let account = all.first(where: { $0.code == name || $0.fullName == name }) else {
            throw DomainError.notFound("ledger.account.unknown", "There is no account '\(name)'")
        }
        let members = all.filter { $0.fullName == account.fullName || $0.fullName.hasPrefix(account.fullName + ":") }
        let ids = members.map { UUID(uuidString: $0.id)! }
        let names = Dictionary(uniqueKeysWithValues: members.map { ($0.id, $0.fullName) })
        let opening = try await balanceSums(asOf: range.from.addingDays(-1), accounts: ids).values.reduce(0) { $0 + $1.1 }

        // The daily balances say how many lines each day holds and what they move, so the page's first day, the
        // running balance before it and the page's last day are found without reading any line.
        let days = try await db.sql.select().column("date")
            .column(SQLRaw("CAST(SUM(lines) AS BIGINT)"), as: "n")
            .column(SQLRaw("CAST(SUM(func_debit - func_credit) AS BIGINT)"), as: "movement")
            .from("ledger_daily_balances")
            .where("account_id", .in, SQLBind.group(ids))
            .where("date", .greaterThanOrEqual, SQLBind(range.from.description))
            .where("date", .lessThanOrEqual, SQLBind(range.to.description))
            .groupBy("date").orderBy("date").all()
        var count = 0
        var movement: Int64 = 0
        var running = opening
        var skip = offset
        var first: String?
        var last: String?
        for day in days {
            let date = try day.decode(column: "date", as: String.self)
            let n = try day.decode(column: "n", as: Int.self)
            let moved = try day.decode(column: "movement", as: Int64.self)
            if first == nil {
                if count + n > offset {
                    first = date
                    skip = offset - count
                } else {
                    running += moved
                }
            }
            count += n
            movement += moved
            if last == nil, count >= offset + limit { last = date }
        }

        func inRange(_ query: SQLSelectBuilder, table: String) -> SQLSelectBuilder {
            query.where(SQLColumn("account_id", table: table), .in, SQLBind.group(ids))
                .where(SQLColumn("date", table: table), .greaterThanOrEqual, SQLBind(first ?? range.to.addingDays(1).description))
                .where(SQLColumn("date", table: table), .lessThanOrEqual, SQLBind(last ?? range.to.description))
        }
        let page = try await inRange(db.sql.select()
            .column(SQLColumn("entry_id", table: "l")).column(SQLColumn("account_id", table: "l"))
            .column(SQLColumn("date", table: "l")).column(SQLColumn("debit", table: "l"))
            .column(SQLColumn("credit", table: "l")).column(SQLColumn("currency", table: "l"))
            .column(SQLColumn("func_debit", table: "l")).column(SQLColumn("func_credit", table: "l"))
            .column(SQLColumn("memo", table: "l")).column(SQLColumn("partner", table: "l"))
            .column(SQLColumn("number", table: "e")).column(SQLColumn("journal", table: "e"))
            .column(SQLColumn("memo", table: "e"), as: "entry_memo")
            .from(SQLAlias(SQLIdentifier("ledger_lines"), as: SQLIdentifier("l")))
            .join(SQLAlias(SQLIdentifier("ledger_entries"), as: SQLIdentifier("e")),
                  on: SQLColumn("id", table: "e"), .equal, SQLColumn("entry_id", table: "l")), table: "l")
            .orderBy(SQLColumn("date", table: "l")).orderBy(SQLColumn("entry_id", table: "l"))
            .orderBy(SQLColumn("line_no", table: "l")).limit(skip + limit).all()
        // The lines of the first day that come before the page move the running balance too.
        var lines: [GeneralLedger.Line] = []
        for (index, row) in page.enumerated() {
            let debit = try row.decode(column: "func_debit", as: Int64.self)
            let credit = try row.decode(column: "func_credit", as: Int64.self)
            running += debit - credit
            guard index >= skip else { continue }
            let accountID = try row.decode(column: "account_id", as: UUID.self).lowercaseText
            lines.append(GeneralLedger.Line(
                entryID: try row.decode(column: "entry_id", as: UUID.self).lowercaseText,
                number: try row.decode(column: "number", as: String.self),
                journal: try row.decode(column: "journal", as: String.self),
                date: try CivilDate.parse(try row.decode(column: "date", as: String.self)),
                memo: try row.decode(column: "memo", as: String?.self) ?? row.decode(column: "entry_memo", as: String.self),
                account: names[accountID] ?? accountID,
                currency: Currency(code: try row.decode(column: "currency", as: String.self)) ?? company.currency,
                amount: try row.decode(column: "debit", as: Int64.self) - row.decode(column: "credit", as: Int64.self),
                debit: debit, credit: credit, balance: running,
                partner: try row.decode(column: "partner", as: String?.self)))
        }
        return GeneralLedger(account: account, currency: company.currency, range: range, opening: opening,
                             closing: opening + movement, count: count, offset: offset, limit: limit, lines: lines)
    }
}

extension LedgerService {
    /// How many posted ledger lines name a partner (by its code), manual entries included.
    public func lineCount(partner code: String) async throws -> Int {
        try await db.sql.select().column(SQLRaw("COUNT(*)"), as: "n").from("ledger_lines").where("partner", .equal, code)
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }
}
