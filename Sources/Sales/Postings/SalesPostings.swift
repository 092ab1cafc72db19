import Foundation
import Kernel
import Ledger

/// How sales documents become entries the ledger posts. Pure.
///
/// An invoice debits the receivable with its gross (the customer and due date on that line), credits each line's
/// income account with the line's net (with the line's dimensions) and each tax code's account with its tax. A
/// credit note does the opposite. A receipt debits the bank or cash account and credits the receivable; a refund
/// does the opposite.
public enum SalesPostings {
    public struct Accounts: Sendable {
        public let receivable: String
        /// Tax code -> the account its tax is posted to.
        public let tax: [String: String]

        public init(receivable: String, tax: [String: String]) {
            self.receivable = receivable
            self.tax = tax
        }
    }

    public static func document(kind: Invoice.Kind, number: String, customer: String, date: CivilDate, dueDate: CivilDate,
                                currency: Currency, lines: [DocumentLine], taxSummary: [TaxSummaryLine], gross: Int64,
                                accounts: Accounts) -> ProposedEntry {
        let isInvoice = kind == .invoice
        func line(_ account: String, _ amount: Int64, toReceivable: Bool = false, memo: String? = nil,
                  dimensions: [String: String] = [:]) -> ProposedLine {
            // Invoices debit the receivable and credit the rest; credit notes the other way round. A negative
            // amount (a discount line) goes to the other side.
            let debitSide = toReceivable == isInvoice
            let positive = amount >= 0
            let debit = debitSide == positive
            return ProposedLine(account: account, debit: debit ? abs(amount) : nil, credit: debit ? nil : abs(amount),
                                currency: currency, memo: memo, partner: customer,
                                dueDate: toReceivable ? dueDate : nil, dimensions: dimensions)
        }
        var result = [line(accounts.receivable, gross, toReceivable: true, memo: number)]
        for documentLine in lines where documentLine.net != 0 {
            result.append(line(documentLine.account, documentLine.net, memo: documentLine.description,
                               dimensions: documentLine.dimensions))
        }
        for summary in taxSummary where summary.tax != 0 {
            guard let account = accounts.tax[summary.taxCode] else { continue }
            result.append(line(account, summary.tax, memo: "\(summary.taxCode) \(summary.rate) %"))
        }
        return ProposedEntry(journal: "SAL", date: date,
                             memo: "\(isInvoice ? "Invoice" : "Credit note") \(number) to \(customer)", lines: result)
    }

    public static func payment(kind: Receipt.Kind, number: String, customer: String, date: CivilDate, amount: Int64,
                               currency: Currency, account: String, receivable: String, reference: String?) -> ProposedEntry {
        let incoming = kind == .receipt
        let memo = "\(incoming ? "Receipt" : "Refund") \(number) \(incoming ? "from" : "to") \(customer)"
            + (reference.map { " (\($0))" } ?? "")
        return ProposedEntry(journal: "BNK", date: date, memo: memo, lines: [
            ProposedLine(account: account, debit: incoming ? amount : nil, credit: incoming ? nil : amount,
                         currency: currency, memo: number, partner: customer),
            ProposedLine(account: receivable, debit: incoming ? nil : amount, credit: incoming ? amount : nil,
                         currency: currency, memo: number, partner: customer),
        ])
    }
}
