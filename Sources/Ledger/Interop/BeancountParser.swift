import Foundation
import Kernel

/// What both plain-text readers offer the import: transactions out, problems with line numbers.
public protocol TransactionParser {
    var problems: [DomainError.Item] { get }
    /// Feeds one line; returns a transaction when one is complete.
    mutating func feed(_ raw: String, line: Int) -> ParsedTransaction?
    /// Ends the input; returns the last transaction if one is open.
    mutating func finish() -> ParsedTransaction?
    /// The functional currency the file declares, if any (beancount's `operating_currency`).
    var declaredCurrency: Currency? { get }
    /// Accounts the file opens without necessarily posting to them.
    var openedAccounts: [String] { get }
}

extension JournalParser: TransactionParser {
    public var declaredCurrency: Currency? { nil }
    public var openedAccounts: [String] { [] }
}

/// The subset of beancount Keel imports: `option` (operating_currency sets the functional currency), `open`,
/// `close` (accepted; Keel keeps the account), `commodity` for ISO 4217 codes, transactions (`*`, `!` or `txn`,
/// optional payee and narration, tags and links), metadata (kept in the memo), postings with ISO 4217 amounts,
/// one elided amount per transaction, and `@@ TOTAL` in another currency. Everything else (balance, pad, price,
/// costs `{}`, per-unit prices `@`, plugins, includes) is refused with its line number.
public struct BeancountParser: TransactionParser {
    public private(set) var problems: [DomainError.Item] = []
    public private(set) var declaredCurrency: Currency?
    public private(set) var openedAccounts: [String] = []
    /// Wraps the ledger-cli parser for what the two formats share: elided amounts and the amount grammar.
    var shared = JournalParser(dollar: nil)
    var current: ParsedTransaction?
    var skipping = false

    public init() {}

    public mutating func feed(_ raw: String, line: Int) -> ParsedTransaction? {
        let text = raw.replacingOccurrences(of: "\t", with: "    ")
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let indented = text.first == " "
        if trimmed.isEmpty || trimmed.hasPrefix(";") {
            if trimmed.isEmpty { skipping = false }
            return trimmed.isEmpty ? finish() : nil
        }
        if indented {
            if skipping { return nil }
            guard current != nil else {
                fail(line, "import.syntax", "an indented line outside a transaction")
                return nil
            }
            indentedLine(trimmed, line: line)
            return nil
        }
        skipping = false
        let done = finish()
        if trimmed.hasPrefix("*") { return done }  // Org-mode headings, which beancount ignores too.
        let words = Self.tokens(trimmed)
        guard let first = words.first else { return done }
        if let date = try? CivilDate.parse(first) {
            directive(date: date, words: Array(words.dropFirst()), line: line)
        } else if first == "option" {
            // Both of an option's words are strings: option "operating_currency" "EUR".
            let values = words.dropFirst().map { word in
                word.count >= 2 && word.hasPrefix("\"") && word.hasSuffix("\"") ? String(word.dropFirst().dropLast()) : word
            }
            if values.count >= 2, values[0] == "operating_currency", declaredCurrency == nil {
                guard let currency = Currency(code: values[1]) else {
                    fail(line, "import.commodity", "'\(values[1])' is not an ISO 4217 currency code")
                    return done
                }
                declaredCurrency = currency
            }
        } else {
            fail(line, "import.unsupported", "'\(first)' is not imported (only option, open, close, commodity and "
                 + "transactions)")
        }
        return done
    }

    public mutating func finish() -> ParsedTransaction? {
        guard let transaction = current else { return nil }
        current = nil
        let result = shared.complete(transaction)
        problems += shared.takeProblems()
        return result
    }

    mutating func directive(date: CivilDate, words: [String], line: Int) {
        guard let kind = words.first else {
            fail(line, "import.syntax", "a date with nothing after it")
            return
        }
        switch kind {
        case "open":
            guard words.count >= 2 else { return fail(line, "import.syntax", "open needs an account") }
            openedAccounts.append(words[1])
        case "close":
            return
        case "commodity":
            if words.count < 2 || Currency(code: words[1]) == nil {
                fail(line, "import.commodity", "only ISO 4217 currencies are imported, not '\(words.dropFirst().first ?? "")'")
            }
        case "*", "!", "txn":
            let strings = words.dropFirst().filter { $0.hasPrefix("\"") }.map { String($0.dropFirst().dropLast()) }
            let marks = words.dropFirst().filter { $0.hasPrefix("#") || $0.hasPrefix("^") }
            let memo = strings.filter { !$0.isEmpty }.joined(separator: " - ")
            current = ParsedTransaction(line: line, date: date, payee: String(memo.prefix(EntryRules.memoLengthMax)),
                                        postings: [], notes: marks.isEmpty ? [] : [marks.joined(separator: " ")])
        case "balance", "pad", "price", "note", "document", "event", "query", "custom":
            fail(line, "import.unsupported", "'\(kind)' directives are not imported")
        default:
            fail(line, "import.syntax", "'\(kind)' after a date is not a beancount directive Keel reads")
        }
    }

