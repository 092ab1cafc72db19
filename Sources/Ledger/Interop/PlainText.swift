import Foundation
import Kernel

/// Writing the books as plain-text accounting journals that ledger-cli, hledger and beancount read.
public enum PlainTextExport {
    /// One transaction in ledger-cli / hledger syntax. Amounts are written in their own currency;
    /// a foreign-currency posting carries its functional total as `@@ 123.45 EUR`.
    public static func ledgerTransaction(_ entry: PostedEntry, functional: Currency) -> String {
        var text = "\(entry.date) * (\(entry.number)) \(sanitize(entry.memo))\n"
        for line in entry.lines {
            text += posting(line, account: line.account.fullName, indent: "    ", functional: functional)
        }
        return text + "\n"
    }

    /// One posting as both formats write it: the amount in its own currency, `@@ TOTAL` in the functional currency
    /// for a foreign one, the memo as a comment.
    static func posting(_ line: PostedEntry.Line, account: String, indent: String, functional: Currency) -> String {
        let amount = Money(minorUnits: line.debit - line.credit, currency: line.currency)
        var posting = "\(indent)\(account)  \(amount.decimalString) \(line.currency.code)"
        if line.currency != functional {
            let total = Money(minorUnits: line.functionalDebit + line.functionalCredit, currency: functional)
            posting += " @@ \(total.decimalString) \(functional.code)"
        }
        if let memo = line.memo, !memo.isEmpty { posting += "  ; \(sanitize(memo))" }
        return posting + "\n"
    }

    /// Plain-text formats are line based: a memo's line breaks and comment markers would change its meaning.
    static func sanitize(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 }).replacingOccurrences(of: ";", with: ",")
    }
}
