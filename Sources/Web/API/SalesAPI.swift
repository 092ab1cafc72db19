import Catalog
import Foundation
import OpenAPIRuntime
import Kernel
import Platform
import Sales

/// Orders, invoices, credit notes, receipts and receivables over the API.
extension APIHandler {
    func listOrders(_ input: Operations.ListOrders.Input) async throws -> Operations.ListOrders.Output {
        let query = input.query
        let filter = SalesService.OrderFilter(customer: query.customer,
                                              status: query.status.flatMap { Order.Status(rawValue: $0.rawValue) },
                                              sort: query.sort.flatMap { .init(rawValue: $0.rawValue) } ?? .newest,
                                              limit: query.limit ?? 100, offset: query.offset ?? 0)
        let sales = request.sales
        let (orders, total) = try await sales.orders(filter, by: try request.requirePrincipal())
        return .ok(.init(body: .json(.init(items: orders.map { $0.api(schedule: sales.schedule(of: $0)) }, total: total))))
    }

    func createOrder(_ input: Operations.CreateOrder.Input) async throws -> Operations.CreateOrder.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let sales = request.sales
        let order = try await sales.createOrder(body.input, idempotencyKey: input.headers.idempotencyKey, by: principal)
        return .created(.init(body: .json(order.api(schedule: sales.schedule(of: order)))))
    }

    func getOrder(_ input: Operations.GetOrder.Input) async throws -> Operations.GetOrder.Output {
        let sales = request.sales
        let order = try await sales.order(input.path.reference, by: try request.requirePrincipal())
        return .ok(.init(body: .json(order.api(schedule: sales.schedule(of: order)))))
    }

    func confirmOrder(_ input: Operations.ConfirmOrder.Input) async throws -> Operations.ConfirmOrder.Output {
        let sales = request.sales
        let order = try await sales.confirmOrder(input.path.reference, by: try request.requirePrincipal())
        return .ok(.init(body: .json(order.api(schedule: sales.schedule(of: order)))))
    }

    func cancelOrder(_ input: Operations.CancelOrder.Input) async throws -> Operations.CancelOrder.Output {
        var effective: CivilDate?
        if case .json(let body) = input.body, let text = body.effective {
            effective = try CivilDate.parse(text, field: "effective")
        }
        let sales = request.sales
        let order = try await sales.cancelOrder(input.path.reference, effective: effective, by: try request.requirePrincipal())
        return .ok(.init(body: .json(order.api(schedule: sales.schedule(of: order)))))
    }

    func runBilling(_ input: Operations.RunBilling.Input) async throws -> Operations.RunBilling.Output {
        let principal = try request.requirePrincipal()
        var asOf: CivilDate?
        if case .json(let body) = input.body, let text = body.asOf { asOf = try CivilDate.parse(text, field: "asOf") }
        let sales = request.sales
        let day = try await sales.day(asOf)
        let invoices = try await sales.runBilling(asOf: day, by: principal)
        return .ok(.init(body: .json(.init(items: invoices.map { $0.api(today: day) }))))
    }

    func listInvoices(_ input: Operations.ListInvoices.Input) async throws -> Operations.ListInvoices.Output {
        let query = input.query
        let filter = SalesService.InvoiceFilter(
            customer: query.customer, kind: query.kind.flatMap { Invoice.Kind(rawValue: $0.rawValue) },
            state: query.state.flatMap { SalesService.InvoiceFilter.State(rawValue: $0.rawValue) }, order: query.order,
            from: try query.from.map { text throws(DomainError) in try CivilDate.parse(text, field: "from") },
            to: try query.to.map { text throws(DomainError) in try CivilDate.parse(text, field: "to") },
            sort: query.sort.flatMap { .init(rawValue: $0.rawValue) } ?? .newest,
            limit: query.limit ?? 100, offset: query.offset ?? 0)
        let sales = request.sales
        let (invoices, total) = try await sales.invoices(filter, by: try request.requirePrincipal())
        let today = try await sales.day(nil)
        return .ok(.init(body: .json(.init(items: invoices.map { $0.api(today: today) }, total: total))))
    }

    func createInvoice(_ input: Operations.CreateInvoice.Input) async throws -> Operations.CreateInvoice.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let sales = request.sales
        let invoice = try await sales.createInvoice(
            InvoiceInput(customer: body.customer, currency: body.currency, issueDate: body.issueDate,
                         paymentTerms: body.paymentTerms, reference: body.reference, notes: body.notes,
                         lines: body.lines.map(\.input)),
            idempotencyKey: input.headers.idempotencyKey, by: principal)
        return .created(.init(body: .json(invoice.api(today: try await sales.day(nil)))))
    }

    func getInvoice(_ input: Operations.GetInvoice.Input) async throws -> Operations.GetInvoice.Output {
        let principal = try request.requirePrincipal()
        let sales = request.sales
        let invoice = try await sales.invoice(input.path.reference, by: principal)
        let allocations = try await sales.allocations(of: invoice.id, by: principal)
        return .ok(.init(body: .json(invoice.api(today: try await sales.day(nil), allocations: allocations))))
    }

    func issueInvoice(_ input: Operations.IssueInvoice.Input) async throws -> Operations.IssueInvoice.Output {
        let sales = request.sales
        let invoice = try await sales.issueInvoice(input.path.reference, by: try request.requirePrincipal())
        return .ok(.init(body: .json(invoice.api(today: try await sales.day(nil)))))
    }

    func getEInvoice(_ input: Operations.GetEInvoice.Input) async throws -> Operations.GetEInvoice.Output {
        let syntax = EInvoice.Syntax(rawValue: input.query.syntax?.rawValue ?? "cii") ?? .cii
        // The generated server percent-encodes header values, so no Content-Disposition here; the pages send one.
        let (_, xml) = try await request.sales.eInvoice(input.path.reference, syntax: syntax,
                                                        by: try request.requirePrincipal())
        return .ok(.init(body: .xml(HTTPBody(xml))))
    }

    func createCreditNote(_ input: Operations.CreateCreditNote.Input) async throws -> Operations.CreateCreditNote.Output {
        let principal = try request.requirePrincipal()
        var note = CreditNoteInput()
        if case .json(let body) = input.body {
            note = CreditNoteInput(date: body.date, reason: body.reason,
                                   lines: body.lines?.map { .init(line: $0.line, quantity: $0.quantity, amount: $0.amount) })
        }
        let sales = request.sales
        let credit = try await sales.creditNote(for: input.path.reference, note, by: principal)
        return .created(.init(body: .json(credit.api(today: try await sales.day(nil)))))
    }

    func listReceipts(_ input: Operations.ListReceipts.Input) async throws -> Operations.ListReceipts.Output {
        let query = input.query
        let (receipts, total) = try await request.sales.receipts(customer: query.customer,
                                                                 sort: query.sort.flatMap { .init(rawValue: $0.rawValue) } ?? .newest,
                                                                 limit: query.limit ?? 100,
                                                                 offset: query.offset ?? 0, by: try request.requirePrincipal())
        return .ok(.init(body: .json(.init(items: receipts.map { $0.api() }, total: total))))
    }

    func createReceipt(_ input: Operations.CreateReceipt.Input) async throws -> Operations.CreateReceipt.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let sales = request.sales
        let receipt = try await sales.recordReceipt(body.input, idempotencyKey: input.headers.idempotencyKey, by: principal)
        return .created(.init(body: .json(receipt.api(allocations: try await sales.allocations(of: receipt.id, by: principal)))))
    }

    func createRefund(_ input: Operations.CreateRefund.Input) async throws -> Operations.CreateRefund.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let sales = request.sales
        let refund = try await sales.refund(body.input, by: principal)
        return .created(.init(body: .json(refund.api(allocations: try await sales.allocations(of: refund.id, by: principal)))))
    }

    func allocateCredit(_ input: Operations.AllocateCredit.Input) async throws -> Operations.AllocateCredit.Output {
        var date: CivilDate?
        var chosen: [ReceiptInput.Allocation]?
        if case .json(let body) = input.body {
            date = try body.date.map { text throws(DomainError) in try CivilDate.parse(text, field: "date") }
            chosen = body.allocations?.map { .init(invoice: $0.invoice, amount: $0.amount) }
        }
        let allocations = try await request.sales.allocateCredit(input.path.reference, to: chosen, date: date,
                                                                 by: try request.requirePrincipal())
        return .ok(.init(body: .json(.init(items: allocations.map(\.api)))))
    }

    func reverseAllocation(_ input: Operations.ReverseAllocation.Input) async throws -> Operations.ReverseAllocation.Output {
        let reversal = try await request.sales.unallocate(input.path.id, by: try request.requirePrincipal())
        return .ok(.init(body: .json(reversal.api)))
    }

    func getAging(_ input: Operations.GetAging.Input) async throws -> Operations.GetAging.Output {
        let sales = request.sales
        let asOf = try await sales.day(try input.query.asOf.map { text throws(DomainError) in try CivilDate.parse(text, field: "asOf") })
        let aging = try await sales.aging(asOf: asOf, customer: input.query.customer, by: try request.requirePrincipal())
        return .ok(.init(body: .json(.init(asOf: aging.asOf.description, rows: aging.rows.map(\.api),
                                           totals: aging.totals.map(\.api)))))
    }

    func getCustomerStatement(_ input: Operations.GetCustomerStatement.Input) async throws -> Operations.GetCustomerStatement.Output {
        let query = input.query
        let statement = try await request.sales.statement(
            customer: input.path.reference, from: try CivilDate.parse(query.from, field: "from"),
            to: try CivilDate.parse(query.to, field: "to"),
            currency: try query.currency.map { text throws(DomainError) in try Currency.parse(text) },
            by: try request.requirePrincipal())
        let currency = statement.currency
        func money(_ value: Int64) -> String { Money(minorUnits: value, currency: currency).decimalString }
        let aging = AgingReport.Row(customerID: statement.customerID, customerCode: statement.customerCode,
                                    customerName: statement.customerName, currency: currency,
                                    buckets: Array(statement.aging.prefix(5)), credit: statement.aging.last ?? 0)
        return .ok(.init(body: .json(.init(
            customer: statement.customerCode, customerName: statement.customerName, currency: currency.code,
            from: statement.from.description, to: statement.to.description, opening: money(statement.opening),
            lines: statement.lines.map {
                .init(date: $0.date.description, kind: $0.kind, number: $0.number, dueDate: $0.dueDate?.description,
                      debit: money($0.debit), credit: money($0.credit), balance: money($0.balance))
            },
            closing: money(statement.closing), aging: aging.api))))
    }
}

