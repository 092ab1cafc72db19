import Foundation
import Kernel

/// Whether a month accepts postings.
public enum PeriodState: String, Sendable, Codable {
    /// Anyone with ledger:write may post.
    case open
    /// Nothing may be posted; an admin may reopen it with a reason.
    case closed
    /// Closed for good (after year-end close and filing); never reopened.
    case locked
}

/// An entry that passed every rule, with accounts resolved and functional amounts computed.
public struct ValidatedEntry: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public let account: Account
        public let debit: Int64
        public let credit: Int64
        public let currency: Currency
        public let functionalDebit: Int64
        public let functionalCredit: Int64
        public let rate: Decimal
        public let source: ProposedLine
    }

    public let entry: ProposedEntry
    public let lines: [Line]
}

/// The rules every entry must satisfy, as a pure function: no database, so every case is a unit test.
public enum EntryRules {
    public static let linesPerEntryMax = 1_000
    public static let memoLengthMax = 500

    /// What the rules need to know about the books.
    public struct Context: Sendable {
        public let functionalCurrency: Currency
        public let accounts: [String: Account]
        public let journals: Set<String>
        public let periodState: @Sendable (CivilDate) -> PeriodState
        public let rateOnFile: @Sendable (Currency, CivilDate) -> Decimal?

        public init(functionalCurrency: Currency, accounts: [String: Account], journals: Set<String>,
                    periodState: @escaping @Sendable (CivilDate) -> PeriodState,
                    rateOnFile: @escaping @Sendable (Currency, CivilDate) -> Decimal? = { _, _ in nil }) {
            self.functionalCurrency = functionalCurrency
            self.accounts = accounts
            self.journals = journals
            self.periodState = periodState
            self.rateOnFile = rateOnFile
        }
    }

    /// Checks an entry and reports every problem at once (as `DomainError.items`), not just the first.
    /// Foreign-currency lines convert at `rate` (or the rate on file) rounded half-up to functional minor units.
    public static func validate(_ entry: ProposedEntry, in context: Context) throws(DomainError) -> ValidatedEntry {
        var problems: [DomainError.Item] = []
        func problem(_ field: String, _ code: String, _ message: String) {
            problems.append(.init(field: field, code: code, message: message))
        }
        if !context.journals.contains(entry.journal) {
            problem("journal", "ledger.journal.unknown", "There is no journal '\(entry.journal)'")
        }
        // Characters are counted only when the UTF-8 bytes could exceed the limit (a character is at least a byte).
        if entry.memo.utf8.count > memoLengthMax, entry.memo.count > memoLengthMax {
            problem("memo", "ledger.entry.memo_too_long", "A memo has at most \(memoLengthMax) characters")
        }
        switch context.periodState(entry.date) {
        case .open: break
        case .closed, .locked:
            problem("date", "ledger.period.closed", "The period of \(entry.date) is closed; nothing can be posted into it")
        }
        if entry.lines.count < 2 {
            problem("lines", "ledger.entry.no_lines", "An entry needs at least two lines")
        }
        if entry.lines.count > linesPerEntryMax {
            problem("lines", "ledger.entry.too_many_lines", "An entry has at most \(linesPerEntryMax) lines")
        }
        var lines: [ValidatedEntry.Line] = []
        lines.reserveCapacity(min(entry.lines.count, linesPerEntryMax))
        for (index, line) in entry.lines.prefix(linesPerEntryMax).enumerated() {
            // The line's field name is made only for a problem.
            func lineProblem(_ field: String, _ code: String, _ message: String) {
                problem(field.isEmpty ? "lines[\(index)]" : "lines[\(index)].\(field)", code, message)
            }
            if let validated = validate(line, date: entry.date, context: context, problem: lineProblem) {
                lines.append(validated)
            }
        }
        if problems.isEmpty {
            let debits = lines.reduce(Int64(0)) { $0 &+ $1.functionalDebit }
            let credits = lines.reduce(Int64(0)) { $0 &+ $1.functionalCredit }
            if debits != credits {
                let currency = context.functionalCurrency
                problem("lines", "ledger.entry.unbalanced",
                        "Debits (\(Money(minorUnits: debits, currency: currency))) and credits "
                            + "(\(Money(minorUnits: credits, currency: currency))) differ")
            }
        }
        guard problems.isEmpty else {
            let first = problems[0]
            throw DomainError(.invalid, first.code, first.message, field: first.field, items: problems)
        }
        return ValidatedEntry(entry: entry, lines: lines)
    }

