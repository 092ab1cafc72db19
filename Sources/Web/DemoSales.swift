import Fluent
import Kernel
import Platform
import Sales

/// A year of sales for the demo: monthly fleet-maintenance subscriptions, one-off orders of goods and workshop hours,
/// the invoices the billing run issues for them, and payments: most on time, some late or partial, some not yet.
enum DemoSales {
    static func seed(_ sales: SalesService, today: CivilDate) async throws {
        let start = today.addingMonths(-11).monthStart
        // EUR customers only: the demo books keep no daily USD rates for invoices.
        let customers = DemoParties.partners().filter { $0.isCustomer && !$0.isVendor && $0.currency == "EUR" }.compactMap(\.code)
        for (index, customer) in customers.prefix(8).enumerated() {
            _ = try await sales.createOrder(OrderInput(
                customer: customer, orderDate: start.addingDays(-5 + index).description, reference: "CONTRACT-\(100 + index)",
                billing: .init(kind: "recurring", interval: "month", start: start.addingMonths(index % 3).description,
                               periods: index % 3 == 2 ? nil : 12, timing: index % 4 == 3 ? "arrears" : "advance"),
                lines: [.init(product: "SVC-FLEET", quantity: index % 2 == 0 ? "1" : "2")], confirm: true), by: .system)
        }
        let baskets: [[OrderLineInput]] = [
            [.init(product: "BIKE-CITY", quantity: "2"), .init(product: "HELMET-M", quantity: "2")],
            [.init(product: "SVC-REPAIR", quantity: "3.5"), .init(product: "TUBE-28", quantity: "4")],
            [.init(product: "BIKE-CARGO"), .init(product: "LOCK-U"), .init(product: "LIGHT-SET")],
            [.init(product: "MAP-REGION", quantity: "10"), .init(product: "BOOK-REPAIR", quantity: "5")],
            [.init(product: "SVC-SERVICE", quantity: "6"), .init(product: "SVC-FIT")],
        ]
        var day = start
        var index = 0
        while day <= today {
            _ = try await sales.createOrder(OrderInput(
                customer: customers[(index * 7) % customers.count], orderDate: day.description,
                reference: "WEB-\(5_000 + index)", lines: baskets[index % baskets.count], confirm: true), by: .system)
            day = day.addingDays(3 + index % 4)
            index += 1
        }
        let invoices = try await sales.runBilling(asOf: today, by: .system)
        // Payments: most invoices are paid around their due date; every 7th is left open (some of them overdue),
        // every 11th is paid in part.
        for (position, invoice) in invoices.enumerated() where position % 7 != 3 {
            guard let number = invoice.number else { continue }
            let paidOn = invoice.dueDate.addingDays(position % 5 - 3)
            guard paidOn <= today, paidOn >= invoice.issueDate else { continue }
            let amount = position % 11 == 5 ? invoice.gross / 2 : invoice.gross
            _ = try await sales.recordReceipt(ReceiptInput(
                customer: invoice.customerCode, date: paidOn.description,
                amount: Money(minorUnits: amount, currency: invoice.currency).decimalString, method: "bank",
                reference: "Transfer \(number)",
                allocations: [.init(invoice: number, amount: Money(minorUnits: amount, currency: invoice.currency).decimalString)]),
                by: .system)
        }
    }
}
