import Crypto
import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// The result of posting one entry of a batch.
public struct PostingResult: Sendable, Codable, Equatable {
    public let id: String
    public let number: String
    /// True when an idempotency key matched an earlier posting with the same content.
    public let replayed: Bool
}

extension LedgerService {
    public static let entriesPerBatchMax = 10_000

    /// Posts one entry (one audit record for it). Entries posted one at a time by many callers at once share
    /// durable commits (group commit); each still succeeds or fails on its own.
    public func post(_ entry: ProposedEntry, by actor: Principal) async throws -> PostingResult {
        do {
            // Entries queued together by the same user are posted as one batch (one load of the books, one insert
            // of each kind); if that batch fails, each is posted alone and gets its own answer.
            let context = context
            let batcher = GroupCommit.Batcher<ProposedEntry, PostingResult>(key: "ledger.post|\(actor.username)") { tx, entries in
                try await LedgerService(db: tx, context: context).post(batch: entries, by: actor, auditAs: nil)
            }
            return try await context.groupCommit.write(db, entry, with: batcher)
        } catch let error as DomainError where error.items.count >= 1 && error.code == "ledger.batch.invalid" {
            // A single entry reports its own first problem, with the others as items.
            let first = error.items[0]
            throw DomainError(error.kind, first.code, first.message, field: first.field,
                              items: error.items.map { .init(field: $0.field, code: $0.code, message: $0.message) })
        }
    }

    /// Posts a batch in one transaction, all or nothing. Every invalid entry is reported with its index.
    /// `auditAs` names the batch in one audit record (imports); without it each entry gets its own record.
    public func post(batch: [ProposedEntry], by actor: Principal, auditAs: String? = nil) async throws -> [PostingResult] {
        try require(actor, Permission("ledger", .write))
        guard !batch.isEmpty else { throw DomainError.invalid("ledger.batch.empty", "The batch has no entries") }
        guard batch.count <= Self.entriesPerBatchMax else {
            throw DomainError(.tooLarge, "ledger.batch.too_large", "A batch has at most \(Self.entriesPerBatchMax) entries")
        }
        return try await writeTransaction(db) { tx in
            try await PostingEngine(db: tx, context: context, actor: actor)
                .post(batch, audit: auditAs.map { .batch($0) } ?? .perEntry)
        }
    }
}

/// One batch's posting, inside its write transaction.
struct PostingEngine {
    let db: any Database
    let context: PlatformContext
    let actor: Principal

    /// Idempotency keys looked up per query.
    static let keysPerQuery = 500
    /// From this many entries, a batch's line rows are built on another core while its entries are inserted; below
    /// it (a posting group of the HTTP API) the hop between threads costs more than the work.
    static let entriesBuiltAside = 64

    /// How a batch shows in the audit log: a record per entry, one for the batch, or none (the caller records
    /// one for a larger action, such as an import).
    enum AuditMode { case perEntry, batch(String), none }

    /// Posts a batch in three steps: what its checks need is read from the database, the entries are checked and
    /// their rows made (no database), then they are numbered and written. An import overlaps the steps of
    /// consecutive chunks (`JournalImport`): the second runs on another core while the writer does the others.
    func post(_ batch: [ProposedEntry], audit mode: AuditMode) async throws -> [PostingResult] {
        let prepared = try Self.prepare(batch, with: try await load(batch))
        return Self.results(prepared, numbers: try await record(prepared, audit: mode))
    }

    /// What a batch's checks need from the database, read inside its transaction: the books (its accounts and
    /// months), and the earlier postings of its idempotency keys.
    struct Loaded: Sendable {
        let books: Books
        let earlier: [String: (PostingResult, String)]
    }

    func load(_ batch: [ProposedEntry]) async throws -> Loaded {
        Loaded(books: try await Books.load(on: db, context: context, for: batch),
               earlier: try await earlierPostings(keys: batch.compactMap(\.idempotencyKey)))
    }