    mutating func indentedLine(_ text: String, line: Int) {
        var body = text
        var memo: String?
        if let semicolon = Self.commentStart(body) {
            memo = String(body[body.index(after: semicolon)...]).trimmingCharacters(in: .whitespaces)
            body = String(body[..<semicolon]).trimmingCharacters(in: .whitespaces)
        }
        // Metadata: `key: value`, keys start with a lower-case letter.
        if let colon = body.firstIndex(of: ":"), body.first?.isLowercase == true,
           body[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
            let value = body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                .replacingOccurrences(of: "\"", with: "")
            if body.hasPrefix("number:"), current!.postings.isEmpty, current!.code == nil {
                current!.code = value
            } else {
                current!.notes.append(body.replacingOccurrences(of: "\"", with: ""))
            }
            return
        }
        if body.hasPrefix("*") || body.hasPrefix("!") { body = String(body.dropFirst()).trimmingCharacters(in: .whitespaces) }
        let parts = body.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true).map(String.init)
        guard let account = parts.first else { return }
        let amountText = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        if amountText.contains("{") {
            return fail(line, "import.unsupported", "lot costs ({...}) are not imported")
        }
        if amountText.contains("@") && !amountText.contains("@@") {
            return fail(line, "import.unsupported", "per-unit prices (@) are not imported; write the total with @@")
        }
        var amount: Money?
        var total: Money?
        if !amountText.isEmpty {
            let halves = amountText.components(separatedBy: "@@")
            guard let parsed = parseAmount(halves[0], line: line) else { return }
            amount = parsed
            if halves.count == 2 {
                guard let price = parseAmount(halves[1], line: line) else { return }
                // Beancount's total price is unsigned; it takes the sign of the units.
                total = Money(minorUnits: parsed.minorUnits < 0 ? -abs(price.minorUnits) : abs(price.minorUnits),
                              currency: price.currency)
            }
        }
        current!.postings.append(.init(line: line, account: account, amount: amount, total: total, memo: memo))
    }

    mutating func parseAmount(_ text: String, line: Int) -> Money? {
        let result = shared.parseAmount(text, line: line)
        if result == nil {
            problems += shared.takeProblems()
            skipping = true
            current = nil
        }
        return result
    }

    mutating func fail(_ line: Int, _ code: String, _ message: String) {
        if problems.count < JournalParser.problemsMax { problems.append(.init(line: line, code: code, message: message)) }
        if current != nil { skipping = true }
        current = nil
    }

    /// Words of a line, keeping quoted strings (with their quotes) whole.
    static func tokens(_ text: String) -> [String] {
        var result: [String] = []
        var word = ""
        var quoted = false
        for character in text {
            if character == "\"" {
                word.append(character)
                if quoted {
                    result.append(word)
                    word = ""
                }
                quoted.toggle()
            } else if character == " " && !quoted {
                if !word.isEmpty { result.append(word) }
                word = ""
            } else if character == ";" && !quoted {
                break
            } else {
                word.append(character)
            }
        }
        if !word.isEmpty { result.append(word) }
        return result
    }

    /// Where a comment starts, outside quoted strings.
    static func commentStart(_ text: String) -> String.Index? {
        var quoted = false
        for index in text.indices {
            if text[index] == "\"" { quoted.toggle() }
            if text[index] == ";" && !quoted { return index }
        }
        return nil
    }
}

extension PlainTextExport {
    /// Beancount account names: components start with a capital letter or digit and hold letters, digits and '-'.
    /// "Assets:Current Assets:Owner's Box" becomes "Assets:Current-Assets:Owners-Box"; the root is the type's.
    public static func beancountName(_ account: Account) -> String {
        var parts = account.fullName.split(separator: ":").map { component -> String in
            let kept = component.filter { $0 != "'" && $0 != "\u{2019}" }
            var name = ""
            for character in kept {
                if character.isLetter || character.isNumber {
                    name.append(character)
                } else if !name.hasSuffix("-") && !name.isEmpty {
                    name.append("-")
                }
            }
            while name.hasSuffix("-") { name.removeLast() }
            guard let first = name.first else { return "X" }
            if !(first.isUppercase || first.isNumber) { name = first.uppercased() + name.dropFirst() }
            if !(name.first!.isUppercase || name.first!.isNumber) { name = "X" + name }
            return name
        }
        parts[0] = account.type.rootName
        return parts.joined(separator: ":")
    }

    /// One transaction in beancount syntax; foreign-currency postings carry their functional total with `@@`.
    public static func beancountTransaction(_ entry: PostedEntry, functional: Currency, names: [String: String]) -> String {
        var text = "\(entry.date) * \"\(quote(entry.memo))\"\n  number: \"\(entry.number)\"\n"
        for line in entry.lines {
            text += posting(line, account: names[line.account.id] ?? beancountName(line.account), indent: "  ",
                            functional: functional)
        }
        return text + "\n"
    }

    static func quote(_ text: String) -> String {
        sanitize(text).replacingOccurrences(of: "\\", with: "/").replacingOccurrences(of: "\"", with: "'")
    }
}
