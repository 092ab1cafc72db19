import Fluent
import Kernel
import Platform
import SQLKit

/// The Ledger's migrations, in order; names are stable forever.
public enum LedgerMigrations {
    public static var all: [any Migration] { [CreateLedger(), SeedJournals(), CreateDrafts(), CreateBudgets(), IndexLinesByDate(),
                                             IndexEntriesByJournal(), CreateDailyBalances(), CreateTaxCodes(), KeyLinesByEntry(),
                                             CheckPostingReferencesPerStatement()] }
}

struct CreateLedger: AsyncMigration {
    var name: String { "ledger.001.books" }

    func prepare(on db: any Database) async throws {
        try await db.schema("ledger_company")
            .field("id", .int, .identifier(auto: false))
            .field("name", .string, .required)
            .field("currency", .string, .required)
            .field("time_zone", .string, .required)
            .field("fiscal_year_start_month", .int, .required)
            .create()
        try await db.schema("ledger_accounts").id()
            .field("code", .string, .required).unique(on: "code")
            .field("name", .string, .required)
            .field("full_name", .string, .required).unique(on: "full_name")
            .field("type", .string, .required)
            .field("subtype", .string, .required)
            .field("parent_id", .uuid, .references("ledger_accounts", "id"))
            .field("is_header", .bool, .required)
            .field("archived", .bool, .required)
            .field("currency", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await db.schema("ledger_periods").id()
            .field("month", .string, .required).unique(on: "month")
            .field("state", .string, .required)
            .field("reason", .string)
            .create()
        try await db.schema("ledger_journals")
            .field("code", .string, .identifier(auto: false))
            .field("name", .string, .required)
            .create()
        try await db.schema("ledger_rates").id()
            .field("currency", .string, .required)
            .field("date", .string, .required)
            .field("rate", .string, .required)
            .unique(on: "currency", "date")
            .create()
        // Entries and lines are written through SQLKit in batches, so they are plain tables.
        try await db.schema("ledger_entries").id()
            .field("journal", .string, .required, .references("ledger_journals", "code"))
            .field("number", .string, .required).unique(on: "number")
            .field("date", .string, .required)
            .field("memo", .string, .required)
            .field("reversal_of", .uuid, .references("ledger_entries", "id"))
            .field("reversed_by", .uuid)
            .field("idempotency_key", .string)
            .field("content_hash", .string)
            .field("created_by", .string, .required)
            .field("created_at", .string, .required)
            .unique(on: "idempotency_key")
            .create()
        try await db.sql.create(index: "ledger_entries_date").on("ledger_entries").column("date").run()
        try await Self.createLines(on: db)
        // Balances per account, month and currency, kept in the same transaction as each posting.
        try await db.schema("ledger_balances")
            .field("account_id", .uuid, .required, .references("ledger_accounts", "id"))
            .field("month", .string, .required)
            .field("currency", .string, .required)
            .field("debit", .int64, .required)
            .field("credit", .int64, .required)
            .field("func_debit", .int64, .required)
            .field("func_credit", .int64, .required)
            .compositeIdentifier(over: "account_id", "month", "currency")
            .create()
    }

    /// The lines as this migration made them, with an id each (`ledger.009` keys them by entry and line number).
    static func createLines(on db: any Database) async throws {
        try await db.schema("ledger_lines").id()
            .field("entry_id", .uuid, .required, .references("ledger_entries", "id"))
            .field("line_no", .int, .required)
            .field("account_id", .uuid, .required, .references("ledger_accounts", "id"))
            .field("date", .string, .required)
            .field("debit", .int64, .required)
            .field("credit", .int64, .required)
            .field("currency", .string, .required)
            .field("func_debit", .int64, .required)
            .field("func_credit", .int64, .required)
            .field("rate", .string, .required)
            .field("memo", .string)
            .field("partner", .string)
            .field("due_date", .string)
            .field("dimensions", .string)
            .create()
        try await db.sql.create(index: "ledger_lines_account_date").on("ledger_lines").column("account_id").column("date").run()
        try await db.sql.create(index: "ledger_lines_entry").on("ledger_lines").column("entry_id").run()
    }

    func revert(on db: any Database) async throws {
        for table in ["ledger_balances", "ledger_lines", "ledger_entries", "ledger_rates", "ledger_journals",
                      "ledger_periods", "ledger_accounts", "ledger_company"] {
            try await db.schema(table).delete()
        }
    }
}

struct SeedJournals: AsyncMigration {
    var name: String { "ledger.002.journals" }
    static let journals = [("GEN", "General"), ("SAL", "Sales"), ("PUR", "Purchases"), ("BNK", "Bank"),
                           ("PAY", "Payroll"), ("OPN", "Opening"), ("CLS", "Closing")]

