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

    /// Imports a ledger-cli / hledger journal. The file is read twice, streaming: first to find every problem
    /// (reported with line numbers), then to post it in one transaction: nothing is written unless the whole file
    /// is valid. Missing accounts are created from their names; a fresh database gets its company set up first
    /// (functional currency from `currency`, or the file's first currency). One audit record names the file.
    /// A beancount file's account names ("Assets:Current-Assets:Bank") are matched to the chart's accounts by
    /// their beancount form, so a file Keel exported imports back into the same accounts.
    /// A file whose bytes were imported before (its SHA-256 in a `ledger.import` audit record) is refused with
    /// `import.already_imported`, since its entries would be posted twice; `again` imports it anyway.
    public func importJournal(path: String, format: PlainTextFormat = .ledger, currency: String? = nil,
                              again: Bool = false, by actor: Principal, progress: (@Sendable (Int) -> Void)? = nil) async throws -> ImportSummary {
        try require(actor, Permission("ledger", .write))
        let given = try currency.map { try Currency.parse($0, field: "--currency") }
        let dollar = format == .csv ? (try await company()?.currency ?? given) : given
        let scan = try scan(path: path, format: format, dollar: dollar)
        let fileName = URL(fileURLWithPath: path).lastPathComponent
        return try await writeTransaction(db) { tx in
            if !again, let earlier = try await AuditChain.list(
                on: tx, filter: .init(entity: "import", entityID: scan.sha256, action: "ledger.import", limit: 1)).first {
                let before = earlier.after.flatMap { try? JSONDecoder().decode(ImportSummary.self, from: Data($0.utf8)) }
                throw DomainError.conflict("import.already_imported", """
                    \(fileName) has the same content (sha256 \(scan.sha256.prefix(12))...) as \
                    \(before.map { "\($0.file), " } ?? "a file ")imported at \(earlier.at) by \(earlier.actor)\
                    \(before.map { " (\($0.entries) entries)" } ?? ""): importing it again would post its entries \
                    twice. To import it again on purpose, give --again.
                    """)
            }
            let service = LedgerService(db: tx, context: context)
            var companyCreated = false
            if try await service.company() == nil {
                guard let functional = dollar ?? scan.declaredCurrency ?? scan.firstCurrency else {
                    throw DomainError.invalid("import.currency_unknown", "Give --currency: the file names no currency")
                }
                _ = try await service.setUpCompany(name: fileName, currency: functional.code, by: actor)
                companyCreated = true
            }
            var aliases: [String: String] = [:]
            if format == .beancount {
                for account in try await service.accounts() where PlainTextExport.beancountName(account) != account.fullName {
                    aliases[PlainTextExport.beancountName(account)] = account.fullName
                }
            }
            let created = try await service.ensureAccounts(Set(scan.accounts.map { aliases[$0] ?? $0 }), by: actor)
            let entries = try await service.postJournal(path: path, format: format, dollar: dollar, aliases: aliases,
                                                        by: actor, progress: progress)
            let summary = ImportSummary(file: fileName, sha256: scan.sha256, entries: entries, accountsCreated: created,
                                        companyCreated: companyCreated)
            try await context.audit(tx, actor, "ledger.import", entity: "import", id: scan.sha256,
                                    before: nil as ImportSummary?, after: summary)
            return summary
        }
    }

    struct Scan {
        let sha256: String
        let accounts: Set<String>
        let firstCurrency: Currency?
        let declaredCurrency: Currency?
    }

    /// The first pass: syntax, elided amounts, account names and the file's hash; every problem at once.
    func scan(path: String, format: PlainTextFormat, dollar: Currency?) throws -> Scan {
        var reader = try LineReader(path: path)
        defer { reader.close() }
        var parser = format.parser(dollar: dollar)
        var hasher = SHA256()
        var accounts = Set<String>()
        var firstCurrency: Currency?
        var problems: [DomainError.Item] = []
        var number = 0
        func take(_ transaction: ParsedTransaction?) {
            guard let transaction else { return }
            for posting in transaction.postings {
                if !accounts.contains(posting.account) {
                    do {
                        _ = try AccountNames.parse(posting.account, field: "account")
                        accounts.insert(posting.account)
                    } catch {
                        // CSV rows may name accounts by code; the posting rules check those against the chart.
                        if format != .csv {
                            problems.append(.init(line: posting.line, field: "account", code: error.code,
                                                  message: error.message))
                        }
                    }
                }
                if firstCurrency == nil { firstCurrency = posting.amount?.currency }
            }
        }
        while let line = reader.next() {
            number += 1
            hasher.update(data: Data((line + "\n").utf8))
            take(parser.feed(line, line: number))
        }
        take(parser.finish())
        for name in parser.openedAccounts where !accounts.contains(name) {
            do {
                _ = try AccountNames.parse(name, field: "account")
                accounts.insert(name)
            } catch {
                problems.append(.init(field: "account", code: error.code, message: error.message))
            }
        }
        problems = (parser.problems + problems).sorted { ($0.line ?? 0) < ($1.line ?? 0) }
        if !problems.isEmpty { throw Self.importError(path, problems) }
        return Scan(sha256: hasher.finalize().lowercaseHex, accounts: accounts,
                    firstCurrency: firstCurrency, declaredCurrency: parser.declaredCurrency)
    }

    /// The second pass, inside the import's transaction: posts chunk by chunk; problems the books find
    /// (unbalanced, closed period, missing rate...) are collected with their lines, and any one of them
    /// rolls the whole import back.
    func postJournal(path: String, format: PlainTextFormat, dollar: Currency?, aliases: [String: String],
                     by actor: Principal, progress: (@Sendable (Int) -> Void)?) async throws -> Int {
        var reader = try LineReader(path: path)
        defer { reader.close() }
        var parser = format.parser(dollar: dollar)
        var number = 0
        var atEnd = false
        /// The next chunk of entries, with the line each starts on; empty at the end of the file.
        func readChunk() -> (entries: [ProposedEntry], lines: [Int]) {
            var chunk: [ProposedEntry] = []
            var lines: [Int] = []
            chunk.reserveCapacity(Self.importEntriesPerChunk)
            while !atEnd && chunk.count < Self.importEntriesPerChunk {
                let transaction: ParsedTransaction?
                if let line = reader.next() {
                    number += 1
                    transaction = parser.feed(line, line: number)
                } else {
                    atEnd = true
                    transaction = parser.finish()
                }
                if let transaction {
                    chunk.append(Self.entry(from: transaction, aliases: aliases))
                    lines.append(transaction.line)
                }
            }
            return (chunk, lines)
        }
        var problems: [DomainError.Item] = []
        var posted = 0
        let engine = PostingEngine(db: db, context: context, actor: actor)
        // Two stages on two cores: while one chunk is posted, the next is parsed.
        var chunk = readChunk()
        while !chunk.entries.isEmpty {
            let current = chunk
            async let outcome = Self.postChunk(current.entries, lines: current.lines, with: engine)
            chunk = readChunk()
            let result = try await outcome
            posted += result.posted
            problems += result.problems
            if result.posted > 0 { progress?(posted) }
        }
        if !problems.isEmpty { throw Self.importError(path, problems) }
        return posted
    }

    /// Posts one chunk; entry problems come back with their lines (the import goes on to find the rest, and is
    /// rolled back at the end), any other error ends the import.
    static func postChunk(_ chunk: [ProposedEntry], lines: [Int],
                          with engine: PostingEngine) async throws -> (posted: Int, problems: [DomainError.Item]) {
        do {
            return (try await engine.post(chunk, audit: .none).count, [])
        } catch let error as DomainError where !error.items.isEmpty {
            return (0, error.items.map {
                .init(line: $0.index.map { lines[$0] }, field: $0.field, code: $0.code, message: $0.message)
            })
        }
    }

    static func entry(from transaction: ParsedTransaction, aliases: [String: String] = [:]) -> ProposedEntry {
        let notes = transaction.notes.isEmpty ? "" : " [" + transaction.notes.joined(separator: "; ") + "]"
        let lines = transaction.postings.map { posting -> ProposedLine in
            let amount = posting.amount!
            let magnitude = amount.minorUnits.magnitude > UInt64(Int64.max) ? Int64.max : abs(amount.minorUnits)
            return ProposedLine(account: aliases[posting.account] ?? posting.account, debit: amount.minorUnits > 0 ? magnitude : nil,
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
