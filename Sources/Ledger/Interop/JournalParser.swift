import Foundation
import Kernel

/// Reads a file line by line in fixed-size chunks, so memory does not grow with the file.
public struct LineReader {
    let handle: FileHandle
    var buffer: [UInt8] = []
    /// Where the next line starts in `buffer`; consumed bytes are dropped only when a new chunk is read.
    var position = 0
    var atEnd = false
    public private(set) var bytesRead = 0

    public init(path: String) throws(DomainError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .notFound("import.file_missing", "Cannot read \(path)")
        }
        self.handle = handle
    }

    public mutating func next() -> String? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0A) {
                var end = newline
                if end > position && buffer[end - 1] == 0x0D { end -= 1 }
                defer { position = newline + 1 }
                return String(decoding: buffer[position..<end], as: UTF8.self)
            }
            if atEnd {
                guard position < buffer.count else { return nil }
                defer { position = buffer.count }
                var end = buffer.count
                if buffer[end - 1] == 0x0D { end -= 1 }
                return String(decoding: buffer[position..<end], as: UTF8.self)
            }
            let chunk = handle.readData(ofLength: 1 << 16)
            bytesRead += chunk.count
            buffer.removeSubrange(0..<position)
            position = 0
            if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
        }
    }

    public func close() { try? handle.close() }
}

/// A set of ASCII bytes as a 128-bit mask: asking it costs a shift, where a `Set<UInt8>` hashes the byte. The fast
/// reader asks one of every byte of every posting (with a `Set`, 7 % of an import's time).
struct ASCIISet: Sendable {
    private var low: UInt64 = 0
    private var high: UInt64 = 0

    init(_ characters: String) {
        for byte in characters.utf8 {
            precondition(byte < 128, "ASCIISet holds ASCII only")
            if byte < 64 { low |= 1 << byte } else { high |= 1 << (byte - 64) }
        }
    }

    func contains(_ byte: UInt8) -> Bool {
        byte < 64 ? low >> byte & 1 == 1 : byte < 128 && high >> (byte - 64) & 1 == 1
    }
}

/// One transaction as read from a ledger-cli / hledger journal, before the books resolve it.
public struct ParsedTransaction: Sendable {
    public struct Posting: Sendable {
        public let line: Int
        public let account: String
        /// `nil` for the one elided amount.
        public var amount: Money?
        /// The functional total given with `@@`.
        public let total: Money?
        public let memo: String?
    }

    public let line: Int
    public let date: CivilDate
    public let payee: String
    public var postings: [Posting]
    public var notes: [String]
    /// The transaction's code (ledger `(CODE)`, beancount `number:` metadata); Keel's own numbers
    /// ("CLS-2025-000001") bring their journal back on import.
    public var code: String?

    /// The journal a Keel entry number names, if any.
    var journal: String? {
        guard let prefix = code?.split(separator: "-").first.map(String.init),
              SeedJournals.journals.contains(where: { $0.0 == prefix }) else { return nil }
        return prefix
    }
}

/// The subset of ledger-cli / hledger journal syntax Keel imports: transactions (`DATE [*|!] [(CODE)] PAYEE`),
/// postings with ISO 4217 amounts (`$` mapped by the caller), one elided amount per transaction, `@@ TOTAL` in
/// the functional currency, comments and `account` directives. Anything else is refused with its line number.
public struct JournalParser {
    public let dollar: Currency?
    public private(set) var problems: [DomainError.Item] = []
    var current: ParsedTransaction?
    /// After a problem inside a transaction, its remaining lines are skipped rather than reported again.
    var skipping = false
    public static let problemsMax = 200

    public init(dollar: Currency?) { self.dollar = dollar }

    /// Feeds one line; returns a transaction when one is complete.
    public mutating func feed(_ raw: String, line: Int) -> ParsedTransaction? {
        if case .handled(let done)? = raw.utf8.withContiguousStorageIfAvailable({ fastFeed($0, line: line) }) {
            return done
        }
        return slowFeed(raw, line: line)
    }

    enum FastOutcome { case handled(ParsedTransaction?), declined }