    func prepare(on db: any Database) async throws {
        for (code, name) in Self.journals {
            let journal = JournalModel()
            journal.id = code
            journal.name = name
            try await journal.create(on: db)
        }
    }

    func revert(on db: any Database) async throws {
        try await JournalModel.query(on: db).delete()
    }
}

struct CreateDrafts: AsyncMigration {
    var name: String { "ledger.003.drafts" }

    func prepare(on db: any Database) async throws {
        try await db.schema("ledger_drafts").id()
            .field("date", .string, .required)
            .field("memo", .string, .required)
            .field("entry", .string, .required)
            .field("created_by", .string, .required)
            .field("updated_by", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("ledger_drafts").delete()
    }
}

struct CreateBudgets: AsyncMigration {
    var name: String { "ledger.004.budgets" }

    func prepare(on db: any Database) async throws {
        try await db.schema("ledger_budgets").id()
            .field("account_id", .uuid, .required, .references("ledger_accounts", "id"))
            .field("month", .string, .required)
            // "key=value" (department=Sales), or "" for the whole company.
            .field("dimension", .string, .required)
            .field("amount", .int64, .required)
            .unique(on: "account_id", "month", "dimension")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("ledger_budgets").delete()
    }
}

/// Reports read the lines of a partial month by date alone (all accounts); without this index that is a scan of
/// every line (measured: 444 ms for a trial balance on a 2.5M-line book).
struct IndexLinesByDate: AsyncMigration {
    var name: String { "ledger.005.lines_by_date" }

    func prepare(on db: any Database) async throws {
        try await db.sql.create(index: "ledger_lines_date").on("ledger_lines").column("date").run()
    }

    func revert(on db: any Database) async throws {
        try await db.sql.drop(index: "ledger_lines_date").run()
    }
}

/// Statements look up the closing journal's entries in a period (measured: 0.8 s scanning a year's 500k entries).
struct IndexEntriesByJournal: AsyncMigration {
    var name: String { "ledger.006.entries_by_journal" }

    func prepare(on db: any Database) async throws {
        try await db.sql.create(index: "ledger_entries_journal_date").on("ledger_entries").column("journal").column("date").run()
    }

    func revert(on db: any Database) async throws {
        try await db.sql.drop(index: "ledger_entries_journal_date").run()
    }
}

/// Balances per account, day and currency with their number of lines, kept in the same transaction as each
/// posting. A partial month's trial balance sums a few hundred of these rows instead of reading the month's lines,
/// and a general-ledger page finds the day it starts on, and the running balance there, without counting lines
/// (docs/DECISIONS.md). They replace the lines' date index, whose only readers were those two.
struct CreateDailyBalances: AsyncMigration {
    var name: String { "ledger.007.daily_balances" }

    func prepare(on db: any Database) async throws {
        try await db.schema("ledger_daily_balances")
            .field("account_id", .uuid, .required, .references("ledger_accounts", "id"))
            .field("date", .string, .required)
            .field("currency", .string, .required)
            .field("debit", .int64, .required)
            .field("credit", .int64, .required)
            .field("func_debit", .int64, .required)
            .field("func_credit", .int64, .required)
            .field("lines", .int64, .required)
            .compositeIdentifier(over: "account_id", "date", "currency")
            .create()
        try await db.sql.raw("""
            INSERT INTO ledger_daily_balances (account_id, date, currency, debit, credit, func_debit, func_credit, lines)
            SELECT account_id, date, currency, SUM(debit), SUM(credit), SUM(func_debit), SUM(func_credit), COUNT(*)
            FROM ledger_lines GROUP BY account_id, date, currency
            """).run()
        try await db.sql.drop(index: "ledger_lines_date").run()
    }

    func revert(on db: any Database) async throws {
        try await db.sql.create(index: "ledger_lines_date").on("ledger_lines").column("date").run()
        try await db.schema("ledger_daily_balances").delete()
    }
}

/// Tax codes: rate, pricing, the account collected tax goes to, the legal note of untaxed supplies.
struct CreateTaxCodes: AsyncMigration {
    var name: String { "ledger.008.tax_codes" }

