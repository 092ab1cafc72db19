import Foundation
import Kernel

/// Trial balances as text: a table for people, CSV and JSON for programs.
public enum TrialBalanceFormat {
    /// CSV with a header: `account,currency,balance,functional_balance`; debit positive, plain decimals.
    public static func csv(_ rows: [TrialBalanceRow], functional: Currency) -> String {
        var text = "account,currency,balance,functional_balance\n"
        for row in rows {
            text += [CSVLine.field(row.account.fullName), row.currency.code,
                     Money(minorUnits: row.balance, currency: row.currency).decimalString,
                     Money(minorUnits: row.functionalBalance, currency: functional).decimalString]
                .joined(separator: ",") + "\n"
        }
        return text
    }

    public static func table(_ rows: [TrialBalanceRow], functional: Currency, asOf: CivilDate) -> String {
        let width = max(30, rows.map(\.account.fullName.count).max() ?? 0)
        var text = "Trial balance as of \(asOf) (\(functional.code))\n"
        text += "account".padding(toLength: width, withPad: " ", startingAt: 0) + "  cur           debit          credit\n"
        var debit: Int64 = 0
        var credit: Int64 = 0
        for row in rows {
            let amount = Money(minorUnits: abs(row.balance), currency: row.currency).grouped
            let columns = row.balance >= 0 ? (amount, "") : ("", amount)
            // Totals are in functional currency, where debits and credits must agree.
            if row.functionalBalance >= 0 { debit += row.functionalBalance } else { credit -= row.functionalBalance }
            text += row.account.fullName.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(row.currency.code) "
                + leftPad(columns.0, 15) + " " + leftPad(columns.1, 15) + "\n"
        }
        text += String(repeating: "-", count: width + 37) + "\n"
        text += "total (\(functional.code))".padding(toLength: width, withPad: " ", startingAt: 0) + "      "
            + leftPad(Money(minorUnits: debit, currency: functional).grouped, 15) + " "
            + leftPad(Money(minorUnits: credit, currency: functional).grouped, 15) + "\n"
        return text
    }

    static func leftPad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

}

/// Statements as text: CSV (a row per statement row, amounts as plain decimals) and an aligned table.
public enum StatementFormat {
    /// Header `kind,level,code,account,label,` then one column per statement column.
    public static func csv(_ statement: Statement) -> String {
        var text = (["kind", "level", "code", "account", "label"] + statement.columns)
            .map(CSVLine.field).joined(separator: ",") + "\n"
        for row in statement.rows {
            let amounts = row.amounts.map { Money(minorUnits: $0, currency: statement.currency).decimalString }
            text += ([row.kind.rawValue, "\(row.level)", row.code ?? "", row.account ?? "", row.label] + amounts)
                .map(CSVLine.field).joined(separator: ",") + "\n"
        }
        return text
    }

    public static func table(_ statement: Statement) -> String {
        let labels = statement.rows.map { String(repeating: "  ", count: $0.level) + $0.label }
        let width = max(36, labels.map(\.count).max() ?? 0)
        let columnWidth = max(16, statement.columns.map(\.count).max() ?? 0)
        var text = "\(statement.title) (\(statement.currency.code))\n"
        text += String(repeating: " ", count: width)
            + statement.columns.map { "  " + TrialBalanceFormat.leftPad($0, columnWidth) }.joined() + "\n"
        for (row, label) in zip(statement.rows, labels) {
            if row.kind == .total { text += String(repeating: " ", count: width) + statement.columns.map { _ in
                "  " + String(repeating: "-", count: columnWidth) }.joined() + "\n" }
            text += label.padding(toLength: width, withPad: " ", startingAt: 0)
                + row.amounts.map { "  " + TrialBalanceFormat.leftPad(
                    Money(minorUnits: $0, currency: statement.currency).grouped, columnWidth) }.joined() + "\n"
        }
        return text
    }
}

/// General-ledger detail as text.
public enum GeneralLedgerFormat {
    /// Header `date,number,journal,account,memo,partner,currency,amount,debit,credit,balance`; the opening balance
    /// is the first row and the closing balance the last when the page holds the whole period.
    public static func csv(_ ledger: GeneralLedger) -> String {
        let functional = ledger.currency
        func money(_ amount: Int64, _ currency: Currency) -> String {
            Money(minorUnits: amount, currency: currency).decimalString
        }
        var text = "date,number,journal,account,memo,partner,currency,amount,debit,credit,balance\n"
        if ledger.offset == 0 {
            text += "\(ledger.range.from),,,\(CSVLine.field(ledger.account.fullName)),Opening balance,,"
                + "\(functional.code),,,,\(money(ledger.opening, functional))\n"
        }
        for line in ledger.lines {
            text += [line.date.description, line.number, line.journal, line.account, line.memo, line.partner ?? "",
                     line.currency.code, money(line.amount, line.currency), money(line.debit, functional),
                     money(line.credit, functional), money(line.balance, functional)]
                .map(CSVLine.field).joined(separator: ",") + "\n"
        }
        if ledger.offset + ledger.lines.count >= ledger.count {
            text += "\(ledger.range.to),,,\(CSVLine.field(ledger.account.fullName)),Closing balance,,"
                + "\(functional.code),,,,\(money(ledger.closing, functional))\n"
        }
        return text
    }