// MARK: Mapping

extension Components.Schemas.OrderLineInput {
    var input: OrderLineInput {
        OrderLineInput(product: product, description: description, quantity: quantity, unitPrice: unitPrice,
                       taxCode: taxCode, account: account, dimensions: dimensions?.additionalProperties)
    }
}

extension Components.Schemas.OrderInput {
    var input: OrderInput {
        OrderInput(customer: customer,
                   newCustomer: newCustomer.map {
                       .init(name: $0.name, code: $0.code, email: $0.email, taxID: $0.taxId, currency: $0.currency,
                             paymentTerms: $0.paymentTerms, country: $0.country)
                   },
                   currency: currency, orderDate: orderDate, paymentTerms: paymentTerms, reference: reference, notes: notes,
                   billing: billing.map {
                       BillingPlanInput(kind: $0.kind?.rawValue, interval: $0.interval?.rawValue, start: $0.start,
                                        periods: $0.periods, timing: $0.timing?.rawValue)
                   },
                   lines: lines.map(\.input), confirm: confirm)
    }
}

extension Components.Schemas.ReceiptInput {
    var input: ReceiptInput {
        ReceiptInput(customer: customer, date: date, amount: amount, currency: currency, method: method?.rawValue,
                     account: account, reference: reference,
                     allocations: allocations?.map { .init(invoice: $0.invoice, amount: $0.amount) }, allocate: allocate)
    }
}

