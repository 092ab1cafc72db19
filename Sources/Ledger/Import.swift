import Crypto
import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// What an import did.
public struct ImportSummary: Sendable, Codable, Equatable {
    public let file: String
    public let sha256: String
    public let entries: Int
    public let accountsCreated: Int
    public let companyCreated: Bool
}

/// The plain-text formats Keel reads and writes.
public enum PlainTextFormat: String, Sendable, CaseIterable {
    /// ledger-cli / hledger journals, beancount files, and postings as CSV (import only).
    case ledger, beancount, csv

    /// `currency` is what `$` means in a ledger journal, and the books' functional currency for CSV.
    func parser(dollar currency: Currency?) -> any TransactionParser {
        switch self {
        case .ledger: JournalParser(dollar: currency)
        case .beancount: BeancountParser()
        case .csv: CSVPostingsParser(functional: currency)
        }
    }
}

extension LedgerService {
    public static let importEntriesPerChunk = 2_000

    /// Imports a ledger-cli / hledger journal, streaming, in one pass and one transaction: chunks of transactions
    /// are posted as they are read, and any problem (a syntax error, an unbalanced entry, a closed period...) rolls
    /// the whole import back once the file has been read to its end, so every problem is reported at once, with
    /// its line, and nothing is written unless the whole file is valid. Missing accounts are created from their
    /// names; a fresh database gets its company set up first (functional currency from `currency`, or the currency
    /// the file declares, or its first currency). One audit record names the file.
    /// A beancount file's account names ("Assets:Current-Assets:Bank") are matched to the chart's accounts by
    /// their beancount form, so a file Keel exported imports back into the same accounts.
    /// A file whose bytes were imported before (its SHA-256 in a `ledger.import` audit record) is refused with
    /// `import.already_imported`, since its entries would be posted twice; `again` imports it anyway.
    /// On SQLite it is a bulk transaction: in a process that allows it (`DatabaseSetup.allowBulkWrites`) and with
    /// no other connection to the file, it writes through a rollback journal rather than the WAL.
    public func importJournal(path: String, format: PlainTextFormat = .ledger, currency: String? = nil,
                              again: Bool = false, by actor: Principal, progress: (@Sendable (Int) -> Void)? = nil) async throws -> ImportSummary {
        try require(actor, Permission("ledger", .write))
        let given = try currency.map { try Currency.parse($0, field: "--currency") }
        let dollar = format == .csv ? (try await company()?.currency ?? given) : given
        let fileName = URL(fileURLWithPath: path).lastPathComponent
        // Once the books have an import, a file is hashed before it is read into them, so that one imported before is
        // refused at once rather than after it has been read and posted through (the refusal of a 138 MB journal
        // takes 0.8 s, its import about 17 s). The check after the pass stays: it is the one that
        // holds if the file changes meanwhile, and the only one on books without an import.
        if !again, try await !AuditChain.list(on: db, filter: .init(entity: "import", action: "ledger.import", limit: 1)).isEmpty,
           let refusal = try await alreadyImported(try JournalChunks.sha256(path: path), fileName: fileName, on: db) {
            throw refusal
        }
        let summary = try await writeTransaction(db, bulk: true) { tx in
            let service = LedgerService(db: tx, context: context)
            let chunks = try JournalChunks(path: path, format: format, parser: format.parser(dollar: dollar))
            var importer = JournalImport(service: service, actor: actor, format: format, dollar: dollar,
                                         fileName: fileName)
            try await importer.post(chunks, progress: progress)
            let sha256 = chunks.sha256
            if !again, let refusal = try await alreadyImported(sha256, fileName: fileName, on: tx) { throw refusal }
            if !importer.problems.isEmpty { throw Self.importError(path, importer.problems) }
            let summary = ImportSummary(file: fileName, sha256: sha256, entries: importer.posted,
                                        accountsCreated: importer.accountsCreated,
                                        companyCreated: importer.companyCreated)
            try await context.audit(tx, actor, "ledger.import", entity: "import", id: sha256,
                                    before: nil as ImportSummary?, after: summary)
            return summary
        }
        if db.isPostgres { await Self.analyzeAfterImport(on: db) }
        return summary
    }