    static let amountMax: Int64 = 1_000_000_000_000_000  // 10^18 minor units: sums of a batch cannot overflow

    /// One line's rules. `problem` is given the field within the line ("" for the line itself).
    static func validate(_ line: ProposedLine, date: CivilDate, context: Context,
                         problem: (String, String, String) -> Void) -> ValidatedEntry.Line? {
        var ok = true
        let account = context.accounts[line.account]
        if let account {
            if account.isHeader {
                problem("account", "ledger.account.header",
                        "'\(account.fullName)' is a header account; post to one of its sub-accounts")
                ok = false
            } else if account.archived {
                problem("account", "ledger.account.archived", "'\(account.fullName)' is archived")
                ok = false
            } else if let only = account.currency, only != line.currency {
                problem("currency", "ledger.account.currency_not_allowed",
                        "'\(account.fullName)' takes only \(only) postings, not \(line.currency)")
                ok = false
            }
        } else {
            problem("account", "ledger.account.unknown", "There is no account '\(line.account)'")
            ok = false
        }
        let amount: Int64
        switch (line.debit, line.credit) {
        case (let debit?, nil): amount = debit
        case (nil, let credit?): amount = credit
        case (nil, nil):
            problem("", "ledger.line.no_amount", "Give the line a debit or a credit")
            return nil
        case (.some, .some):
            problem("", "ledger.line.both_sides", "A line has a debit or a credit, not both")
            return nil
        }
        // An exchange difference changes only the functional value of a foreign-currency balance: zero in the
        // line's currency, a positive functional amount (what a revaluation posts).
        let exchangeDifference = amount == 0 && line.currency != context.functionalCurrency
            && (line.functionalAmount ?? 0) > 0
        guard amount > 0 || exchangeDifference else {
            problem("", "ledger.line.amount_not_positive", "Amounts are positive; use the other side instead")
            return nil
        }
        guard amount <= amountMax else {
            problem("", "ledger.line.amount_too_large", "The amount is too large")
            return nil
        }
        guard let (functional, rate) = functional(line, amount: amount, date: date, context: context,
                                                  problem: problem) else { return nil }
        guard ok, let account else { return nil }
        let isDebit = line.debit != nil
        return ValidatedEntry.Line(account: account, debit: isDebit ? amount : 0, credit: isDebit ? 0 : amount,
                                   currency: line.currency, functionalDebit: isDebit ? functional : 0,
                                   functionalCredit: isDebit ? 0 : functional, rate: rate, source: line)
    }

    /// The line's amount in functional currency, and the rate used.
    static func functional(_ line: ProposedLine, amount: Int64, date: CivilDate, context: Context,
                           problem: (String, String, String) -> Void) -> (Int64, Decimal)? {
        if line.currency == context.functionalCurrency {
            if let given = line.functionalAmount, given != amount {
                problem("functionalAmount", "ledger.line.functional_mismatch",
                        "A line in the functional currency has the same functional amount")
                return nil
            }
            return (amount, 1)
        }
        let scale = Decimal(context.functionalCurrency.minorUnitsPerMajor) / Decimal(line.currency.minorUnitsPerMajor)
        if let given = line.functionalAmount {
            guard given > 0, given <= amountMax else {
                problem("functionalAmount", "ledger.line.amount_not_positive", "Amounts are positive")
                return nil
            }
            return (given, amount == 0 ? 0 : Decimal(given) / (Decimal(amount) * scale))
        }
        guard let rate = line.rate ?? context.rateOnFile(line.currency, date) else {
            problem("rate", "ledger.rate.missing",
                    "No \(line.currency)/\(context.functionalCurrency) rate for \(date): give one or enter it first")
            return nil
        }
        guard rate > 0 else {
            problem("rate", "ledger.rate.invalid", "A rate is positive")
            return nil
        }
        guard let converted = try? Money.round(Decimal(amount) * rate * scale, .halfUp), converted > 0 else {
            problem("rate", "ledger.rate.invalid", "The converted amount rounds to nothing or overflows")
            return nil
        }
        return (converted, rate)
    }
}
