import Foundation
import Kernel

/// Trial balances as text: a table for people, CSV and JSON for programs.
public enum TrialBalanceFormat {
    /// CSV with a header: `account,currency,balance,functional_balance`; debit positive, plain decimals.
    public static func csv(_ rows: [TrialBalanceRow], functional: Currency) -> String {
        var text = "account,currency,balance,functional_balance\n"
        for row in rows {
            text += [csvField(row.account.fullName), row.currency.code,
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

    static func csvField(_ text: String) -> String {
        guard text.contains(",") || text.contains("\"") || text.contains("\n") else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