    /// A batch checked, with everything its writing needs that does not need the database: its new entries
    /// validated, their ids, and (when `rows` was asked for) the rows of their lines and the balances they move.
    /// The new entries are kept side by side with their ids rather than copied into one value per entry: a
    /// validated entry holds its lines and their accounts, and each copy retains them.
    struct Prepared: Sendable {
        let batchCount: Int
        let company: Company
        let fresh: [(index: Int, entry: ValidatedEntry)]
        let ids: [UUID]
        /// Each entry's date as text, for its row and its lines'.
        let dates: [SQLCell]
        /// Each account the lines post to, by its id's text, parsed once for the batch's lines and balances.
        let accounts: [String: UUID]
        /// The content hash of each entry with an idempotency key, by index.
        let hashes: [String?]
        /// The answers of entries that repeat an earlier posting, by index.
        let replayed: [Int: PostingResult]
        /// Entries that repeat an earlier entry of the batch (the same key and content): that entry's index.
        let repeats: [Int: Int]
        var rows: Rows?

        var count: Int { fresh.count }
    }

    /// The rows of a batch's lines, and of what it adds to the monthly and the daily balances.
    struct Rows: Sendable {
        let lines: [[SQLCell]]
        let monthly: [[SQLCell]]
        let daily: [[SQLCell]]
    }

    /// Checks a batch against what was loaded for it, and reports every invalid entry with its index
    /// (`ledger.batch.invalid`), or the first reuse of an idempotency key with other content. No database.
    static func prepare(_ batch: [ProposedEntry], with loaded: Loaded, rows: Bool = false) throws -> Prepared {
        let rules = loaded.books.rules
        // Only an entry with an idempotency key needs its content's hash (to tell a replay from a reuse).
        let hashes = try batch.map { $0.idempotencyKey == nil ? nil : try contentHash($0) }
        var fresh: [(index: Int, entry: ValidatedEntry)] = []
        fresh.reserveCapacity(batch.count)
        var replayed: [Int: PostingResult] = [:]
        var repeats: [Int: Int] = [:]
        var keysInBatch: [String: Int] = [:]
        var problems: [DomainError.Item] = []
        for (index, entry) in batch.enumerated() {
            if let key = entry.idempotencyKey {
                if key.isEmpty || key.count > 200 {
                    problems.append(.init(index: index, field: "idempotencyKey", code: "ledger.entry.idempotency_key_invalid",
                                          message: "An idempotency key has 1 to 200 characters"))
                    continue
                }
                if let (result, hash) = loaded.earlier[key] {
                    guard hash == hashes[index] else {
                        throw DomainError(.conflict, "ledger.entry.idempotency_conflict",
                                          "Entry \(index): key '\(key)' was used for different content",
                                          field: "idempotencyKey",
                                          items: [.init(index: index, field: "idempotencyKey",
                                                        code: "ledger.entry.idempotency_conflict",
                                                        message: "The key was used for different content")])
                    }
                    replayed[index] = PostingResult(id: result.id, number: result.number, replayed: true)
                    continue
                }
                if let first = keysInBatch[key] {
                    guard hashes[first] == hashes[index] else {
                        throw DomainError(.conflict, "ledger.entry.idempotency_conflict",
                                          "Entries \(first) and \(index) share key '\(key)' with different content",
                                          field: "idempotencyKey")
                    }
                    repeats[index] = first  // answered from the first once it is numbered
                    continue
                }
                keysInBatch[key] = index
            }
            do {
                fresh.append((index, try EntryRules.validate(entry, in: rules)))
            } catch {
                problems += error.items.map {
                    .init(index: index, field: $0.field, code: $0.code, message: $0.message)
                }
            }
        }
        guard problems.isEmpty else {
            throw DomainError(.invalid, "ledger.batch.invalid",
                              "\(Set(problems.compactMap(\.index)).count) of \(batch.count) entries are invalid; "
                                + "nothing was posted", items: problems)
        }
        var accounts: [String: UUID] = [:]
        for item in fresh {
            for line in item.entry.lines where accounts[line.account.id] == nil {
                accounts[line.account.id] = UUID(uuidString: line.account.id)!
            }
        }
        var prepared = Prepared(batchCount: batch.count, company: loaded.books.company, fresh: fresh,
                                ids: UUID.v7(count: fresh.count),
                                dates: fresh.map { SQLCell.text($0.entry.entry.date.description) },
                                accounts: accounts, hashes: hashes, replayed: replayed, repeats: repeats)
        if rows { prepared.rows = try Self.rows(prepared) }
        return prepared
    }