extension DocumentLine {
    func api(_ currency: Currency) -> Components.Schemas.DocumentLine {
        .init(lineNo: lineNo, sku: sku, description: description, quantity: "\(quantity)",
              unitPrice: Product.priceText(unitPrice, currency: currency.code), taxCode: taxCode, account: account,
              dimensions: .init(additionalProperties: dimensions),
              net: Money(minorUnits: net, currency: currency).decimalString,
              tax: Money(minorUnits: tax, currency: currency).decimalString,
              gross: Money(minorUnits: gross, currency: currency).decimalString)
    }
}

extension BillingPeriod {
    var api: Components.Schemas.BillingPeriod {
        .init(number: number, start: start.description, end: end.description, issueDate: issueDate.description)
    }
}

extension Order {
    func api(schedule: [BillingPeriod]) -> Components.Schemas.Order {
        func money(_ value: Int64) -> String { Money(minorUnits: value, currency: currency).decimalString }
        return .init(id: id, number: number, status: .init(rawValue: status.rawValue)!, customer: customerCode,
                     customerName: customerName, currency: currency.code, orderDate: orderDate.description,
                     paymentTerms: paymentTerms, reference: reference, notes: notes,
                     billing: .init(kind: billing.kind.rawValue, interval: billing.interval.rawValue,
                                    start: billing.start.description, periods: billing.periods,
                                    timing: billing.timing.rawValue),
                     billedPeriods: billedPeriods, endsOn: endsOn?.description, lines: lines.map { $0.api(currency) },
                     net: money(net), tax: money(tax), gross: money(gross), schedule: schedule.map(\.api),
                     createdBy: createdBy, createdAt: createdAt)
    }
}