    /// PostgreSQL plans queries from table statistics, which a bulk load leaves stale until autovacuum gets to the
    /// tables; its manual advises `ANALYZE` after one ("Populating a Database"). The import has committed by then, so
    /// a failure here is logged rather than reported as the import's.
    static func analyzeAfterImport(on db: any Database) async {
        do {
            try await db.sql.raw("""
                ANALYZE ledger_accounts, ledger_entries, ledger_lines, ledger_balances, ledger_daily_balances
                """).run()
        } catch {
            db.logger.warning("ANALYZE after the import failed: \(String(reflecting: error))")
        }
    }

    /// `import.already_imported` for a file whose SHA-256 a `ledger.import` audit record names, naming when and how
    /// many entries; nil when no import had that content.
    func alreadyImported(_ sha256: String, fileName: String, on db: any Database) async throws -> DomainError? {
        guard let earlier = try await AuditChain.list(
            on: db, filter: .init(entity: "import", entityID: sha256, action: "ledger.import", limit: 1)).first
        else { return nil }
        let before = earlier.after.flatMap { try? JSONDecoder().decode(ImportSummary.self, from: Data($0.utf8)) }
        return DomainError.conflict("import.already_imported", """
            \(fileName) has the same content (sha256 \(sha256.prefix(12))...) as \
            \(before.map { "\($0.file), " } ?? "a file ")imported at \(earlier.at) by \(earlier.actor)\
            \(before.map { " (\($0.entries) entries)" } ?? ""): importing it again would post its entries \
            twice. To import it again on purpose, give --again.
            """)
    }

    static func entry(from transaction: ParsedTransaction) -> ProposedEntry {
        let notes = transaction.notes.isEmpty ? "" : " [" + transaction.notes.joined(separator: "; ") + "]"
        let lines = transaction.postings.map { posting -> ProposedLine in
            let amount = posting.amount!
            let magnitude = amount.minorUnits.magnitude > UInt64(Int64.max) ? Int64.max : abs(amount.minorUnits)
            return ProposedLine(account: posting.account, debit: amount.minorUnits > 0 ? magnitude : nil,
                                credit: amount.minorUnits > 0 ? nil : magnitude, currency: amount.currency,
                                functionalAmount: posting.total.map { abs($0.minorUnits) }, memo: posting.memo)
        }
        return ProposedEntry(journal: transaction.journal ?? "GEN", date: transaction.date,
                             memo: String((transaction.payee + notes).prefix(EntryRules.memoLengthMax)), lines: lines)
    }

    static func importError(_ path: String, _ problems: [DomainError.Item]) -> DomainError {
        rowsError("import.invalid", source: URL(fileURLWithPath: path).lastPathComponent, problems,
                  outcome: " in all; nothing was imported")
    }

    /// Problems found in the rows of a file or a pasted text, each with its line: the first is named as
    /// `source:line`, then how many there are and what was therefore not done.
    static func rowsError(_ code: String, source: String, _ problems: [DomainError.Item], outcome: String) -> DomainError {
        let first = problems[0]
        return DomainError(.invalid, code, "\(source):\(first.line ?? 0): \(first.message) (\(problems.count) problem"
                            + "\(problems.count == 1 ? "" : "s")\(outcome))", items: problems)
    }

    /// Creates the accounts a file names that the chart lacks, with their parents (as headers), and returns
    /// how many were created. Codes are the type's digit, 9, and a running number (19001, 59002).
    func ensureAccounts(_ names: Set<String>, by actor: Principal) async throws -> Int {
        var existing = Dictionary(uniqueKeysWithValues: try await AccountModel.query(on: db).all().map { ($0.fullName, $0) })
        var created = 0
        let typeDigit: [AccountType: String] = [.asset: "1", .liability: "2", .equity: "3", .income: "4", .expense: "5"]
        var counters: [String: Int] = [:]
        for model in existing.values {
            let code = model.code
            if code.count == 5, code.dropFirst().first == "9", let value = Int(code.dropFirst(2)) {
                counters[String(code.prefix(1)), default: 0] = max(counters[String(code.prefix(1)), default: 0], value)
            }
        }
        for name in names.sorted() where existing[name] == nil {
            let parts = name.split(separator: ":").map(String.init)
            for depth in 1...parts.count {
                let path = parts.prefix(depth).joined(separator: ":")
                guard existing[path] == nil else { continue }
                let type = AccountType(rootName: parts[0])!
                let digit = typeDigit[type]!
                counters[digit, default: 0] += 1
                let code = "\(digit)9" + String(format: "%03d", counters[digit]!)
                let parentPath = parts.prefix(depth - 1).joined(separator: ":")
                let model = AccountModel.make(code: code, fullName: path, type: type, subtype: .none,
                                              parentID: existing[parentPath]?.id, isHeader: depth < parts.count,
                                              currency: nil)
                try await model.create(on: db)
                existing[path] = model
                created += 1
            }
        }
        // A name that is a header here but was posted to in the file would be refused by the rules; a plain-text
        // ledger lets parents take postings, so such parents become postable.
        for name in names {
            if let model = existing[name], model.isHeader {
                model.isHeader = false
                try await model.save(on: db)
            }
        }
        return created
    }
}