    /// Numbers and writes a prepared batch, and records it in the audit log; returns the new entries' numbers.
    func record(_ prepared: Prepared, audit mode: AuditMode) async throws -> [String] {
        let numbers = try await number(prepared)
        try await write(prepared, numbers: numbers)
        try await audit(prepared, numbers: numbers, mode: mode)
        return numbers
    }

    /// Each entry's answer, in the batch's order.
    static func results(_ prepared: Prepared, numbers: [String]) -> [PostingResult] {
        var results = [PostingResult?](repeating: nil, count: prepared.batchCount)
        for (index, result) in prepared.replayed { results[index] = result }
        for (position, item) in prepared.fresh.enumerated() {
            results[item.index] = PostingResult(id: prepared.ids[position].lowercaseText, number: numbers[position],
                                                replayed: false)
        }
        for (index, first) in prepared.repeats {
            results[index] = results[first].map { PostingResult(id: $0.id, number: $0.number, replayed: true) }
        }
        return results.map { $0! }
    }

    /// Gap-free numbers per journal and fiscal year, reserved once per journal and year in the batch; by position
    /// among the batch's new entries.
    func number(_ prepared: Prepared) async throws -> [String] {
        struct Series: Hashable { let journal: String, year: Int }
        var groups: [Series: [Int]] = [:]
        let startMonth = prepared.company.fiscalYearStartMonth
        for (position, item) in prepared.fresh.enumerated() {
            let year = Period.fiscalYearStartYear(containing: item.entry.entry.date, startMonth: startMonth)
            groups[Series(journal: item.entry.entry.journal, year: year), default: []].append(position)
        }
        var numbers = [String](repeating: "", count: prepared.count)
        // Series in a fixed order, so concurrent writers reserve their numbers in the same order.
        for series in groups.keys.sorted(by: { ($0.journal, $0.year) < ($1.journal, $1.year) }) {
            let positions = groups[series]!
            let first = try await DocumentNumbers.reserve(series.journal, year: series.year, count: positions.count, on: db)
            for (offset, position) in positions.enumerated() {
                numbers[position] = DocumentNumbers.format(series: series.journal, year: series.year, value: first + Int64(offset))
            }
        }
        return numbers
    }

    /// Writes the batch's entries, their lines and the balances they move.
    func write(_ prepared: Prepared, numbers: [String]) async throws {
        let rows: Rows
        if prepared.rows == nil, prepared.count >= Self.entriesBuiltAside {
            // The lines' rows and the balance movements are built on the other core while the database writes the
            // entries, in a task that starts on the global executor: a child task (`async let`) would inherit the
            // SQLite writer's thread as its executor and only take turns with the insert there.
            let built = Task(executorPreference: globalConcurrentExecutor) { try Self.rows(prepared) }
            do {
                try await insertEntries(prepared, numbers: numbers)
            } catch {
                built.cancel()
                throw error
            }
            rows = try await built.value
        } else {
            // Rows made beforehand (an import's, on the other core), or few enough to make here.
            try await insertEntries(prepared, numbers: numbers)
            rows = try prepared.rows ?? Self.rows(prepared)
        }
        try await BulkInsert.run(db, into: "ledger_lines", columns: Self.lineColumns, rows: rows.lines)
        try await upsert(rows.monthly, into: "ledger_balances", period: "month", counted: false)
        try await upsert(rows.daily, into: "ledger_daily_balances", period: "date", counted: true)
    }

    /// Adds balance rows (`balanceRows`) to a balance table's rows with the same key, or inserts them.
    private func upsert(_ rows: [[SQLCell]], into table: String, period: String, counted: Bool) async throws {
        let sums = ["debit", "credit", "func_debit", "func_credit"] + (counted ? ["lines"] : [])
        try await BulkInsert.run(db, into: table, columns: [("account_id", .uuid), (period, .text), ("currency", .text)]
                                    + sums.map { ($0, .integer) },
                                 rows: rows, onConflict: .init(key: ["account_id", period, "currency"], add: sums))
    }

