import Foundation
import Kernel
import Ledger

/// Two years of a small trading company's books, deterministic, ending on the given day: opening capital,
/// sales with VAT, customer receipts, purchases and supplier payments, salaries, rent, utilities, software,
/// a USD customer, a delivery van with monthly depreciation, a bank loan repaid monthly, and bank fees.
enum DemoBooks {
    static func entries(until today: CivilDate) -> [ProposedEntry] {
        var seed: UInt64 = 20_260_101
        func random(_ bound: Int64) -> Int64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int64((seed >> 33) % UInt64(bound))
        }
        func line(_ account: String, debit: Int64? = nil, credit: Int64? = nil, currency: Currency = .eur,
                  functional: Int64? = nil, memo: String? = nil, department: String? = nil) -> ProposedLine {
            ProposedLine(account: account, debit: debit, credit: credit, currency: currency,
                         functionalAmount: functional, memo: memo,
                         dimensions: department.map { ["department": $0] } ?? [:])
        }
        let start = today.addingMonths(-24).monthStart
        var result = [ProposedEntry(journal: "OPN", date: start, memo: "Owner's capital paid in",
                                    lines: [line("1010", debit: 8_000_000), line("3000", credit: 8_000_000)])]
        var month = start
        var invoice = 1
        while month <= today {
            let end = min(month.monthEnd, today)
            func day(_ number: Int) -> CivilDate { min(CivilDate(month.year, month.month, min(number, 28)), end) }
            result.append(ProposedEntry(journal: "BNK", date: day(1), memo: "Office rent",
                                        lines: [line("6100", debit: 240_000), line("1010", credit: 240_000)]))
            for _ in 0..<(4 + Int(random(5))) {
                let net = 150_000 + random(900_000)
                let tax = net * 19 / 100
                let date = day(2 + Int(random(26)))
                result.append(ProposedEntry(journal: "SAL", date: date, memo: "Invoice \(invoice)", lines: [
                    line("1100", debit: net + tax),
                    line("4000", credit: net, department: random(3) == 0 ? "Wholesale" : "Retail"),
                    line("2100", credit: tax)]))
                if date.addingDays(20) <= today {
                    result.append(ProposedEntry(journal: "BNK", date: date.addingDays(20), memo: "Receipt for invoice \(invoice)",
                                                lines: [line("1010", debit: net + tax), line("1100", credit: net + tax)]))
                }
                invoice += 1
            }
            let goods = 300_000 + random(600_000)
            let inputTax = goods * 19 / 100
            result.append(ProposedEntry(journal: "PUR", date: day(8), memo: "Goods from Nordic Supply", lines: [
                line("5000", debit: goods), line("1300", debit: inputTax), line("2000", credit: goods + inputTax)]))
            if day(8).addingDays(14) <= today {
                result.append(ProposedEntry(journal: "BNK", date: day(8).addingDays(14), memo: "Pay Nordic Supply",
                                            lines: [line("2000", debit: goods + inputTax), line("1010", credit: goods + inputTax)]))
            }
            let salaries = 1_050_000 + random(50_000)
            result.append(ProposedEntry(journal: "PAY", date: day(28), memo: "Salaries", lines: [
                line("6000", debit: salaries * 6 / 10, department: "Retail"),
                line("6000", debit: salaries - salaries * 6 / 10, department: "Services"),
                line("6050", debit: salaries / 5), line("1010", credit: salaries + salaries / 5)]))
            let utilities = 18_000 + random(9_000)
            result.append(ProposedEntry(journal: "BNK", date: day(15), memo: "Electricity and internet",
                                        lines: [line("6200", debit: utilities), line("1010", credit: utilities)]))
            result.append(ProposedEntry(journal: "BNK", date: day(3), memo: "Software subscriptions",
                                        lines: [line("6400", debit: 42_000), line("1010", credit: 42_000)]))
            result.append(ProposedEntry(journal: "BNK", date: day(27), memo: "Bank fees",
                                        lines: [line("6700", debit: 1_850), line("1010", credit: 1_850)]))
            if month.month % 3 == 0 {
                let dollars = 500_000 + random(400_000)
                let euros = dollars * 92 / 100
                result.append(ProposedEntry(journal: "SAL", date: day(20), memo: "Consulting for Redwood Inc. (USD)",
                                            lines: [line("1010", debit: dollars, currency: .usd, functional: euros),
                                                    line("4100", credit: euros, department: "Services")]))
            }
            if month == start.addingMonths(1) {
                result.append(ProposedEntry(journal: "BNK", date: day(5), memo: "Bank loan for the van",
                                            lines: [line("1010", debit: 2_400_000), line("2500", credit: 2_400_000)]))
            }
            if month > start.addingMonths(1) {
                result.append(ProposedEntry(journal: "BNK", date: day(5), memo: "Loan repayment",
                                            lines: [line("2500", debit: 50_000), line("1010", credit: 50_000)]))
            }
            if month > start.addingMonths(2), month.monthEnd <= today {
                // The van over five years.
                result.append(ProposedEntry(journal: "GEN", date: month.monthEnd, memo: "Depreciation of the van",
                                            lines: [line("6800", debit: 53_333), line("1590", credit: 53_333)]))
            }
            if month == start.addingMonths(2) {
                result.append(ProposedEntry(journal: "PUR", date: day(12), memo: "Delivery van", lines: [
                    line("1510", debit: 3_200_000), line("1010", credit: 3_200_000)]))
            }
            month = month.addingMonths(1)
        }
        return result.filter { $0.date <= today }
    }
}

extension DemoBooks {
    /// A budget for the current fiscal year: monthly figures a little above last year's run rate.
    static func budget(for year: Period) -> [BudgetRow] {
        let monthly: [(String, String, String)] = [
            ("4000", "30000.00", ""), ("4000", "22000.00", "department=Retail"),
            ("4000", "8000.00", "department=Wholesale"), ("4100", "2000.00", ""),
            ("5000", "6000.00", ""), ("6000", "9000.00", ""), ("6050", "1800.00", ""), ("6100", "2400.00", ""),
            ("6200", "250.00", ""), ("6400", "420.00", ""),
        ]
        var rows: [BudgetRow] = []
        for (index, month) in year.months.enumerated() {
            for (account, amount, dimension) in monthly {
                rows.append(BudgetRow(line: index + 1, account: account, month: month.start.monthText,
                                      amount: amount, dimension: dimension))
            }
        }
        return rows
    }
}