/// The writing side of an import, chunk by chunk inside its transaction: on a fresh database the company (before
/// the first posting), then the accounts a chunk names for the first time, then the chunk's entries. Once the file
/// has shown a problem of its own (syntax, an account name), nothing more is written: the rest is only read, for its
/// problems, and the transaction is rolled back.
struct JournalImport {
    let service: LedgerService
    let actor: Principal
    let format: PlainTextFormat
    let dollar: Currency?
    let fileName: String
    /// A beancount file's account names of the chart's accounts whose beancount form differs, read once the books
    /// have a chart (`PlainTextExport.beancountName`).
    private var aliases: [String: String]?
    /// Every problem, in line order, once `post` has returned.
    private(set) var problems: [DomainError.Item] = []
    private(set) var posted = 0
    private(set) var accountsCreated = 0
    private(set) var companyCreated = false
    /// The functional currency chosen from the file's first transactions when the import set the company up.
    private var chosenFromFile: Currency?

    init(service: LedgerService, actor: Principal, format: PlainTextFormat, dollar: Currency?, fileName: String) {
        self.service = service
        self.actor = actor
        self.format = format
        self.dollar = dollar
        self.fileName = fileName
    }

    /// Three stages on two cores. The writer, on the SQLite writer's thread, loads what a chunk's checks need (its
    /// accounts and months), then writes the chunk before it while this one is checked and its rows are made on the
    /// other core (`PostingEngine.prepare`), where the chunk after it is being read and parsed. The transaction's code
    /// runs on the SQLite writer's event loop (its task executor), which a child task (`async let`) would inherit and
    /// start on: it would wait for the writer to yield that thread. The other stages are therefore tasks that start on
    /// the global executor.
    mutating func post(_ chunks: JournalChunks, progress: (@Sendable (Int) -> Void)?) async throws {
        var hasCompany = try await service.company() != nil
        let engine = PostingEngine(db: service.db, context: service.context, actor: actor)
        var chunk = await chunks.read().value
        var checking: Checking?
        while true {
            let following = chunk.last ? nil : chunks.read()
            do {
                if chunk.fileProblems == 0 {
                    if !hasCompany, !chunk.entries.isEmpty {
                        try await setUpCompany(declared: chunk.declaredCurrency, first: chunk.firstCurrency)
                        hasCompany = true
                    }
                    let aliases = try await chartAliases(hasCompany: hasCompany)
                    if !chunk.accounts.isEmpty {
                        accountsCreated += try await service.ensureAccounts(Set(chunk.accounts.map { aliases[$0] ?? $0 }),
                                                                            by: actor)
                    }
                    if !chunk.entries.isEmpty {
                        let entries = aliases.isEmpty ? chunk.entries : Self.renamed(chunk.entries, aliases)
                        let loaded = try await engine.load(entries)
                        let next = Checking(lines: chunk.lines, prepared: Task(executorPreference: globalConcurrentExecutor) {
                            try PostingEngine.prepare(entries, with: loaded, rows: true)
                        })
                        if let previous = checking.take() {
                            try await write(previous, fileValid: true, with: engine, progress: progress)
                        }
                        checking = next
                    }
                }
                if chunk.last, let previous = checking.take() {
                    try await write(previous, fileValid: chunk.fileProblems == 0, with: engine, progress: progress)
                }
            } catch {
                following?.cancel()
                throw error
            }
            guard let following else { break }
            chunk = await following.value
        }
        problems = (chunks.problems + problems).sorted { ($0.line ?? 0) < ($1.line ?? 0) }
        guard problems.isEmpty else { return }
        if !hasCompany { try await setUpCompany(declared: chunks.declaredCurrency, first: chunks.firstCurrency) }
        if !chunks.openedOnly.isEmpty {
            let aliases = try await chartAliases(hasCompany: true)
            accountsCreated += try await service.ensureAccounts(Set(chunks.openedOnly.map { aliases[$0] ?? $0 }), by: actor)
        }
        if let chosen = chosenFromFile, let declared = chunks.declaredCurrency, declared != chosen {
            throw DomainError.invalid("import.currency_declared_late", """
                \(fileName) declares \(declared.code) as its operating currency after transactions in \(chosen.code), \
                which set the books up in \(chosen.code): declare it before the first transaction, or give --currency
                """)
        }
    }

