import Fluent
import Foundation
import KeelTesting
import Kernel
import Ledger
import Parties
import Platform
@testable import Sales
import SQLKit
import Testing
import Web

/// A company with the standard chart, VAT codes and one customer, for the Sales tests.
struct SalesFixture {
    static let clerk = Principal(userID: nil, username: "clerk", roles: ["clerk"],
                                 permissions: [Permission("sales", .read), Permission("sales", .write)])
    static let reader = Principal(userID: nil, username: "reader", roles: ["reader"],
                                  permissions: [Permission("sales", .read)])

    let db: any Database
    let context: PlatformContext
    var sales: SalesService { SalesService(db: db, context: context, products: LedgerReferences(db: db, context: context)) }
    var ledger: LedgerService { LedgerService(db: db, context: context) }

    static func make(_ db: any Database, _ context: PlatformContext) async throws -> SalesFixture {
        let ledger = LedgerService(db: db, context: context)
        _ = try await ledger.setUpCompany(name: "Keel Demo GmbH", currency: "EUR", by: .system)
        _ = try await ledger.saveTaxCode(TaxCodeInput(code: "VAT19", name: "VAT 19 %", rate: "19", account: "2100"), by: .system)
        _ = try await ledger.saveTaxCode(TaxCodeInput(code: "VAT7", name: "VAT 7 %", rate: "7", account: "2100"), by: .system)
        _ = try await PartiesService(db: db, context: context)
            .create(PartnerInput(code: "C1", name: "Customer One", paymentTerms: "net 14"), by: .system)
        return SalesFixture(db: db, context: context)
    }

    /// The receivable accounts' balance in the functional currency.
    func receivableBalance(asOf: CivilDate) async throws -> Int64 {
        try await ledger.trialBalance(asOf: asOf).filter { $0.account.subtype == .receivable }
            .reduce(0) { $0 + $1.functionalBalance }
    }

    func count(_ table: String) async throws -> Int {
        try await db.sql.select().column(SQLRaw("COUNT(*)"), as: "n").from(table).first()?.decode(column: "n", as: Int.self) ?? 0
    }
}

@Suite("Order to cash")
struct SalesServiceTests {
    static let subscription = OrderInput(
        customer: "C1", orderDate: "2025-12-20", reference: "CRM-42",
        billing: .init(kind: "recurring", interval: "month", start: "2026-01-01", periods: 3, timing: "advance"),
        lines: [OrderLineInput(description: "Keel hosting", quantity: "1", unitPrice: "100.00", taxCode: "VAT19",
                               account: "4100", dimensions: ["project": "hosting"])],
        confirm: true)