    func prepare(on db: any Database) async throws {
        try await db.schema("ledger_tax_codes")
            .field("code", .string, .identifier(auto: false))
            .field("name", .string, .required)
            .field("kind", .string, .required)
            .field("rate", .string, .required)
            .field("prices_include_tax", .bool, .required)
            .field("account_id", .uuid, .references("ledger_accounts", "id"))
            .field("note", .string)
            .field("archived", .bool, .required)
            .field("created_at", .string, .required)
            .field("updated_at", .string, .required)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("ledger_tax_codes").delete()
    }
}

/// Lines are keyed by their entry and place in it, not by a UUID of their own that nothing read: one B-tree fewer
/// to keep on every posting, no random id per line. On SQLite the table is rebuilt `WITHOUT ROWID`, clustered by
/// (entry, line), so an entry's lines sit together; on PostgreSQL the id column gives way to the composite key.
/// Measured in BENCHMARKS.md (ledger, fourth run): batch posting on a 100k book 11.2k -> 14.3k entries/s.
struct KeyLinesByEntry: AsyncMigration {
    var name: String { "ledger.009.lines_keyed_by_entry" }

    func prepare(on db: any Database) async throws {
        try await db.transaction { tx in
            if tx.isPostgres {
                try await tx.sql.raw("ALTER TABLE ledger_lines DROP COLUMN id").run()
                try await tx.sql.raw("ALTER TABLE ledger_lines ADD PRIMARY KEY (entry_id, line_no)").run()
                try await tx.sql.drop(index: "ledger_lines_entry").run()
                return
            }
            try await tx.sql.raw("""
                CREATE TABLE ledger_lines_keyed (
                    entry_id TEXT NOT NULL REFERENCES ledger_entries (id),
                    line_no INTEGER NOT NULL,
                    account_id TEXT NOT NULL REFERENCES ledger_accounts (id),
                    date TEXT NOT NULL,
                    debit INTEGER NOT NULL,
                    credit INTEGER NOT NULL,
                    currency TEXT NOT NULL,
                    func_debit INTEGER NOT NULL,
                    func_credit INTEGER NOT NULL,
                    rate TEXT NOT NULL,
                    memo TEXT,
                    partner TEXT,
                    due_date TEXT,
                    dimensions TEXT,
                    PRIMARY KEY (entry_id, line_no)
                ) WITHOUT ROWID
                """).run()
            try await tx.sql.raw("""
                INSERT INTO ledger_lines_keyed SELECT entry_id, line_no, account_id, date, debit, credit, currency,
                    func_debit, func_credit, rate, memo, partner, due_date, dimensions FROM ledger_lines
                """).run()
            try await tx.sql.raw("DROP TABLE ledger_lines").run()
            try await tx.sql.raw("ALTER TABLE ledger_lines_keyed RENAME TO ledger_lines").run()
            try await tx.sql.create(index: "ledger_lines_account_date").on("ledger_lines").column("account_id").column("date").run()
        }
    }

    func revert(on db: any Database) async throws {
        throw DomainError.invalid("ledger.migration.irreversible", "Line ids are not restored once dropped")
    }
}

/// On PostgreSQL, the foreign keys every posting writes (a line's entry and account, an entry's journal and the entry
/// it reverses) are checked once per statement by triggers (`StatementReferences`) instead of once per row: the
/// per-row checks were half of PostgreSQL's time in batch posting (BENCHMARKS.md, docs/DECISIONS.md). The
/// constraints hold as before, with the same locks and the same SQLSTATE 23503. SQLite keeps its declared keys.
struct CheckPostingReferencesPerStatement: AsyncMigration {
    var name: String { "ledger.010.posting_references_per_statement" }

    static let references: [(table: String, references: [StatementReferences.Reference])] = [
        ("ledger_lines", [
            .init(column: "entry_id", parent: "ledger_entries", constraint: "ledger_lines_entry_id_fkey"),
            .init(column: "account_id", parent: "ledger_accounts", constraint: "ledger_lines_account_id_fkey"),
        ]),
        ("ledger_entries", [
            .init(column: "journal", parent: "ledger_journals", key: "code", constraint: "ledger_entries_journal_fkey"),
            .init(column: "reversal_of", parent: "ledger_entries", constraint: "ledger_entries_reversal_of_fkey"),
        ]),
    ]

    func prepare(on db: any Database) async throws {
        guard db.isPostgres else { return }
        try await db.transaction { tx in
            for (table, references) in Self.references {
                try await StatementReferences.install(on: tx.sql, table: table, references: references)
            }
        }
    }

    func revert(on db: any Database) async throws {
        guard db.isPostgres else { return }
        try await db.transaction { tx in
            for (table, references) in Self.references.reversed() {
                try await StatementReferences.uninstall(on: tx.sql, table: table, references: references)
            }
        }
    }
}