    func insertEntries(_ prepared: Prepared, numbers: [String]) async throws {
        let now = SQLCell.text(RFC3339.format(context.clock.now()))
        let reversalOf = SQLCell.uuid(ReversalMarker.current)
        let createdBy = SQLCell.text(actor.username)
        try await BulkInsert.run(db, into: "ledger_entries", columns: [
            ("id", .uuid), ("journal", .text), ("number", .text), ("date", .text), ("memo", .text),
            ("reversal_of", .uuid), ("idempotency_key", .text), ("content_hash", .text), ("created_by", .text),
            ("created_at", .text),
        ], rows: prepared.fresh.indices.map { position in
            let item = prepared.fresh[position]
            let entry = item.entry.entry
            return [.uuid(prepared.ids[position]), .text(entry.journal), .text(numbers[position]),
                    prepared.dates[position], .text(entry.memo), reversalOf, .text(entry.idempotencyKey),
                    .text(prepared.hashes[item.index]), createdBy, now]
        })
    }

    /// The rows of the batch's lines, keyed by their entry and place in it, and of the movements of the
    /// materialised balances, aggregated first so each balance row is touched once: per (account, month, currency)
    /// for `ledger_balances`, and per (account, day, currency) with the number of lines for `ledger_daily_balances`.
    /// Whole months are read from the first; a partial month, and the place of a general-ledger page, from the
    /// second. The balances' rows are in key order: neighbouring rows of the table's B-tree are written together,
    /// and concurrent writers on PostgreSQL lock rows in the same order.
    static func rows(_ prepared: Prepared) throws -> Rows {
        var rateTexts: [Decimal: String] = [:]
        var lines: [[SQLCell]] = []
        lines.reserveCapacity(prepared.count * 3)
        var monthly: [BalanceDeltaKey: BalanceDelta] = [:]
        var daily: [BalanceDeltaKey: BalanceDelta] = [:]
        for (position, item) in prepared.fresh.enumerated() {
            let id = prepared.ids[position]
            let date = prepared.dates[position]
            let month = item.entry.entry.date.monthText
            let day = item.entry.entry.date.description
            for (number, line) in item.entry.lines.enumerated() {
                let source = line.source
                let dimensions = source.dimensions.isEmpty ? nil
                    : String(decoding: try JSONEncoder.sorted.encode(source.dimensions), as: UTF8.self)
                let rate = rateTexts[line.rate] ?? "\(line.rate)"
                rateTexts[line.rate] = rate
                let account = prepared.accounts[line.account.id]!
                lines.append([.uuid(id), .integer(Int64(number)), .uuid(account), date,
                              .integer(line.debit), .integer(line.credit), .text(line.currency.code),
                              .integer(line.functionalDebit), .integer(line.functionalCredit), .text(rate),
                              .text(source.memo), .text(source.partner), .text(source.dueDate?.description),
                              .text(dimensions)])
                let delta = BalanceDelta(debit: line.debit, credit: line.credit, functionalDebit: line.functionalDebit,
                                         functionalCredit: line.functionalCredit, lines: 1)
                monthly[BalanceDeltaKey(account: account, period: month, currency: line.currency.code), default: .zero] += delta
                daily[BalanceDeltaKey(account: account, period: day, currency: line.currency.code), default: .zero] += delta
            }
        }
        return Rows(lines: lines, monthly: balanceRows(monthly, counted: false), daily: balanceRows(daily, counted: true))
    }

    /// A line row's columns, in the order `rows` gives their values.
    static let lineColumns: [(String, SQLCell.Kind)] = [
        ("entry_id", .uuid), ("line_no", .integer), ("account_id", .uuid), ("date", .text),
        ("debit", .integer), ("credit", .integer), ("currency", .text), ("func_debit", .integer),
        ("func_credit", .integer), ("rate", .text), ("memo", .text), ("partner", .text), ("due_date", .text),
        ("dimensions", .text),
    ]

    /// A balance table's rows, in key order, with the number of lines when `counted` (the daily balances).
    private static func balanceRows(_ deltas: [BalanceDeltaKey: BalanceDelta], counted: Bool) -> [[SQLCell]] {
        deltas.sorted { $0.key < $1.key }.map { key, value -> [SQLCell] in
            var row: [SQLCell] = [.uuid(key.account), .text(key.period), .text(key.currency), .integer(value.debit),
                                  .integer(value.credit), .integer(value.functionalDebit), .integer(value.functionalCredit)]
            if counted { row.append(.integer(value.lines)) }
            return row
        }
    }