    @Test("A 3-month subscription is billed month by month, paid in part, aged, and a credit note clears the rest")
    func orderToCash() async throws {
        try await withTestDatabase { db, context in
            let fixture = try await SalesFixture.make(db, context)
            let sales = fixture.sales
            let order = try await sales.createOrder(Self.subscription, idempotencyKey: "order-1", by: SalesFixture.clerk)
            #expect(order.status == .confirmed && order.number == "SO-2025-000001" && order.gross == 119_00)
            #expect(sales.schedule(of: order).map(\.issueDate) == [CivilDate(2026, 1, 1), CivilDate(2026, 2, 1), CivilDate(2026, 3, 1)])

            // Time moves forward: nothing before the first period, one invoice a month, nothing twice.
            #expect(try await sales.runBilling(asOf: CivilDate(2025, 12, 31), by: .system).isEmpty)
            let january = try await sales.runBilling(asOf: CivilDate(2026, 1, 1), by: .system)
            #expect(january.map(\.number) == ["INV-2026-000001"] && january[0].dueDate == CivilDate(2026, 1, 15))
            #expect(january[0].period?.end == CivilDate(2026, 1, 31) && january[0].lines[0].dimensions == ["project": "hosting"])
            #expect(try await sales.runBilling(asOf: CivilDate(2026, 1, 1), by: .system).isEmpty)
            #expect(try await sales.runBilling(asOf: CivilDate(2025, 6, 1), by: .system).isEmpty)
            #expect(try await sales.runBilling(asOf: CivilDate(2026, 2, 1), by: .system).count == 1)
            #expect(try await sales.runBilling(asOf: CivilDate(2026, 3, 1), by: .system).count == 1)
            #expect(try await sales.runBilling(asOf: CivilDate(2026, 12, 31), by: .system).isEmpty)
            #expect(try await sales.order(order.number, by: SalesFixture.reader).status == .completed)
            #expect(try await fixture.receivableBalance(asOf: CivilDate(2026, 3, 1)) == 357_00)

            // A partial payment goes to the oldest invoices first.
            let receipt = try await sales.recordReceipt(ReceiptInput(customer: "C1", date: "2026-03-10", amount: "150.00",
                                                                     reference: "SEPA 1"), by: SalesFixture.clerk)
            #expect(receipt.allocated == 150_00 && receipt.number == "RCT-2026-000001")
            let invoices = try await sales.invoices(.init(customer: "C1", kind: .invoice), by: SalesFixture.reader).invoices
                .sorted { $0.number! < $1.number! }
            #expect(invoices.map(\.allocated) == [119_00, 31_00, 0])
            #expect(invoices.map { $0.state(today: CivilDate(2026, 3, 10)) } == ["paid", "overdue", "open"])

            // The aging shows the remainder and agrees with the ledger.
            let aging = try await sales.aging(asOf: CivilDate(2026, 3, 10), by: SalesFixture.reader)
            #expect(aging.rows.count == 1 && aging.rows[0].buckets == [119_00, 88_00, 0, 0, 0] && aging.rows[0].total == 207_00)
            #expect(try await fixture.receivableBalance(asOf: CivilDate(2026, 3, 10)) == 207_00)
            // An earlier day shows the book as it was then.
            let before = try await sales.aging(asOf: CivilDate(2026, 2, 20), by: SalesFixture.reader)
            #expect(before.rows[0].buckets == [0, 119_00, 119_00, 0, 0])

            // Credit notes clear the rest: all of the third invoice, 88.00 (tax included) of the second.
            let full = try await sales.creditNote(for: invoices[2].number!, CreditNoteInput(date: "2026-03-12", reason: "Cancelled"),
                                                  by: SalesFixture.clerk)
            #expect(full.number == "CN-2026-000001" && full.gross == 119_00 && full.allocated == 119_00)
            let partial = try await sales.creditNote(for: invoices[1].number!, CreditNoteInput(
                date: "2026-03-12", lines: [.init(line: 1, amount: "88.00")]), by: SalesFixture.clerk)
            #expect(partial.net == 73_95 && partial.tax == 14_05 && partial.open == 0)
            let after = try await sales.aging(asOf: CivilDate(2026, 3, 12), by: SalesFixture.reader)
            #expect(after.rows.isEmpty)
            #expect(try await fixture.receivableBalance(asOf: CivilDate(2026, 3, 12)) == 0)

            let statement = try await sales.statement(customer: "C1", from: CivilDate(2026, 2, 1), to: CivilDate(2026, 3, 31),
                                                      by: SalesFixture.reader)
            #expect(statement.opening == 119_00 && statement.closing == 0)
            #expect(statement.lines.map(\.number) == ["INV-2026-000002", "INV-2026-000003", "RCT-2026-000001",
                                                      "CN-2026-000001", "CN-2026-000002"])