    /// A chunk being checked on the other core, with the line each of its entries starts on.
    private struct Checking {
        let lines: [Int]
        let prepared: Task<PostingEngine.Prepared, any Error>
    }

    /// Writes a checked chunk, or notes its entries' problems with their lines (the import goes on to find the rest,
    /// and is rolled back at the end). Once the file (up to the chunk read last, `fileValid`) or an entry has shown a
    /// problem, nothing more is written.
    private mutating func write(_ checking: consuming Checking, fileValid: Bool, with engine: PostingEngine,
                                progress: (@Sendable (Int) -> Void)?) async throws {
        let prepared: PostingEngine.Prepared
        do {
            prepared = try await checking.prepared.value
        } catch let error as DomainError where !error.items.isEmpty {
            problems += error.items.map {
                .init(line: $0.index.map { checking.lines[$0] }, field: $0.field, code: $0.code, message: $0.message)
            }
            return
        }
        guard problems.isEmpty, fileValid else { return }
        posted += try await engine.record(prepared, audit: .none).count
        progress?(posted)
        // The chunk's values (its entries, their lines, their rows) are freed on the other core rather than on the
        // writer's thread, where freeing them was about a twentieth of the writer's time: the writer lets go of its
        // references as this returns, and the task below, which holds the chunk's task and so its result, usually
        // starts after that and is then the last to let go. Either way they are freed once.
        let task = checking.prepared
        _ = consume checking
        Task(executorPreference: globalConcurrentExecutor) { _ = await task.result }
    }

    /// The entries with their lines' accounts under the chart's names.
    static func renamed(_ entries: [ProposedEntry], _ aliases: [String: String]) -> [ProposedEntry] {
        entries.map { entry in
            var entry = entry
            for index in entry.lines.indices {
                if let name = aliases[entry.lines[index].account] { entry.lines[index].account = name }
            }
            return entry
        }
    }

    /// The aliases, read the first time the books have a chart (on a fresh database, once the import set it up).
    private mutating func chartAliases(hasCompany: Bool) async throws -> [String: String] {
        if let aliases { return aliases }
        guard format == .beancount, hasCompany else { return [:] }
        var found: [String: String] = [:]
        for account in try await service.accounts() where PlainTextExport.beancountName(account) != account.fullName {
            found[PlainTextExport.beancountName(account)] = account.fullName
        }
        aliases = found
        return found
    }

    /// Sets the company up in the given currency, or the one the file declares, or its first currency.
    private mutating func setUpCompany(declared: Currency?, first: Currency?) async throws {
        guard let functional = dollar ?? declared ?? first else {
            throw DomainError.invalid("import.currency_unknown", "Give --currency: the file names no currency")
        }
        _ = try await service.setUpCompany(name: fileName, currency: functional.code, by: actor)
        companyCreated = true
        if dollar == nil && declared == nil { chosenFromFile = functional }
    }
}

/// A journal read chunk by chunk for its import: the entries of up to `LedgerService.importEntriesPerChunk`
/// transactions, each with the line it starts on, the accounts named for the first time, and whether the file has
/// shown a problem so far; the file's SHA-256 and its problems once the last chunk is read.
///
/// Unchecked `Sendable`: the reader, the parser and the hash are mutable state, handed from one chunk's reading
/// task to the next. The import awaits each read before it starts the following one, so only one task uses them at
/// a time (after an error it starts none), and reads the results only after the last.
final class JournalChunks: @unchecked Sendable {
    struct Chunk: Sendable {
        var entries: [ProposedEntry] = []
        var lines: [Int] = []
        /// Account names as the file writes them, not named by an earlier chunk.
        var accounts: Set<String> = []
        /// How many problems the file has shown up to the end of this chunk (syntax, account names).
        var fileProblems = 0
        var declaredCurrency: Currency?
        var firstCurrency: Currency?
        /// Whether the file ends with this chunk.
        var last = false
    }