    func audit(_ prepared: Prepared, numbers: [String], mode: AuditMode) async throws {
        struct EntryAudit: Encodable, Sendable {
            let number: String, journal: String, date: String, memo: String, lines: [LineAudit]
        }
        struct LineAudit: Encodable, Sendable {
            let account: String, debit: String, credit: String, currency: String
        }
        struct BatchAudit: Encodable, Sendable { let name: String, posted: Int, replayed: Int, first: String?, last: String? }
        switch mode {
        case .none: return
        case .perEntry: break
        case .batch(let auditAs):
            let summary = BatchAudit(name: auditAs, posted: prepared.count, replayed: prepared.batchCount - prepared.count,
                                     first: numbers.first, last: numbers.last)
            try await context.audit(db, actor, "ledger.batch.post", entity: "ledger_batch", id: auditAs,
                                    before: nil as BatchAudit?, after: summary)
            return
        }
        let records = try prepared.fresh.indices.map { position in
            let item = prepared.fresh[position]
            let entry = item.entry.entry
            let lines = item.entry.lines.map {
                LineAudit(account: $0.account.fullName,
                          debit: Money(minorUnits: $0.debit, currency: $0.currency).decimalString,
                          credit: Money(minorUnits: $0.credit, currency: $0.currency).decimalString,
                          currency: $0.currency.code)
            }
            return try AuditChain.Entry(action: "ledger.entry.post", entity: "ledger_entry",
                                        entityID: prepared.ids[position].lowercaseText, before: nil as EntryAudit?,
                                        after: EntryAudit(number: numbers[position], journal: entry.journal,
                                                          date: entry.date.description, memo: entry.memo, lines: lines))
        }
        try await context.audit(db, actor, records)
    }

    /// Earlier postings by idempotency key: their result and content hash.
    func earlierPostings(keys: [String]) async throws -> [String: (PostingResult, String)] {
        guard !keys.isEmpty else { return [:] }
        var found: [String: (PostingResult, String)] = [:]
        for chunk in Array(Set(keys)).chunked(Self.keysPerQuery) {
            let rows = try await db.sql.select().columns("id", "number", "idempotency_key", "content_hash")
                .from("ledger_entries").where(SQLIdentifier("idempotency_key"), .in, SQLBind.group(Array(chunk))).all()
            for row in rows {
                let key = try row.decode(column: "idempotency_key", as: String.self)
                let id = try row.decode(column: "id", as: UUID.self)
                found[key] = (PostingResult(id: id.lowercaseText,
                                            number: try row.decode(column: "number", as: String.self), replayed: true),
                              try row.decode(column: "content_hash", as: String.self))
            }
        }
        return found
    }


    static func contentHash(_ entry: ProposedEntry) throws -> String {
        var copy = entry
        copy.idempotencyKey = nil
        let data = try JSONEncoder.sorted.encode(copy)
        return SHA256.hash(data: data).lowercaseHex
    }
}

/// Set while posting a reversal, so the reversing entry's row links to the entry it reverses.
enum ReversalMarker {
    @TaskLocal static var current: UUID?
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

/// One row of materialised balances: an account, a period (month or day) and a currency.
struct BalanceDeltaKey: Hashable, Comparable {
    let account: UUID, period: String, currency: String

    /// By account (its bytes, the order of its text), period, then currency.
    static func < (lhs: BalanceDeltaKey, rhs: BalanceDeltaKey) -> Bool {
        if lhs.account != rhs.account { return lhs.account.isBefore(rhs.account) }
        return (lhs.period, lhs.currency) < (rhs.period, rhs.currency)
    }
}

/// What a batch adds to one row of materialised balances.
struct BalanceDelta {
    var debit: Int64, credit: Int64, functionalDebit: Int64, functionalCredit: Int64, lines: Int64
    static let zero = BalanceDelta(debit: 0, credit: 0, functionalDebit: 0, functionalCredit: 0, lines: 0)

    static func += (lhs: inout BalanceDelta, rhs: BalanceDelta) {
        lhs.debit += rhs.debit
        lhs.credit += rhs.credit
        lhs.functionalDebit += rhs.functionalDebit
        lhs.functionalCredit += rhs.functionalCredit
        lhs.lines += rhs.lines
    }
}
