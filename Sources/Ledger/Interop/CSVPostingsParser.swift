import Foundation
import Kernel

/// Postings as CSV, one row per line of an entry. The header names the columns, in any order:
/// `date`, `entry` (rows with the same value, one after the other, form one entry), `account`, `currency`,
/// `debit` and `credit` (one of them per row; or a signed `amount`), and optionally `journal`, `memo` (the
/// entry's, from its first row), `line_memo`, `functional_amount` (the functional value of a foreign-currency
/// line). One row of an entry may leave its amount empty: it takes the balance.
public struct CSVPostingsParser: TransactionParser {
    public private(set) var problems: [DomainError.Item] = []
    public var declaredCurrency: Currency? { nil }
    public var openedAccounts: [String] { [] }
    var columns: [String: Int] = [:]
    var current: ParsedTransaction?
    var currentRef: String?
    var shared = JournalParser(dollar: nil)
    /// The books' functional currency (for `functional_amount`), when known.
    let functional: Currency?

    public init(functional: Currency?) { self.functional = functional }

    public mutating func feed(_ raw: String, line: Int) -> ParsedTransaction? {
        if columns.isEmpty {
            let names = CSVLine.split(raw).map { $0.lowercased() }
            for (index, name) in names.enumerated() { columns[name] = index }
            let missing = ["date", "entry", "account", "currency"].filter { columns[$0] == nil }
                + (columns["amount"] == nil && (columns["debit"] == nil || columns["credit"] == nil) ? ["debit,credit or amount"] : [])
            if !missing.isEmpty {
                fail(line, "import.csv_header", "the header lacks \(missing.joined(separator: ", "))")
                columns = ["": -1]
            }
            return nil
        }
        if columns[""] != nil || raw.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
        let fields = CSVLine.split(raw)
        func field(_ name: String) -> String {
            guard let index = columns[name], index < fields.count else { return "" }
            return fields[index]
        }
        let ref = field("entry")
        var done: ParsedTransaction?
        if ref != currentRef || ref.isEmpty {
            done = finish()
            currentRef = ref
            guard let date = try? CivilDate.parse(field("date")) else {
                fail(line, "import.date", "'\(field("date"))' is not a date like 2026-03-31")
                return done
            }
            let journal = field("journal")
            current = ParsedTransaction(line: line, date: date, payee: String(field("memo").prefix(EntryRules.memoLengthMax)),
                                        postings: [], notes: [], code: journal.isEmpty ? nil : journal.uppercased())
        }
        guard current != nil else { return done }
        guard let currency = Currency(code: field("currency").uppercased()) else {
            fail(line, "import.commodity", "'\(field("currency"))' is not an ISO 4217 currency code")
            return done
        }
        var amount: Money?
        do {
            let debit = field("debit"), credit = field("credit"), signed = field("amount")
            if !signed.isEmpty {
                amount = try Money.parse(signed, currency: currency, field: "amount")
            } else if !debit.isEmpty && !credit.isEmpty {
                throw DomainError.invalid("ledger.line.both_sides", "A line has a debit or a credit, not both")
            } else if !debit.isEmpty {
                amount = try Money.parse(debit, currency: currency, field: "debit")
            } else if !credit.isEmpty {
                let value = try Money.parse(credit, currency: currency, field: "credit")
                amount = Money(minorUnits: -value.minorUnits, currency: currency)
            }
            var total: Money?
            let functional = field("functional_amount")
            if !functional.isEmpty, let amount {
                guard let books = self.functional else {
                    throw DomainError.invalid("import.currency_unknown",
                                              "functional_amount needs the books' currency: set the company up or give --currency")
                }
                let value = try Money.parse(functional, currency: books, field: "functional_amount")
                total = Money(minorUnits: amount.minorUnits < 0 ? -abs(value.minorUnits) : abs(value.minorUnits),
                              currency: value.currency)
            }
            let memo = field("line_memo")
            current!.postings.append(.init(line: line, account: field("account"), amount: amount, total: total,
                                           memo: memo.isEmpty ? nil : memo))
        } catch let error as DomainError {
            fail(line, error.code, error.message)
        } catch {
            fail(line, "import.syntax", "\(error)")
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

    mutating func fail(_ line: Int, _ code: String, _ message: String) {
        if problems.count < JournalParser.problemsMax { problems.append(.init(line: line, code: code, message: message)) }
        current = nil
    }
}