    private var reader: LineReader
    private var parser: any TransactionParser
    private let format: PlainTextFormat
    private var hasher = SHA256()
    private var number = 0
    private var atEnd = false
    private var named: Set<String> = []
    private var nameProblems: [DomainError.Item] = []
    private(set) var firstCurrency: Currency?

    init(path: String, format: PlainTextFormat, parser: any TransactionParser) throws {
        reader = try LineReader(path: path)
        self.format = format
        self.parser = parser
    }

    deinit { reader.close() }

    /// Starts reading the next chunk on the global executor, whatever executor the caller prefers. The task keeps
    /// this reader alive; a cancelled read still finishes its chunk (the file closes when the last task is done).
    func read() -> Task<Chunk, Never> {
        Task(executorPreference: globalConcurrentExecutor) { self.next() }
    }

    /// The SHA-256 of the lines read, each with a line feed: the file's bytes as `sha256sum` reads them when its
    /// lines end with a line feed.
    var sha256: String { hasher.finalize().lowercaseHex }

    /// The SHA-256 a whole read of the file gives (`sha256`), without parsing it.
    static func sha256(path: String) throws -> String {
        var reader = try LineReader(path: path)
        defer { reader.close() }
        var hasher = SHA256()
        while var line = reader.next() { hash(&line, into: &hasher) }
        return hasher.finalize().lowercaseHex
    }

    /// Adds a line read, and the line feed it ended with, to a file's hash (the same for both reads).
    private static func hash(_ line: inout String, into hasher: inout SHA256) {
        line.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        hasher.update(data: newline)
    }

    /// The file's own problems (syntax, account names), once the last chunk is read.
    var problems: [DomainError.Item] { parser.problems + nameProblems }
    var declaredCurrency: Currency? { parser.declaredCurrency }

    /// Accounts the file opens but never posts to (beancount `open`), once the last chunk is read.
    private(set) var openedOnly: Set<String> = []

    private static let newline = Data([0x0A])

    private func next() -> Chunk {
        var chunk = Chunk()
        chunk.entries.reserveCapacity(LedgerService.importEntriesPerChunk)
        chunk.lines.reserveCapacity(LedgerService.importEntriesPerChunk)
        while !atEnd && chunk.entries.count < LedgerService.importEntriesPerChunk {
            let transaction: ParsedTransaction?
            if var line = reader.next() {
                number += 1
                Self.hash(&line, into: &hasher)
                transaction = parser.feed(line, line: number)
            } else {
                atEnd = true
                transaction = parser.finish()
            }
            guard let transaction else { continue }
            for posting in transaction.postings {
                note(posting.account, line: posting.line, into: &chunk)
                if firstCurrency == nil { firstCurrency = posting.amount?.currency }
            }
            chunk.entries.append(LedgerService.entry(from: transaction))
            chunk.lines.append(transaction.line)
        }
        if atEnd {
            // Accounts the file opens but never posts to are created at the end, with the accounts posted to first.
            for name in parser.openedAccounts where !named.contains(name) {
                var opened = Chunk()
                note(name, line: nil, into: &opened)
                openedOnly.formUnion(opened.accounts)
            }
        }
        chunk.fileProblems = parser.problems.count + nameProblems.count
        chunk.declaredCurrency = parser.declaredCurrency
        chunk.firstCurrency = firstCurrency
        chunk.last = atEnd
        return chunk
    }

    /// Notes an account name the first time the file names it: a new account for the chunk, or a problem.
    private func note(_ name: String, line: Int?, into chunk: inout Chunk) {
        guard !named.contains(name) else { return }
        named.insert(name)
        do {
            _ = try AccountNames.parse(name, field: "account")
            chunk.accounts.insert(name)
        } catch {
            // CSV rows may name accounts by code; the posting rules check those against the chart.
            if format != .csv {
                nameProblems.append(.init(line: line, field: "account", code: error.code, message: error.message))
            }
        }
    }
}