            let events = try await Outbox.recent(on: db).map(\.event.type)
            #expect(events.filter { $0 == "invoice.issued" }.count == 3 && events.contains("order.confirmed"))
            #expect(events.contains("payment.received") && events.filter { $0 == "invoice.paid" }.count == 3)
            #expect(events.filter { $0 == "credit_note.issued" }.count == 2)
        }
    }

    @Test("A subscription until cancelled bills monthly in arrears and stops at the cancellation; a draft bills nothing")
    func cancellation() async throws {
        try await withTestDatabase { db, context in
            let fixture = try await SalesFixture.make(db, context)
            let sales = fixture.sales
            let order = try await sales.createOrder(OrderInput(
                customer: "C1", orderDate: "2026-01-01",
                billing: .init(kind: "recurring", interval: "month", start: "2026-01-01", timing: "arrears"),
                lines: [.init(description: "Support", unitPrice: "50.00", taxCode: "VAT7")]), by: SalesFixture.clerk)
            #expect(try await sales.runBilling(asOf: CivilDate(2026, 6, 1), by: .system).isEmpty)
            _ = try await sales.confirmOrder(order.number, by: SalesFixture.clerk)
            let first = try await sales.runBilling(asOf: CivilDate(2026, 2, 1), by: .system)
            #expect(first.map(\.issueDate) == [CivilDate(2026, 2, 1)] && first[0].period?.end == CivilDate(2026, 1, 31))
            let cancelled = try await sales.cancelOrder(order.number, effective: CivilDate(2026, 3, 1), by: SalesFixture.clerk)
            #expect(cancelled.status == .cancelled && cancelled.endsOn == CivilDate(2026, 3, 1))
            // February (started before the cancellation) is still billed in arrears; March on is not.
            let rest = try await sales.runBilling(asOf: CivilDate(2026, 12, 31), by: .system)
            #expect(rest.map(\.issueDate) == [CivilDate(2026, 3, 1)])
            #expect(try await sales.runBilling(asOf: CivilDate(2027, 12, 31), by: .system).isEmpty)
            let again = await domainErrorCode { _ = try await sales.cancelOrder(order.number, by: SalesFixture.clerk) }
            #expect(again == "sales.order.not_open")
        }
    }

    @Test("A dunning run lists overdue invoices at their reminder level, records them, and escalates later")
    func dunning() async throws {
        try await withTestDatabase { db, context in
            let fixture = try await SalesFixture.make(db, context)
            let sales = fixture.sales
            _ = try await sales.createOrder(OrderInput(
                customer: "C1", orderDate: "2026-01-01",
                billing: .init(kind: "recurring", interval: "month", start: "2026-01-01", periods: 2),
                lines: [.init(description: "Support", unitPrice: "50.00")], confirm: true), by: SalesFixture.clerk)
            _ = try await sales.runBilling(asOf: CivilDate(2026, 2, 1), by: .system)  // due 2026-01-15 and 2026-02-15
            #expect(try await sales.dunningProposal(asOf: CivilDate(2026, 1, 21), by: SalesFixture.reader).isEmpty)
            let first = try await sales.runDunning(asOf: CivilDate(2026, 1, 22), by: SalesFixture.clerk)
            #expect(first.map { "\($0.invoiceNumber) \($0.level.level)" } == ["INV-2026-000001 1"])
            #expect(try await sales.runDunning(asOf: CivilDate(2026, 1, 22), by: SalesFixture.clerk).isEmpty)
            // A payment of the second invoice keeps it out; the first escalates to level 2.
            _ = try await sales.recordReceipt(ReceiptInput(customer: "C1", date: "2026-02-20", amount: "50.00", allocations: [
                .init(invoice: "INV-2026-000002", amount: "50.00")]), by: SalesFixture.clerk)
            let second = try await sales.runDunning(asOf: CivilDate(2026, 3, 1), by: SalesFixture.clerk)
            #expect(second.map { "\($0.invoiceNumber) \($0.previousLevel)->\($0.level.level)" } == ["INV-2026-000001 1->3"])
            #expect(try await sales.dunningHistory(by: SalesFixture.reader).map(\.level) == [3, 1])
            #expect(await domainErrorCode { _ = try await sales.runDunning(asOf: CivilDate(2026, 3, 1), by: SalesFixture.reader) }
                    == "auth.forbidden")
        }
    }

    @Test("The same Idempotency-Key returns the same order; with other content it is a 409 and nothing is added")
    func idempotentOrders() async throws {
        try await withTestDatabase { db, context in
            let fixture = try await SalesFixture.make(db, context)
            let first = try await fixture.sales.createOrder(Self.subscription, idempotencyKey: "k", by: SalesFixture.clerk)
            let again = try await fixture.sales.createOrder(Self.subscription, idempotencyKey: "k", by: SalesFixture.clerk)
            #expect(first == again)
            var other = Self.subscription
            other.reference = "CRM-43"
            let code = await domainErrorCode { _ = try await fixture.sales.createOrder(other, idempotencyKey: "k", by: SalesFixture.clerk) }
            #expect(code == "request.idempotency_conflict")
            #expect(try await fixture.count("sales_orders") == 1)
        }
    }

    @Test("A new customer comes with the order; overpayment stays as credit, is used later, and can be refunded")
    func creditAndRefund() async throws {
        try await withTestDatabase { db, context in
            let fixture = try await SalesFixture.make(db, context)
            let sales = fixture.sales
            let order = try await sales.createOrder(OrderInput(
                newCustomer: .init(name: "Shop Customer", email: "buyer@example.com"), orderDate: "2026-04-01",
                lines: [.init(description: "Widget", quantity: "2", unitPrice: "10.00", taxCode: "VAT7")], confirm: true),
                by: SalesFixture.clerk)
            #expect(order.customerName == "Shop Customer" && order.gross == 21_40)
            _ = try await sales.runBilling(asOf: CivilDate(2026, 4, 1), by: .system)
            let receipt = try await sales.recordReceipt(ReceiptInput(customer: order.customerCode, date: "2026-04-02",
                                                                     amount: "50.00", method: "cash"), by: SalesFixture.clerk)
            #expect(receipt.allocated == 21_40 && receipt.account == "1000")
            let aging = try await sales.aging(asOf: CivilDate(2026, 4, 2), by: SalesFixture.reader)
            #expect(aging.rows[0].credit == -28_60 && aging.rows[0].total == -28_60)
            #expect(try await fixture.receivableBalance(asOf: CivilDate(2026, 4, 2)) == -28_60)

            // A later invoice takes the credit; an allocation taken back leaves a reversal, never an edit.
            let invoice = try await sales.createInvoice(InvoiceInput(customer: order.customerCode, issueDate: "2026-04-05",
                                                                     lines: [.init(description: "Setup", unitPrice: "20.00")]),
                                                        by: SalesFixture.clerk)
            #expect(invoice.status == .draft && invoice.number == nil)
            let issued = try await sales.issueInvoice(invoice.id, by: SalesFixture.clerk)
            #expect(issued.number == "INV-2026-000002" && issued.entryNumber != nil)
            let used = try await sales.allocateCredit(receipt.number, date: CivilDate(2026, 4, 5), by: SalesFixture.clerk)
            #expect(used.map(\.amount) == [20_00])
            let reversal = try await sales.unallocate(used[0].id, date: CivilDate(2026, 4, 6), by: SalesFixture.clerk)
            #expect(reversal.amount == -20_00 && reversal.reversalOf == used[0].id)
            #expect(try await sales.invoice(issued.id, by: SalesFixture.reader).allocated == 0)
            let again = await domainErrorCode { _ = try await sales.unallocate(used[0].id, by: SalesFixture.clerk) }
            #expect(again == "sales.allocation.already_reversed")

            // More than the credit cannot be refunded; the credit can.
            let tooMuch = await domainErrorCode {
                _ = try await sales.refund(ReceiptInput(customer: order.customerCode, date: "2026-04-07", amount: "30.00"),
                                           by: SalesFixture.clerk)
            }
            #expect(tooMuch == "sales.refund.exceeds_credit")
            let refund = try await sales.refund(ReceiptInput(customer: order.customerCode, date: "2026-04-07", amount: "28.60"),
                                                by: SalesFixture.clerk)
            #expect(refund.kind == .refund && refund.allocated == 28_60)
            let final = try await sales.aging(asOf: CivilDate(2026, 4, 7), by: SalesFixture.reader)
            #expect(final.rows.map(\.total) == [20_00])
            #expect(try await fixture.receivableBalance(asOf: CivilDate(2026, 4, 7)) == 20_00)
        }
    }

    @Test("Paying 2/10 net 30 within ten days earns the discount as a credit note that corrects income and VAT")
    func earlyPaymentDiscount() async throws {
        try await withTestDatabase { db, context in
            let fixture = try await SalesFixture.make(db, context)
            let sales = fixture.sales
            _ = try await PartiesService(db: db, context: context)
                .create(PartnerInput(code: "SK", name: "Skonto Kunde", paymentTerms: "2/10 net 30"), by: .system)
            func invoice(_ date: String) async throws -> Invoice {
                try await sales.issueInvoice(try await sales.createInvoice(InvoiceInput(
                    customer: "SK", issueDate: date,
                    lines: [.init(description: "Service", unitPrice: "1000.00", taxCode: "VAT19", account: "4100")]),
                    by: SalesFixture.clerk).id, by: SalesFixture.clerk)
            }
            let first = try await invoice("2026-03-01")
            #expect(first.gross == 1190_00 && first.dueDate == CivilDate(2026, 3, 31))
            let vatBefore = try await fixture.ledger.trialBalance(asOf: CivilDate(2026, 3, 31))
                .first { $0.account.code == "2100" }?.functionalBalance ?? 0

            // 1,166.20 on day 10 is the discounted amount: the invoice is paid and 23.80 is credited.
            let receipt = try await sales.recordReceipt(ReceiptInput(customer: "SK", date: "2026-03-11", amount: "1166.20"),
                                                        by: SalesFixture.clerk)
            #expect(receipt.allocated == 1166_20)
            let paid = try await sales.invoice(first.id, by: SalesFixture.reader)
            #expect(paid.open == 0 && paid.state(today: CivilDate(2026, 3, 11)) == "paid")
            let notes = try await sales.creditNotes(of: paid)
            #expect(notes.map(\.gross) == [23_80] && notes.map(\.net) == [20_00] && notes.map(\.tax) == [3_80])
            #expect(notes[0].notes == "Early-payment discount (2/10 net 30) on receipt \(receipt.number)")
            #expect(try await fixture.receivableBalance(asOf: CivilDate(2026, 3, 31)) == 0)
            let vatAfter = try await fixture.ledger.trialBalance(asOf: CivilDate(2026, 3, 31))
                .first { $0.account.code == "2100" }?.functionalBalance ?? 0
            #expect(vatAfter - vatBefore == 3_80)   // less VAT owed (a credit balance shrinks)

            // The full amount within the period, a late discounted amount, or an explicit allocation.
            let second = try await invoice("2026-04-01")
            _ = try await sales.recordReceipt(ReceiptInput(customer: "SK", date: "2026-04-05", amount: "1190.00"), by: SalesFixture.clerk)
            #expect(try await sales.creditNotes(of: second).isEmpty)
            let third = try await invoice("2026-05-01")
            _ = try await sales.recordReceipt(ReceiptInput(customer: "SK", date: "2026-05-12", amount: "1166.20"), by: SalesFixture.clerk)
            #expect(try await sales.creditNotes(of: third).isEmpty)
            #expect(try await sales.invoice(third.id, by: SalesFixture.reader).open == 23_80)
            let fourth = try await invoice("2026-06-01")
            _ = try await sales.recordReceipt(ReceiptInput(customer: "SK", date: "2026-06-02", amount: "1166.20",
                                                           allocations: [.init(invoice: fourth.number!, amount: "1166.20")]),
                                              by: SalesFixture.clerk)
            #expect(try await sales.creditNotes(of: fourth).map(\.gross) == [23_80])
            #expect(try await sales.invoice(fourth.id, by: SalesFixture.reader).open == 0)
            let aging = try await sales.aging(asOf: CivilDate(2026, 6, 30), by: SalesFixture.reader)
            #expect(aging.rows.map(\.total) == [23_80])
            #expect(try await fixture.receivableBalance(asOf: CivilDate(2026, 6, 30)) == 23_80)
        }
    }

    @Test("Duplicates merge while neither has posted documents; drafts and orders move; posted history refuses")
    func mergePartners() async throws {
        try await withTestDatabase { db, context in
            let fixture = try await SalesFixture.make(db, context)
            let sales = fixture.sales
            let parties = PartiesService(db: db, context: context)
            let documents = PartiesService.documents(context)
            _ = try await parties.create(PartnerInput(code: "DUP", name: "Customer 1 Ltd", isCustomer: false, isVendor: true,
                                                      email: "ap@one.example", billingAddress: Address(city: "Köln", country: "DE"),
                                                      notes: "Entered twice", contacts: [Contact(name: "Ann", email: "ann@one.example")]),
                                         by: .system)
            let draft = try await sales.createInvoice(InvoiceInput(customer: "C1", lines: [
                .init(description: "Work", unitPrice: "10", taxCode: "VAT19", account: "4100")]), by: SalesFixture.clerk)
            _ = try await parties.update("DUP", PartnerInput(code: "DUP", name: "Customer 1 Ltd", isCustomer: true, isVendor: true,
                                                             email: "ap@one.example",
                                                             billingAddress: Address(city: "Köln", country: "DE"),
                                                             notes: "Entered twice"), by: .system)
            let order = try await sales.createOrder(OrderInput(customer: "DUP", orderDate: "2026-04-01", lines: [
                .init(description: "Widget", quantity: "1", unitPrice: "5.00", taxCode: "VAT7", account: "4100")]),
                                                   by: SalesFixture.clerk)
            let dupDraft = try await sales.createInvoice(InvoiceInput(customer: "DUP", lines: [
                .init(description: "Work", unitPrice: "10", taxCode: "VAT19", account: "4100")]), by: SalesFixture.clerk)
            #expect(draft.status == .draft)

            #expect(await domainErrorCode { _ = try await parties.merge("C1", into: "C1", documents: documents, by: SalesFixture.clerk) }
                    == "parties.merge.same")
            #expect(await domainErrorCode { _ = try await parties.merge("NOPE", into: "C1", documents: documents, by: SalesFixture.clerk) }
                    == "parties.merge.duplicate_unknown")
            #expect(await domainErrorCode { _ = try await parties.merge("DUP", into: "C1", documents: documents, by: SalesFixture.reader) }
                    == "auth.forbidden")

            let merged = try await parties.merge("DUP", into: "C1", documents: documents, by: SalesFixture.clerk)
            #expect(merged.code == "C1" && merged.name == "Customer One" && merged.isCustomer && merged.isVendor)
            #expect(merged.email == "ap@one.example" && merged.billingAddress.city == "Köln" && merged.notes == "Entered twice")
            #expect(merged.paymentTerms.description == "net 14")
            #expect(await domainErrorCode { _ = try await parties.partner("DUP", by: SalesFixture.reader) } == "parties.partner.not_found")
            #expect(try await sales.order(order.number, by: SalesFixture.reader).customerCode == "C1")
            #expect(try await sales.invoice(dupDraft.id, by: SalesFixture.reader).customerCode == "C1")

            // Once a document is posted, neither side of a merge may have it.
            _ = try await parties.create(PartnerInput(code: "C2", name: "Customer Two"), by: .system)
            _ = try await sales.issueInvoice(draft.id, by: SalesFixture.clerk)
            let refused = await domainErrorCode { _ = try await parties.merge("C1", into: "C2", documents: documents, by: SalesFixture.clerk) }
            #expect(refused == "parties.merge.posted_documents")
            #expect(await domainErrorCode { _ = try await parties.merge("C2", into: "C1", documents: documents, by: SalesFixture.clerk) }
                    == "parties.merge.posted_documents")
            #expect(try await parties.partner("C2", by: SalesFixture.reader).name == "Customer Two")
            #expect(try await parties.partner("C1", by: SalesFixture.reader).isVendor)

            // A manual ledger line naming a partner counts as posted too.
            _ = try await parties.create(PartnerInput(code: "C3", name: "Customer Three"), by: .system)
            _ = try await fixture.ledger.post(ProposedEntry(journal: "GEN", date: CivilDate(2026, 4, 1), memo: "Manual", lines: [
                ProposedLine(account: "1100", debit: 100, currency: .eur, partner: "C3"),
                ProposedLine(account: "4100", credit: 100, currency: .eur)]), by: .system)
            do {
                _ = try await parties.merge("C3", into: "C2", documents: documents, by: SalesFixture.clerk)
                Issue.record("merged a partner with ledger lines")
            } catch let error as DomainError {
                #expect(error.code == "parties.merge.posted_documents" && error.message.contains("1 ledger line"))
            }
        }
    }

    @Test("Bad orders, receipts and credit notes are refused with their codes and change nothing")
    func refusals() async throws {
        try await withTestDatabase { db, context in
            let fixture = try await SalesFixture.make(db, context)
            let sales = fixture.sales
            func code(_ input: OrderInput) async -> String? {
                await domainErrorCode { _ = try await sales.createOrder(input, by: SalesFixture.clerk) }
            }
            #expect(await code(OrderInput(customer: "NOPE", lines: [.init(description: "x", unitPrice: "1")])) == "sales.customer.unknown")
            #expect(await code(OrderInput(lines: [.init(description: "x", unitPrice: "1")])) == "sales.customer.missing")
            #expect(await code(OrderInput(customer: "C1", lines: [])) == "sales.lines.count")
            #expect(await code(OrderInput(customer: "C1", lines: [.init(description: "x")])) == "sales.lines.invalid")
            #expect(await code(OrderInput(customer: "C1", lines: [.init(description: "x", unitPrice: "1", taxCode: "VAT99")]))
                    == "sales.lines.invalid")
            #expect(await code(OrderInput(customer: "C1", lines: [.init(description: "x", unitPrice: "1", account: "1010")]))
                    == "sales.lines.invalid")
            #expect(await code(OrderInput(customer: "C1", lines: [.init(description: "x", quantity: "-1", unitPrice: "1")]))
                    == "sales.lines.invalid")
            #expect(await code(OrderInput(customer: "C1", billing: .init(kind: "recurring", interval: "fortnight"),
                                          lines: [.init(description: "x", unitPrice: "1")])) == "sales.billing.interval_invalid")
            #expect(await code(OrderInput(customer: "C1", lines: [.init(description: "x", unitPrice: "-5")]))
                    == "sales.order.total_not_positive")
            let forbidden = await domainErrorCode {
                _ = try await sales.createOrder(OrderInput(customer: "C1", lines: [.init(description: "x", unitPrice: "1")]),
                                                by: SalesFixture.reader)
            }
            #expect(forbidden == "auth.forbidden")
            #expect(try await fixture.count("sales_orders") == 0)

            _ = try await sales.createOrder(OrderInput(customer: "C1", orderDate: "2026-01-10",
                                                       lines: [.init(description: "x", unitPrice: "100", taxCode: "VAT19")],
                                                       confirm: true), by: SalesFixture.clerk)
            let invoice = try await sales.runBilling(asOf: CivilDate(2026, 1, 10), by: .system)[0]
            let entries = try await fixture.count("ledger_entries")
            let receiptCode = await domainErrorCode {
                _ = try await sales.recordReceipt(ReceiptInput(customer: "C1", amount: "50", allocations: [
                    .init(invoice: invoice.number!, amount: "60")]), by: SalesFixture.clerk)
            }
            #expect(receiptCode == "sales.allocation.exceeds_payment")
            let overOpen = await domainErrorCode {
                _ = try await sales.recordReceipt(ReceiptInput(customer: "C1", amount: "500", allocations: [
                    .init(invoice: invoice.number!, amount: "200")]), by: SalesFixture.clerk)
            }
            #expect(overOpen == "sales.allocation.exceeds_open")
            #expect(await domainErrorCode { _ = try await sales.recordReceipt(ReceiptInput(customer: "C1", amount: "0"), by: SalesFixture.clerk) }
                    == "sales.receipt.amount_not_positive")
            #expect(await domainErrorCode { _ = try await sales.recordReceipt(ReceiptInput(customer: "C1", amount: "5", method: "cheque"), by: SalesFixture.clerk) }
                    == "sales.receipt.method_invalid")
            #expect(await domainErrorCode {
                _ = try await sales.creditNote(for: invoice.number!, CreditNoteInput(lines: [.init(line: 1, amount: "200")]),
                                               by: SalesFixture.clerk)
            } == "sales.credit_note.amount_invalid")
            #expect(await domainErrorCode {
                _ = try await sales.creditNote(for: invoice.number!, CreditNoteInput(date: "2025-12-31"), by: SalesFixture.clerk)
            } == "sales.credit_note.date_before_invoice")
            _ = try await sales.creditNote(for: invoice.number!, CreditNoteInput(date: "2026-01-11"), by: SalesFixture.clerk)
            #expect(await domainErrorCode {
                _ = try await sales.creditNote(for: invoice.number!, CreditNoteInput(date: "2026-01-11"), by: SalesFixture.clerk)
            } == "sales.credit_note.exceeds_invoice")
            #expect(try await fixture.count("ledger_entries") == entries + 1)
            #expect(try await fixture.count("sales_receipts") == 0)
        }
    }
}