    /// The common lines of a large journal, read on their bytes: blank lines, headers `DATE [*|!] PAYEE` and
    /// postings `ACCOUNT  AMOUNT CODE` (or `CODE AMOUNT`), in printable ASCII. Anything else, including every
    /// line with a problem, is declined and read by `slowFeed`, which gives the same result for the lines this
    /// accepts and reports problems with their reasons.
    mutating func fastFeed(_ bytes: UnsafeBufferPointer<UInt8>, line: Int) -> FastOutcome {
        guard bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return .declined }
        guard let first = bytes.firstIndex(where: { $0 != 0x20 }) else {
            skipping = false
            return .handled(finish())
        }
        if first == 0 {
            guard bytes.count >= 10, (0x30...0x39).contains(bytes[0]), !bytes.contains(0x3B) else { return .declined }
            return fastHeader(bytes, line: line)
        }
        let unusual = Self.unusualInPosting
        guard !skipping, current != nil, !bytes.contains(where: { unusual.contains($0) }) else {
            return .declined
        }
        return fastPosting(bytes, from: first, line: line)
    }

    /// Bytes that send a posting line to the full reader: `; $ " { @ = ( [ * ! ,`.
    static let unusualInPosting = ASCIISet(";$\"{@=([*!,")

    mutating func fastHeader(_ bytes: UnsafeBufferPointer<UInt8>, line: Int) -> FastOutcome {
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard (0x30...0x39).contains(bytes[index]) else { return nil }
                value = value * 10 + Int(bytes[index] - 0x30)
            }
            return value
        }
        guard bytes[4] == 0x2D, bytes[7] == 0x2D, bytes.count == 10 || bytes[10] == 0x20,
              let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10),
              let date = CivilDate(year: year, month: month, day: day) else { return .declined }
        var start = 10
        while start < bytes.count, bytes[start] == 0x20 { start += 1 }
        if start < bytes.count, bytes[start] == 0x2A || bytes[start] == 0x21 {
            start += 1
            while start < bytes.count, bytes[start] == 0x20 { start += 1 }
        }
        var end = bytes.count
        while end > start, bytes[end - 1] == 0x20 { end -= 1 }
        guard end - start <= EntryRules.memoLengthMax, start == end || bytes[start] != 0x28 else { return .declined }
        let done = finish()
        skipping = false
        current = ParsedTransaction(line: line, date: date,
                                    payee: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self),
                                    postings: [], notes: [], code: nil)
        return .handled(done)
    }

    mutating func fastPosting(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, line: Int) -> FastOutcome {
        var gap = start
        while gap + 1 < bytes.count, !(bytes[gap] == 0x20 && bytes[gap + 1] == 0x20) { gap += 1 }
        var end = gap + 1 < bytes.count ? gap : bytes.count
        while end > start, bytes[end - 1] == 0x20 { end -= 1 }
        let account = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        // The words after the gap: none (an elided amount), or a number and a currency code.
        var words: [Range<Int>] = []
        var index = end
        while index < bytes.count {
            while index < bytes.count, bytes[index] == 0x20 { index += 1 }
            let wordStart = index
            while index < bytes.count, bytes[index] != 0x20 { index += 1 }
            if index > wordStart { words.append(wordStart..<index) }
        }
        var amount: Money?
        if !words.isEmpty {
            let isLetter = { (byte: UInt8) in (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
            guard words.count == 2, isLetter(bytes[words[0].lowerBound]) != isLetter(bytes[words[1].lowerBound])
            else { return .declined }
            let (codeRange, numberRange) = isLetter(bytes[words[0].lowerBound]) ? (words[0], words[1]) : (words[1], words[0])
            guard codeRange.count == 3, bytes[codeRange].allSatisfy({ (0x41...0x5A).contains($0) }),
                  let currency = Currency(code: String(decoding: UnsafeBufferPointer(rebasing: bytes[codeRange]), as: UTF8.self)),
                  let minor = Self.minorUnits(bytes[numberRange], exponent: currency.exponent) else { return .declined }
            amount = Money(minorUnits: minor, currency: currency)
        }
        current!.postings.append(.init(line: line, account: account, amount: amount, total: nil, memo: nil))
        return .handled(nil)
    }

    /// `-1234.5` in minor units of a currency with `exponent` decimals; nil for anything else (grouping, too many
    /// decimals, too many digits), which the full reader then refuses or reads.
    static func minorUnits(_ text: Slice<UnsafeBufferPointer<UInt8>>, exponent: Int) -> Int64? {
        var index = text.startIndex
        var negative = false
        if index < text.endIndex, text[index] == 0x2D || text[index] == 0x2B {
            negative = text[index] == 0x2D
            index += 1
        }
        var value: Int64 = 0
        var digits = 0
        var decimals: Int?
        while index < text.endIndex {
            let byte = text[index]
            if byte == 0x2E {
                guard decimals == nil else { return nil }
                decimals = 0
            } else {
                guard (0x30...0x39).contains(byte), digits < 18 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
                digits += 1
                if decimals != nil { decimals! += 1 }
            }
            index += 1
        }
        // At most 18 digits once scaled, so the value cannot overflow; longer numbers take the checked path.
        guard digits > 0, decimals.map({ $0 > 0 && $0 <= exponent }) ?? true,
              digits + exponent - (decimals ?? 0) <= 18 else { return nil }
        for _ in 0..<(exponent - (decimals ?? 0)) { value *= 10 }
        return negative ? -value : value
    }

    mutating func slowFeed(_ raw: String, line: Int) -> ParsedTransaction? {
        let text = raw.utf8.contains(9) ? raw.replacingOccurrences(of: "\t", with: "    ") : raw
        let trimmed = String(text.trimmed)
        let indented = text.first == " "
        if trimmed.isEmpty {
            skipping = false
            return finish()
        }
        if indented && skipping { return nil }
        skipping = false
        if !indented, let first = trimmed.first, ";#*%|".contains(first) { return nil }
        if indented {
            guard current != nil else {
                if trimmed.hasPrefix(";") { return nil }
                fail(line, "import.syntax", "an indented line outside a transaction")
                return nil
            }
            if trimmed.hasPrefix(";") {
                current!.notes.append(String(trimmed.dropFirst().trimmed))
                return nil
            }
            posting(trimmed, line: line)
            return nil
        }
        let done = finish()
        if trimmed.hasPrefix("account ") {
            return done
        }
        if let first = trimmed.first, first.isNumber {
            header(trimmed, line: line)
        } else {
            let word = trimmed.split(separator: " ").first.map(String.init) ?? trimmed
            fail(line, "import.unsupported", "'\(word)' directives are not imported (only transactions, comments "
                 + "and account directives)")
        }
        return done
    }

    /// Ends the input; returns the last transaction if one is open.
    public mutating func finish() -> ParsedTransaction? {
        guard var transaction = current else { return nil }
        current = nil
        let elided = transaction.postings.indices.filter { transaction.postings[$0].amount == nil }
        if elided.count > 1 {
            fail(transaction.line, "import.elided_twice", "only one posting per transaction may omit its amount")
            return nil
        }
        if transaction.postings.count < 2 {
            fail(transaction.line, "import.too_few_postings", "a transaction needs at least two postings")
            return nil
        }
        if let index = elided.first {
            let others = transaction.postings.compactMap { $0.total ?? $0.amount }
            guard let currency = others.first?.currency, others.allSatisfy({ $0.currency == currency }) else {
                fail(transaction.postings[index].line, "import.elided_ambiguous",
                     "an amount can be omitted only when the other postings share one currency")
                return nil
            }
            let sum = others.reduce(Int64(0)) { $0 &+ $1.minorUnits }
            transaction.postings[index].amount = Money(minorUnits: -sum, currency: currency)
        }
        return transaction
    }

    /// Completes a transaction another reader built (the elided amount, the posting count); its problems wait in
    /// `takeProblems()`.
    mutating func complete(_ transaction: ParsedTransaction) -> ParsedTransaction? {
        current = transaction
        return finish()
    }

    /// The problems found so far, handed over and forgotten.
    mutating func takeProblems() -> [DomainError.Item] {
        defer { problems.removeAll() }
        return problems
    }

    mutating func header(_ text: String, line: Int) {
        let parts = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        let dateText = parts[0].has("/") ? String(parts[0]).replacingOccurrences(of: "/", with: "-") : String(parts[0])
        // A refused header skips its postings too, so one mistake is reported once.
        if dateText.has("=") {
            fail(line, "import.unsupported", "auxiliary dates (DATE=DATE) are not imported")
            skipping = true
            return
        }
        guard let date = try? CivilDate.parse(dateText) else {
            fail(line, "import.date", "'\(parts[0])' is not a date like 2026-03-31")
            skipping = true
            return
        }
        var rest = parts.count > 1 ? parts[1] : ""
        if let semicolon = rest.firstIndex(of: ";") { rest = rest[..<semicolon] }
        rest = rest.trimmed
        if rest.hasPrefix("*") || rest.hasPrefix("!") { rest = rest.dropFirst().trimmed }
        var code: String?
        if rest.hasPrefix("("), let close = rest.firstIndex(of: ")") {
            code = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...].trimmed
        }
        current = ParsedTransaction(line: line, date: date, payee: String(rest.prefix(EntryRules.memoLengthMax)),
                                    postings: [], notes: [], code: code)
    }

    mutating func posting(_ text: String, line: Int) {
        var body = Substring(text)
        var memo: String?
        if let semicolon = body.firstIndex(of: ";") {
            memo = String(body[body.index(after: semicolon)...].trimmed)
            body = body[..<semicolon]
        }
        if body.hasPrefix("*") || body.hasPrefix("!") { body = body.dropFirst().trimmed }
        // The account ends at the first run of two spaces; the amount is what follows.
        let gap = body.utf8Range(of: "  ")
        let account = String((gap.map { body[..<$0.lowerBound] } ?? body).trimmed)
        if account.hasPrefix("(") || account.hasPrefix("[") {
            fail(line, "import.unsupported", "virtual postings are not imported")
            return
        }
        let amountText = String((gap.map { body[$0.upperBound...] } ?? "").trimmed)
        if amountText.has("{") || amountText.has(" @ ") || amountText.hasPrefix("@ ") {
            fail(line, "import.unsupported", "lot costs and per-unit prices (@) are not imported")
            return
        }
        if amountText.has("=") {
            fail(line, "import.unsupported", "balance assertions are not imported")
            return
        }
        var amount: Money?
        var total: Money?
        if !amountText.isEmpty {
            let halves = amountText.has("@@")
                ? amountText.split(separator: "@@", omittingEmptySubsequences: false).map(String.init) : [amountText]
            guard halves.count <= 2, let parsed = parseAmount(halves[0], line: line) else { return }
            amount = parsed
            if halves.count == 2 {
                guard let price = parseAmount(halves[1], line: line) else { return }
                total = price.minorUnits < 0 ? price : Money(minorUnits: parsed.minorUnits < 0 ? -price.minorUnits
                                                                : price.minorUnits, currency: price.currency)
            }
        }
        current!.postings.append(.init(line: line, account: account, amount: amount, total: total, memo: memo))
    }

    /// "1,234.50 EUR", "EUR -3", "-€" is not ISO; "$12.00" with `dollar` set.
    mutating func parseAmount(_ text: String, line: Int) -> Money? {
        var value = String(text.trimmed)
        var code: String?
        if value.has("$") {
            // A '$' inside a name ("US$", "E$R") is part of a commodity, not the dollar sign.
            if let name = value.split(separator: " ").first(where: { $0.has("$") && $0.contains(where: \.isLetter) }) {
                fail(line, "import.commodity", "'\(name)' is not an ISO 4217 currency code")
                return nil
            }
            guard let dollar else {
                fail(line, "import.commodity", "'$' needs --currency to say which currency it is")
                return nil
            }
            value = value.filter { $0 != "$" }
            code = dollar.code
        }
        let words = value.split(separator: " ").map(String.init)
        var numberText = value
        if code == nil {
            let letters = words.filter { $0.first?.isLetter == true || $0.first == "\"" }
            guard letters.count == 1, words.count == 2 else {
                fail(line, "import.commodity", "'\(text.trimmed)' needs an ISO 4217 currency code")
                return nil
            }
            code = letters[0]
            numberText = words.first { $0 != letters[0] }!
        }
        guard let currency = Currency(code: code!),
              code!.count == 3, code!.uppercased() == code! else {
            fail(line, "import.commodity", "'\(code!)' is not an ISO 4217 currency code")
            return nil
        }
        do {
            return try Money.parse(numberText.filter { $0 != " " }, currency: currency)
        } catch {
            fail(line, error.code, error.message)
            return nil
        }
    }

    mutating func fail(_ line: Int, _ code: String, _ message: String) {
        if problems.count < Self.problemsMax { problems.append(.init(line: line, code: code, message: message)) }
        if current != nil { skipping = true }
        current = nil
    }
}
