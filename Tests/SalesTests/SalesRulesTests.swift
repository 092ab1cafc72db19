import Foundation
import Kernel
import Ledger
import Parties
@testable import Sales
import Testing

@Suite("Sales rules")
struct SalesRulesTests {
    static let vat19 = TaxCode(code: "VAT19", name: "VAT 19 %", rate: 19, account: "2100")
    static let vat7 = TaxCode(code: "VAT7", name: "VAT 7 %", rate: 7, account: "2100")
    static let gross19 = TaxCode(code: "G19", name: "VAT 19 % incl.", rate: 19, pricesIncludeTax: true, account: "2100")

    @Test("Monthly periods count from the start each time, so a plan from 31 January keeps the month's end")
    func monthlyPeriods() {
        let plan = BillingPlan(kind: .recurring, interval: .month, start: CivilDate(2026, 1, 31), periods: 3)
        let periods = (1...3).map { BillingRules.period($0, of: plan) }
        #expect(periods.map(\.start) == [CivilDate(2026, 1, 31), CivilDate(2026, 2, 28), CivilDate(2026, 3, 31)])
        #expect(periods.map(\.end) == [CivilDate(2026, 2, 27), CivilDate(2026, 3, 30), CivilDate(2026, 4, 29)])
        #expect(periods.map(\.issueDate) == periods.map(\.start))
    }