extension Invoice {
    func api(today: CivilDate, allocations: [Allocation]? = nil) -> Components.Schemas.Invoice {
        func money(_ value: Int64) -> String { Money(minorUnits: value, currency: currency).decimalString }
        return .init(id: id, number: number, kind: .init(rawValue: kind.rawValue)!, status: .init(rawValue: status.rawValue)!,
                     state: state(today: today), customer: customerCode, customerName: customerName, order: orderNumber,
                     period: period?.api, currency: currency.code, issueDate: issueDate.description,
                     dueDate: dueDate.description, paymentTerms: paymentTerms, net: money(net), tax: money(tax),
                     gross: money(gross), allocated: money(allocated), open: money(open),
                     creditedInvoice: creditedInvoiceNumber, entryNumber: entryNumber, reference: reference, notes: notes,
                     lines: lines.map { $0.api(currency) },
                     taxSummary: taxSummary.map {
                         .init(taxCode: $0.taxCode, rate: "\($0.rate)", base: money($0.base), tax: money($0.tax), note: $0.note)
                     },
                     allocations: allocations?.map(\.api), createdBy: createdBy, createdAt: createdAt)
    }
}

extension Receipt {
    func api(allocations: [Allocation]? = nil) -> Components.Schemas.Receipt {
        func money(_ value: Int64) -> String { Money(minorUnits: value, currency: currency).decimalString }
        return .init(id: id, number: number, kind: .init(rawValue: kind.rawValue)!, customer: customerCode,
                     customerName: customerName, date: date.description, amount: money(amount), currency: currency.code,
                     method: method.rawValue, account: account, reference: reference, allocated: money(allocated),
                     unallocated: money(unallocated), entryNumber: entryNumber, allocations: allocations?.map(\.api),
                     createdBy: createdBy, createdAt: createdAt)
    }
}

extension Allocation {
    var api: Components.Schemas.Allocation {
        .init(id: id, target: .init(rawValue: target.rawValue)!, targetId: targetID, targetNumber: targetNumber,
              source: .init(rawValue: source.rawValue)!, sourceId: sourceID, sourceNumber: sourceNumber,
              date: date.description, amount: Money(minorUnits: amount, currency: currency).decimalString, reversalOf: reversalOf, reversedBy: reversedBy,
              createdBy: createdBy)
    }
}

extension AgingReport.Row {
    var api: Components.Schemas.AgingRow {
        func money(_ value: Int64) -> String { Money(minorUnits: value, currency: currency).decimalString }
        return .init(customer: customerCode, customerName: customerName, currency: currency.code, current: money(buckets[0]),
                     days1to30: money(buckets[1]), days31to60: money(buckets[2]), days61to90: money(buckets[3]),
                     over90: money(buckets[4]), credit: money(credit), total: money(total))
    }
}

// MARK: Dunning

extension APIHandler {
    func getDunningProposal(_ input: Operations.GetDunningProposal.Input) async throws -> Operations.GetDunningProposal.Output {
        let sales = request.sales
        let asOf = try await sales.day(try input.query.asOf.map { text throws(DomainError) in try CivilDate.parse(text, field: "asOf") })
        let items = try await sales.dunningProposal(asOf: asOf, by: try request.requirePrincipal())
        return .ok(.init(body: .json(.init(asOf: asOf.description, items: items.map(\.api)))))
    }

    func runDunning(_ input: Operations.RunDunning.Input) async throws -> Operations.RunDunning.Output {
        let principal = try request.requirePrincipal()
        var given: CivilDate?
        if case .json(let body) = input.body, let text = body.asOf { given = try CivilDate.parse(text, field: "asOf") }
        let sales = request.sales
        let asOf = try await sales.day(given)
        let items = try await sales.runDunning(asOf: asOf, by: principal)
        return .ok(.init(body: .json(.init(asOf: asOf.description, items: items.map(\.api)))))
    }
}

extension DunningItem {
    var api: Components.Schemas.DunningItem {
        .init(invoice: invoiceNumber, customer: customerCode, customerName: customerName, currency: currency.code,
              dueDate: dueDate.description, daysOverdue: daysOverdue,
              open: Money(minorUnits: open, currency: currency).decimalString, previousLevel: previousLevel,
              level: level.level, title: level.title)
    }
}