    public static func table(_ ledger: GeneralLedger) -> String {
        let functional = ledger.currency
        func money(_ amount: Int64) -> String { Money(minorUnits: amount, currency: functional).grouped }
        var text = "General ledger: \(ledger.account.code) \(ledger.account.fullName), \(ledger.range) "
            + "(\(functional.code))\n"
        text += "Opening balance".padding(toLength: 70, withPad: " ", startingAt: 0)
            + String(repeating: " ", count: 34) + TrialBalanceFormat.leftPad(money(ledger.opening), 16) + "\n"
        for line in ledger.lines {
            let memo = String(line.memo.prefix(34)).padding(toLength: 34, withPad: " ", startingAt: 0)
            text += "\(line.date)  " + line.number.padding(toLength: 22, withPad: " ", startingAt: 0) + " " + memo
                + TrialBalanceFormat.leftPad(line.debit == 0 ? "" : money(line.debit), 16) + " "
                + TrialBalanceFormat.leftPad(line.credit == 0 ? "" : money(line.credit), 16) + " "
                + TrialBalanceFormat.leftPad(money(line.balance), 16) + "\n"
        }
        if ledger.offset + ledger.lines.count < ledger.count {
            text += "... lines \(ledger.offset + 1)-\(ledger.offset + ledger.lines.count) of \(ledger.count); "
                + "use --offset for more\n"
        }
        text += "Closing balance".padding(toLength: 70, withPad: " ", startingAt: 0)
            + String(repeating: " ", count: 34) + TrialBalanceFormat.leftPad(money(ledger.closing), 16) + "\n"
        return text
    }
}

/// Statements and ledger detail as JSON documents: amounts as plain decimal strings, exact to the cent.
public struct StatementDocument: Sendable, Codable, Equatable {
    public struct Row: Sendable, Codable, Equatable {
        public let kind: String
        public let level: Int
        public let label: String
        public let account: String?
        public let code: String?
        public let amounts: [String]
    }

    public let report: String
    public let title: String
    public let currency: String
    public let columns: [String]
    public let rows: [Row]

    public init(_ statement: Statement) {
        report = statement.report
        title = statement.title
        currency = statement.currency.code
        columns = statement.columns
        rows = statement.rows.map { row in
            Row(kind: row.kind.rawValue, level: row.level, label: row.label, account: row.account, code: row.code,
                amounts: row.amounts.map { Money(minorUnits: $0, currency: statement.currency).decimalString })
        }
    }
}

public struct GeneralLedgerDocument: Sendable, Codable, Equatable {
    public struct Line: Sendable, Codable, Equatable {
        public let entryId: String
        public let number: String
        public let journal: String
        public let date: String
        public let memo: String
        public let account: String
        public let partner: String?
        public let currency: String
        public let amount: String
        public let debit: String
        public let credit: String
        public let balance: String
    }

    public let account: String
    public let code: String
    public let currency: String
    public let from: String
    public let to: String
    public let opening: String
    public let closing: String
    public let count: Int
    public let offset: Int
    public let limit: Int
    public let lines: [Line]

    public init(_ ledger: GeneralLedger) {
        func money(_ amount: Int64, _ currency: Currency = ledger.currency) -> String {
            Money(minorUnits: amount, currency: currency).decimalString
        }
        account = ledger.account.fullName
        code = ledger.account.code
        currency = ledger.currency.code
        from = ledger.range.from.description
        to = ledger.range.to.description
        opening = money(ledger.opening)
        closing = money(ledger.closing)
        count = ledger.count
        offset = ledger.offset
        limit = ledger.limit
        lines = ledger.lines.map {
            Line(entryId: $0.entryID, number: $0.number, journal: $0.journal, date: $0.date.description, memo: $0.memo,
                 account: $0.account, partner: $0.partner, currency: $0.currency.code,
                 amount: money($0.amount, $0.currency), debit: money($0.debit), credit: money($0.credit),
                 balance: money($0.balance))
        }
    }
}