    @Test("In arrears a period is billed the day after it ends; quarters and years step by 3 and 12 months")
    func arrearsAndIntervals() {
        let arrears = BillingPlan(kind: .recurring, interval: .quarter, start: CivilDate(2026, 1, 1), periods: nil,
                                  timing: .arrears)
        #expect(BillingRules.period(1, of: arrears) == BillingPeriod(number: 1, start: CivilDate(2026, 1, 1),
                                                                     end: CivilDate(2026, 3, 31),
                                                                     issueDate: CivilDate(2026, 4, 1)))
        let yearly = BillingPlan(kind: .recurring, interval: .year, start: CivilDate(2024, 2, 29), periods: 2)
        #expect(BillingRules.period(2, of: yearly).start == CivilDate(2025, 2, 28))
        let once = BillingPlan.once(on: CivilDate(2026, 5, 5))
        #expect(BillingRules.period(1, of: once).issueDate == CivilDate(2026, 5, 5) && once.periods == 1)
    }

    @Test("Due periods: none before the first issue day, none twice, none past the plan's end or the cancellation")
    func duePeriods() {
        let plan = BillingPlan(kind: .recurring, interval: .month, start: CivilDate(2026, 1, 1), periods: 3)
        #expect(BillingRules.due(plan, billed: 0, asOf: CivilDate(2025, 12, 31)).isEmpty)
        #expect(BillingRules.due(plan, billed: 0, asOf: CivilDate(2026, 1, 1)).map(\.number) == [1])
        #expect(BillingRules.due(plan, billed: 1, asOf: CivilDate(2026, 1, 1)).isEmpty)
        #expect(BillingRules.due(plan, billed: 1, asOf: CivilDate(2026, 12, 31)).map(\.number) == [2, 3])
        #expect(BillingRules.due(plan, billed: 3, asOf: CivilDate(2027, 12, 31)).isEmpty)
        #expect(BillingRules.isComplete(plan, billed: 3, endsOn: nil))
        let open = BillingPlan(kind: .recurring, interval: .month, start: CivilDate(2026, 1, 1), periods: nil)
        #expect(BillingRules.due(open, billed: 0, asOf: CivilDate(2026, 12, 31)).count == 12)
        #expect(BillingRules.due(open, billed: 0, asOf: CivilDate(2026, 12, 31), endsOn: CivilDate(2026, 4, 1)).map(\.number)
                == [1, 2, 3])
        #expect(BillingRules.isComplete(open, billed: 3, endsOn: CivilDate(2026, 4, 1)))
        #expect(!BillingRules.isComplete(open, billed: 2, endsOn: CivilDate(2026, 4, 1)))
    }

    @Test("A plan given as text is read with its defaults, and bad parts name their field")
    func planParsing() throws {
        let plan = try BillingRules.parse(.init(kind: "recurring", interval: "quarter", periods: 4, timing: "arrears"),
                                          orderDate: CivilDate(2026, 3, 1))
        #expect(plan == BillingPlan(kind: .recurring, interval: .quarter, start: CivilDate(2026, 3, 1), periods: 4,
                                    timing: .arrears))
        #expect(try BillingRules.parse(nil, orderDate: CivilDate(2026, 3, 1)) == .once(on: CivilDate(2026, 3, 1)))
        for (input, field) in [(BillingPlanInput(kind: "weekly"), "billing.kind"),
                               (BillingPlanInput(kind: "recurring", interval: "week"), "billing.interval"),
                               (BillingPlanInput(kind: "recurring", periods: 0), "billing.periods"),
                               (BillingPlanInput(kind: "once", periods: 2), "billing.periods"),
                               (BillingPlanInput(start: "2026-02-30"), "billing.start")] {
            do {
                _ = try BillingRules.parse(input, orderDate: CivilDate(2026, 3, 1))
                Issue.record("\(input) was accepted")
            } catch { #expect(error.field == field) }
        }
    }

    @Test("Oldest due first, each invoice up to what is open, the rest left over")
    func oldestFirst() {
        let items = [OpenItem(id: "b", dueDate: CivilDate(2026, 2, 1), issueDate: CivilDate(2026, 1, 2), number: "2", open: 50),
                     OpenItem(id: "a", dueDate: CivilDate(2026, 1, 15), issueDate: CivilDate(2026, 1, 1), number: "1", open: 30),
                     OpenItem(id: "c", dueDate: CivilDate(2026, 3, 1), issueDate: CivilDate(2026, 1, 3), number: "3", open: 0)]
        #expect(ReceivableRules.oldestFirst(60, over: items).map { "\($0.id)=\($0.amount)" } == ["a=30", "b=30"])
        #expect(ReceivableRules.oldestFirst(100, over: items).map(\.amount).reduce(0, +) == 80)
        #expect(ReceivableRules.oldestFirst(0, over: items).isEmpty)
    }

    @Test("Aging buckets by days past due: the due day is current, 30 days late is 1–30, 31 is 31–60, 91 is over 90")
    func buckets() {
        let asOf = CivilDate(2026, 6, 30)
        #expect(ReceivableRules.bucket(dueDate: asOf, asOf: asOf) == .current)
        #expect(ReceivableRules.bucket(dueDate: asOf.addingDays(-1), asOf: asOf) == .days1to30)
        #expect(ReceivableRules.bucket(dueDate: asOf.addingDays(-30), asOf: asOf) == .days1to30)
        #expect(ReceivableRules.bucket(dueDate: asOf.addingDays(-31), asOf: asOf) == .days31to60)
        #expect(ReceivableRules.bucket(dueDate: asOf.addingDays(-90), asOf: asOf) == .days61to90)
        #expect(ReceivableRules.bucket(dueDate: asOf.addingDays(-91), asOf: asOf) == .over90)
        // The dates the aging query compares with agree with the rule.
        for (bucket, start) in ReceivableRules.bucketStarts(asOf: asOf) {
            #expect(ReceivableRules.bucket(dueDate: start, asOf: asOf) == bucket)
        }
    }

    func line(_ quantity: String, _ price: String, _ code: TaxCode?) -> PricedLine {
        PricedLine(sku: nil, description: "x", quantity: Decimal(string: quantity)!, unitPrice: Decimal(string: price)!,
                   taxCode: code, account: "4000", dimensions: [:])
    }

    @Test("Line amounts round half up to the cent; tax per line or per document; mixed rates get one summary row each")
    func amounts() throws {
        // 3 x 0.335 = 1.005 -> 1.01; 19 % of 1.01 = 0.1919 -> 0.19.
        let single = try DocumentRules.amounts([line("3", "0.335", Self.vat19)], currency: .eur, rounding: .line)
        #expect(single.lines[0].net == 101 && single.lines[0].tax == 19 && single.gross == 120)
        // Three lines of 0.10 at 19 %: per line 0.02 each (0.019 -> 0.02) = 0.06; per document 0.057 -> 0.06 shared.
        let lines = [line("1", "0.10", Self.vat19), line("1", "0.10", Self.vat19), line("1", "0.10", Self.vat19)]
        #expect(try DocumentRules.amounts(lines, currency: .eur, rounding: .line).tax == 6)
        // 0.13 x 3 at 19 %: per line 0.0247 -> 0.02 each = 0.06; per document 0.0741 -> 0.07.
        let thirteen = [line("1", "0.13", Self.vat19), line("1", "0.13", Self.vat19), line("1", "0.13", Self.vat19)]
        #expect(try DocumentRules.amounts(thirteen, currency: .eur, rounding: .line).tax == 6)
        let document = try DocumentRules.amounts(thirteen, currency: .eur, rounding: .document)
        #expect(document.tax == 7 && document.lines.map(\.tax).reduce(0, +) == 7)
        let mixed = try DocumentRules.amounts([line("2", "50", Self.vat19), line("1", "10", Self.vat7), line("1", "5", nil)],
                                              currency: .eur, rounding: .line)
        #expect(mixed.taxSummary.map(\.taxCode) == ["VAT19", "VAT7"])
        #expect(mixed.net == 115_00 && mixed.tax == 19_00 + 70 && mixed.gross == 134_70)
        // Tax-inclusive prices: 119.00 gross at 19 % is 100.00 net.
        let inclusive = try DocumentRules.amounts([line("1", "119", Self.gross19)], currency: .eur, rounding: .line)
        #expect(inclusive.net == 100_00 && inclusive.tax == 19_00 && inclusive.gross == 119_00)
        // Yen have no minor unit.
        #expect(try DocumentRules.amounts([line("3", "333.5", nil)], currency: .jpy, rounding: .line).gross == 1001)
    }

    @Test("A credit of an amount including tax takes the tax out at the line's rate")
    func creditOfAmount() throws {
        let invoice = try DocumentRules.amounts([line("1", "100", Self.vat19)], currency: .eur, rounding: .line).lines[0]
        let credit = try DocumentRules.creditOf(gross: 88_00, on: invoice, taxCode: Self.vat19, currency: .eur)
        #expect(credit.gross == 88_00 && credit.net + credit.tax == 88_00 && credit.tax == 14_05)
    }

    @Test("Quantities are positive, prices bounded, both at most six decimals")
    func numbers() {
        #expect(throws: DomainError.self) {
            try DocumentRules.checkNumber(0, positive: true, max: 10, field: "q", what: "quantity")
        }
        #expect(throws: DomainError.self) {
            try DocumentRules.checkNumber(Decimal(string: "0.0000001")!, positive: false, max: 10, field: "p", what: "unit price")
        }
        #expect(throws: DomainError.self) {
            try DocumentRules.checkNumber(11, positive: false, max: 10, field: "p", what: "unit price")
        }
        #expect(throws: Never.self) {
            try DocumentRules.checkNumber(Decimal(string: "-2.125")!, positive: false, max: 10, field: "p", what: "unit price")
        }
    }

    @Test("An invoice debits the receivable and credits income and tax; a credit note and a refund turn it round")
    func postings() throws {
        let amounts = try DocumentRules.amounts([line("1", "100", Self.vat19), line("1", "-10", Self.vat19)],
                                                currency: .eur, rounding: .line)
        let accounts = SalesPostings.Accounts(receivable: "1100", tax: ["VAT19": "2100"])
        let entry = SalesPostings.document(kind: .invoice, number: "INV-2026-000001", customer: "C1",
                                           date: CivilDate(2026, 1, 1), dueDate: CivilDate(2026, 1, 31), currency: .eur,
                                           lines: amounts.lines, taxSummary: amounts.taxSummary, gross: amounts.gross,
                                           accounts: accounts)
        #expect(entry.lines.map { "\($0.account) \($0.debit ?? 0) \($0.credit ?? 0)" }
                == ["1100 10710 0", "4000 0 10000", "4000 1000 0", "2100 0 1710"])
        #expect(entry.lines[0].dueDate == CivilDate(2026, 1, 31) && entry.lines.allSatisfy { $0.partner == "C1" })
        let credit = SalesPostings.document(kind: .creditNote, number: "CN-2026-000001", customer: "C1",
                                            date: CivilDate(2026, 1, 1), dueDate: CivilDate(2026, 1, 1), currency: .eur,
                                            lines: amounts.lines, taxSummary: amounts.taxSummary, gross: amounts.gross,
                                            accounts: accounts)
        #expect(credit.lines.map { "\($0.account) \($0.debit ?? 0) \($0.credit ?? 0)" }
                == ["1100 0 10710", "4000 10000 0", "4000 0 1000", "2100 1710 0"])
        let refund = SalesPostings.payment(kind: .refund, number: "RFD-2026-000001", customer: "C1", date: CivilDate(2026, 1, 1),
                                           amount: 500, currency: .eur, account: "1010", receivable: "1100", reference: nil)
        #expect(refund.lines.map { "\($0.account) \($0.debit ?? 0) \($0.credit ?? 0)" } == ["1010 0 500", "1100 500 0"])
    }

    @Test("Dunning: the level an invoice's lateness reached, only when higher than the last one sent")
    func dunningLevels() {
        #expect(DunningRules.due(daysOverdue: 6, sent: 0) == nil)
        #expect(DunningRules.due(daysOverdue: 7, sent: 0)?.level == 1)
        #expect(DunningRules.due(daysOverdue: 20, sent: 1) == nil)
        #expect(DunningRules.due(daysOverdue: 21, sent: 1)?.level == 2)
        #expect(DunningRules.due(daysOverdue: 50, sent: 0)?.level == 3)
        #expect(DunningRules.due(daysOverdue: 400, sent: 3) == nil)
    }

    @Test("An early-payment discount is earned from the invoice date to the last discount day, on what is open")
    func earlyPaymentDiscount() throws {
        let terms = try PaymentTerms.parse("2/10 net 30")
        let issued = CivilDate(2026, 3, 1)
        func discount(_ paidOn: CivilDate, open: Int64 = 1_190_00) -> Int64 {
            ReceivableRules.earlyPaymentDiscount(terms: terms, invoiceDate: issued, open: open, paidOn: paidOn)
        }
        #expect(discount(CivilDate(2026, 3, 1)) == 23_80 && discount(CivilDate(2026, 3, 11)) == 23_80)
        #expect(discount(CivilDate(2026, 3, 12)) == 0 && discount(CivilDate(2026, 2, 28)) == 0)
        #expect(discount(CivilDate(2026, 3, 5), open: 1_25) == 3)   // 2.5 cents rounds half up
        #expect(ReceivableRules.earlyPaymentDiscount(terms: .net30, invoiceDate: issued, open: 1_190_00,
                                                     paidOn: issued) == 0)
    }

    @Test("A payment is read as discounted only when it is exactly the oldest invoices' discounted total")
    func discountedOldestFirst() {
        let items = [OpenItem(id: "a", dueDate: CivilDate(2026, 3, 31), issueDate: CivilDate(2026, 3, 1), number: "1", open: 1000_00),
                     OpenItem(id: "b", dueDate: CivilDate(2026, 4, 5), issueDate: CivilDate(2026, 3, 6), number: "2", open: 500_00),
                     OpenItem(id: "c", dueDate: CivilDate(2026, 4, 30), issueDate: CivilDate(2026, 3, 31), number: "3", open: 100_00)]
        let discounts: [String: Int64] = ["a": 20_00, "b": 10_00]
        func shares(_ amount: Int64) -> [String] {
            ReceivableRules.oldestFirst(amount, over: items, discounts: discounts).map { "\($0.id)=\($0.amount)-\($0.discount)" }
        }
        #expect(shares(980_00) == ["a=98000-2000"])
        #expect(shares(1470_00) == ["a=98000-2000", "b=49000-1000"])
        #expect(shares(1570_00) == ["a=98000-2000", "b=49000-1000", "c=10000-0"])
        #expect(shares(1000_00) == ["a=100000-0"])                       // paid in full: no discount taken
        #expect(shares(1200_00) == ["a=100000-0", "b=20000-0"])
        #expect(shares(700_00) == ["a=70000-0"])
        #expect(ReceivableRules.oldestFirst(100_00, over: [items[2]], discounts: [:]).map(\.discount) == [0])
    }

    @Test("A discount is taken back from the lines in proportion, the tax at each line's rate")
    func discountSpread() throws {
        let lines = [DocumentLine(lineNo: 1, sku: nil, description: "Service", quantity: 1, unitPrice: 1000, taxCode: "VAT19",
                                  account: "4100", dimensions: [:], net: 1000_00, tax: 190_00, gross: 1190_00),
                     DocumentLine(lineNo: 2, sku: nil, description: "Books", quantity: 1, unitPrice: 100, taxCode: "VAT7",
                                  account: "4000", dimensions: [:], net: 100_00, tax: 7_00, gross: 107_00)]
        let credit = try DocumentRules.spread(gross: 25_94, over: lines, taxCodes: ["VAT19": Self.vat19, "VAT7": Self.vat7],
                                              currency: .eur)
        #expect(credit.map(\.gross) == [23_80, 2_14] && credit.map(\.tax) == [3_80, 14] && credit.map(\.net) == [20_00, 2_00])
        #expect(credit.map(\.account) == ["4100", "4000"] && credit[0].description == "Discount: Service")
        #expect(try DocumentRules.spread(gross: 0, over: lines, taxCodes: [:], currency: .eur).isEmpty)
    }
}
