import Catalog
import Kernel
import Ledger
import Parties
import Platform
import Plot
import Sales
import Vapor

/// Sales pages: orders (list, form, detail with the billing schedule), invoices (list with CSV, printable detail,
/// credit notes), receipts (list and the form that records one), the aging with its chart, and a customer's account
/// with statement.
enum SalesPages {
    static let pageSize = 50

    static func register(_ routes: any RoutesBuilder) {
        routes.get("sales", "orders", use: orders)
        routes.get("sales", "orders.csv", use: ordersCSV)
        routes.get("sales", "receipts.csv", use: receiptsCSV)
        routes.get("sales", "orders", "new", use: newOrder)
        routes.post("sales", "orders", use: createOrder)
        routes.get("sales", "orders", ":number", use: order)
        routes.post("sales", "orders", ":number", "confirm", use: confirmOrder)
        routes.post("sales", "orders", ":number", "cancel", use: cancelOrder)
        routes.get("sales", "invoices", use: invoices)
        routes.get("sales", "invoices.csv", use: invoicesCSV)
        routes.get("sales", "invoices", "new", use: newInvoice)
        routes.post("sales", "invoices", use: createInvoice)
        routes.get("sales", "invoices", ":number", use: invoice)
        routes.post("sales", "invoices", ":number", "issue", use: issueInvoice)
        routes.get("sales", "invoices", ":number", "e-invoice", use: eInvoice)
        routes.post("sales", "invoices", ":number", "credit-note", use: creditNote)
        routes.get("sales", "receipts", use: receipts)
        routes.post("sales", "receipts", use: recordReceipt)
        routes.get("sales", "aging", use: aging)
        routes.get("sales", "aging.csv", use: agingCSV)
        routes.get("sales", "customers", ":code", "statement.csv", use: statementCSV)
        routes.get("sales", "customers", ":code", use: customer)
        routes.get("sales", "dunning", use: dunning)
        routes.post("sales", "dunning", use: recordDunning)
    }

    /// The sort choice of a list's filter form.
    static func sortField<Sort: RawRepresentable & CaseIterable>(_ type: Sort.Type, _ value: String?) -> Node<HTML.FormContext>
        where Sort.RawValue == String {
        Layout.select("Sort", name: "sort", options: Sort.allCases.map { ($0.rawValue, $0.rawValue) }, value: value, error: nil)
    }

    static func canWrite(_ request: Request) -> Bool { request.principal?.can(Permission("sales", .write)) ?? false }

    static func stateBadge(_ state: String) -> Node<HTML.BodyContext> {
        let style = ["paid": "badge ok", "used": "badge ok", "overdue": "badge off", "cancelled": "badge off"][state] ?? "badge"
        return .span(.class(style), .text(state.replacing("_", with: " ")))
    }

    // MARK: Orders

    struct OrderQuery: Content {
        var status: String?
        var customer: String?
        var sort: String?
        var page: Int?

        func filter(limit: Int, offset: Int) -> SalesService.OrderFilter {
            .init(customer: customer, status: status.flatMap(Order.Status.init(rawValue:)),
                  sort: sort.flatMap(SalesService.OrderFilter.Sort.init(rawValue:)) ?? .newest, limit: limit, offset: offset)
        }

        var parameters: [(String, String?)] { [("status", status), ("customer", customer), ("sort", sort)] }
    }

    @Sendable static func orders(_ request: Request) async throws -> Response {
        let query = try request.query.decode(OrderQuery.self)
        let page = max(query.page ?? 0, 0)
        let (orders, total) = try await request.sales.orders(query.filter(limit: pageSize, offset: page * pageSize),
                                                             by: try request.requirePrincipal())
        let status = query.status ?? ""
        return Layout.page("Sales orders", request,
            .if(canWrite(request), .p(.class("actions"), .a(.class("button primary"), .href("/sales/orders/new"),
                                                              .text("New order")))),
            .form(.method(.get), .action("/sales/orders"), .class("filters"),
                .div(.class("field"), .label(.for("status"), .text("Status")),
                     .select(.id("status"), .attribute(named: "name", value: "status"),
                        Layout.option("", "All", selected: status.isEmpty),
                        .group(Order.Status.allCases.map { Layout.option($0.rawValue, $0.rawValue, selected: status == $0.rawValue) }))),
                .div(.class("field"), .label(.for("customer"), .text("Customer code")),
                     .input(.id("customer"), .name("customer"), .value(query.customer ?? ""))),
                sortField(SalesService.OrderFilter.Sort.self, query.sort),
                .button(.type(.submit), .text("Show")),
                .a(.class("button"), .href("/sales/orders.csv?\(Layout.queryString(query.parameters))"),
                   .text("Download CSV"))),
            .p(.class("muted"), .text(total == 1 ? "1 order" : "\(total) orders")),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Number"), .th("Date"), .th("Customer"), .th("Billing"), .th("Status"),
                           .th(.class("num"), .text("Per period")))),
                .tbody(
                    .forEach(orders) { order in
                        .tr(.td(.a(.href("/sales/orders/\(order.number)"), .text(order.number))),
                            .td(.text(order.orderDate.description)),
                            .td(.a(.href("/sales/customers/\(order.customerCode)"), .text(order.customerName))),
                            .td(.text(billingText(order.billing))),
                            .td(stateBadge(order.status.rawValue)),
                            .td(.class("num"), .text("\(ReportPages.money(order.gross, order.currency)) \(order.currency.code)")))
                    },
                    .if(orders.isEmpty, .tr(.td(.attribute(named: "colspan", value: "6"), .class("muted"),
                                                .text("No orders match."))))))),
            Layout.pager("/sales/orders", page: page, pageSize: pageSize, total: total, query: query.parameters))
    }

    static func billingText(_ plan: BillingPlan) -> String {
        guard plan.kind == .recurring else { return "once, \(plan.start)" }
        let every = ["month": "monthly", "quarter": "quarterly", "year": "yearly"][plan.interval.rawValue] ?? ""
        let count = plan.periods.map { "\($0) periods" } ?? "until cancelled"
        return "\(every) from \(plan.start), \(count), in \(plan.timing.rawValue)"
    }

    /// The order form's flat fields (also the draft invoice's, without the billing plan); five line rows are offered.
    struct OrderForm: Content {
        var customer: String?
        var orderDate: String?
        var currency: String?
        var paymentTerms: String?
        var reference: String?
        var notes: String?
        var kind: String?
        var interval: String?
        var start: String?
        var periods: String?
        var timing: String?
        var confirm: String?
        var product: [String]?
        var description: [String]?
        var quantity: [String]?
        var unitPrice: [String]?
        var taxCode: [String]?

        static let rows = 5

        func value(_ list: [String]?, _ index: Int) -> String? {
            guard let list, index < list.count else { return nil }
            let text = String(list[index].trimmed)
            return text.isEmpty ? nil : text
        }

        var lines: [OrderLineInput] {
            (0..<Self.rows).compactMap { index -> OrderLineInput? in
                let parts = [value(product, index), value(description, index), value(quantity, index),
                             value(unitPrice, index), value(taxCode, index)]
                guard parts.contains(where: { $0 != nil }) else { return nil }
                return OrderLineInput(product: parts[0], description: parts[1], quantity: parts[2], unitPrice: parts[3],
                                      taxCode: parts[4])
            }
        }

        var input: OrderInput {
            OrderInput(customer: customer.nonBlank, currency: currency.nonBlank, orderDate: orderDate.nonBlank,
                              paymentTerms: paymentTerms.nonBlank, reference: reference.nonBlank, notes: notes.nonBlank,
                              billing: BillingPlanInput(kind: kind.nonBlank, interval: interval.nonBlank, start: start.nonBlank,
                                                        periods: periods.nonBlank.flatMap { Int($0) }, timing: timing.nonBlank),
                              lines: lines, confirm: confirm == "on")
        }

        var invoiceInput: InvoiceInput {
            InvoiceInput(customer: customer.nonBlank ?? "", currency: currency.nonBlank, issueDate: orderDate.nonBlank,
                         paymentTerms: paymentTerms.nonBlank, reference: reference.nonBlank, notes: notes.nonBlank, lines: lines)
        }
    }

    @Sendable static func newOrder(_ request: Request) async throws -> Response {
        guard canWrite(request) else { throw DomainError.forbidden("auth.forbidden", "You may not take orders") }
        return try await renderOrderForm(request, form: OrderForm(kind: "once", timing: "advance", confirm: "on"), error: nil)
    }

    @Sendable static func newInvoice(_ request: Request) async throws -> Response {
        guard canWrite(request) else { throw DomainError.forbidden("auth.forbidden", "You may not write invoices") }
        return try await renderOrderForm(request, form: OrderForm(), error: nil, invoice: true)
    }

    @Sendable static func createInvoice(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(OrderForm.self)
        do {
            let invoice = try await request.sales.createInvoice(form.invoiceInput, by: principal)
            return request.redirect(to: "/sales/invoices/\(invoice.id)", redirectType: .normal)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderOrderForm(request, form: form, error: error, invoice: true, status: .unprocessableEntity)
        }
    }

    /// The form for a new order or, with `invoice`, a draft invoice (no billing plan; issued from its page).
    static func renderOrderForm(_ request: Request, form: OrderForm, error: DomainError?, invoice: Bool = false,
                                status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let customers = try await request.parties.partners(.init(role: .customer, limit: 500), by: principal).partners
        let products = try await request.catalog.products(.init(limit: 500), by: principal).products
        let taxCodes = try await LedgerService(db: request.db, context: request.context).taxCodes(includeArchived: false)
        // A line's problem is shown above the lines, naming the line; other problems beside their field.
        let shown = error.map { FormError(field: ($0.field ?? "").hasPrefix("lines") ? "lines" : $0.field?
                                            .replacing("billing.", with: "").replacing("issueDate", with: "orderDate"),
                                          message: $0.message) }
        let lineProblems = (error?.items ?? []).map(\.message)
        func choose(_ name: String, _ label: String, _ options: [(String, String)], _ value: String?) -> Node<HTML.FormContext> {
            Layout.select(label, name: name, options: options.map { (value: $0.0, label: $0.1) }, value: value, error: shown)
        }
        let linesField: Node<HTML.FormContext> =
                .fieldset(.class(shown?.field == "lines" ? "field invalid" : "field"),
                    .element(named: "legend", text: "Lines"),
                    .forEach(lineProblems) { .p(.class("error"), .text($0)) },
                    .div(.class("table-wrap"), .table(
                        .thead(.tr(.th("Product"), .th("Description"), .th("Quantity"), .th("Unit price"), .th("Tax code"))),
                        .tbody(.forEach(0..<OrderForm.rows) { index in
                            .tr(.td(.select(.attribute(named: "name", value: "product[]"), .attribute(named: "aria-label", value: "Product \(index + 1)"),
                                            Layout.option("", "—", selected: form.value(form.product, index) == nil),
                                            .group(products.map {
                                                Layout.option($0.sku, "\($0.sku) \($0.name)",
                                                              selected: form.value(form.product, index) == $0.sku)
                                            }))),
                                .td(.input(.name("description[]"), .attribute(named: "aria-label", value: "Description \(index + 1)"),
                                           .value(form.value(form.description, index) ?? ""))),
                                .td(.input(.name("quantity[]"), .attribute(named: "aria-label", value: "Quantity \(index + 1)"),
                                           .value(form.value(form.quantity, index) ?? ""))),
                                .td(.input(.name("unitPrice[]"), .attribute(named: "aria-label", value: "Unit price \(index + 1)"),
                                           .value(form.value(form.unitPrice, index) ?? ""))),
                                .td(.select(.attribute(named: "name", value: "taxCode[]"), .attribute(named: "aria-label", value: "Tax code \(index + 1)"),
                                            Layout.option("", "product's / none", selected: form.value(form.taxCode, index) == nil),
                                            .group(taxCodes.map {
                                                Layout.option($0.code, $0.code, selected: form.value(form.taxCode, index) == $0.code)
                                            }))))
                        }))),
                    .p(.class("hint"), .text("A product fills the description, price and tax code a line leaves empty.")))
        let billing: Node<HTML.FormContext> = invoice ? .empty :
                .fieldset(.class("field"), .element(named: "legend", text: "Billing"),
                    choose("kind", "Billed", [("once", "once"), ("recurring", "recurring")], form.kind),
                    choose("interval", "Every", [("month", "month"), ("quarter", "quarter"), ("year", "year")], form.interval),
                    Layout.field("From", name: "start", type: .date, value: form.start ?? "", error: shown,
                                 hint: "Empty: the order date"),
                    Layout.field("Periods", name: "periods", value: form.periods ?? "", error: shown,
                                 hint: "Empty: until cancelled"),
                    choose("timing", "Invoiced", [("advance", "in advance"), ("arrears", "in arrears")], form.timing))
        let confirm: Node<HTML.FormContext> = invoice ? .empty :
                .label(.class("check"), .input(.type(.checkbox), .name("confirm"), .checked(form.confirm == "on")),
                       .text("Confirm now (its invoices are issued as each period falls due)"))
        return Layout.page(invoice ? "New invoice" : "New order", request, status: status,
            .section(.class("card"), .form(.method(.post), .action(invoice ? "/sales/invoices" : "/sales/orders"),
                Layout.csrfField(request),
                Layout.formError(shown, fields: ["customer", "orderDate", "currency", "paymentTerms", "reference", "notes",
                                                 "kind", "interval", "start", "periods", "timing", "lines"]),
                choose("customer", "Customer", [("", "Choose…")] + customers.map { ($0.code, "\($0.name) (\($0.code))") },
                       form.customer),
                Layout.field(invoice ? "Invoice date" : "Order date", name: "orderDate", type: .date,
                             value: form.orderDate ?? "", error: shown,
                             hint: invoice ? "Empty: today; the number and posting come when it is issued" : "Empty: today"),
                Layout.field("Currency", name: "currency", value: form.currency ?? "", error: shown,
                             hint: "Empty: the customer's, else the company's"),
                Layout.field("Payment terms", name: "paymentTerms", value: form.paymentTerms ?? "", error: shown,
                             hint: "Empty: the customer's terms"),
                Layout.field("Reference", name: "reference", value: form.reference ?? "", error: shown,
                             hint: invoice ? "The customer's order or PO number" : "Contract or CRM reference"),
                Layout.field("Notes", name: "notes", value: form.notes ?? "", error: shown,
                             hint: invoice ? "Printed on the invoice" : nil),
                billing, linesField, confirm,
                Layout.submit(invoice ? "Save draft" : "Save order"))))
    }

    @Sendable static func createOrder(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(OrderForm.self)
        do {
            let order = try await request.sales.createOrder(form.input, by: principal)
            return request.redirect(to: "/sales/orders/\(order.number)", redirectType: .normal)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderOrderForm(request, form: form, error: error, status: .unprocessableEntity)
        }
    }

    @Sendable static func order(_ request: Request) async throws -> Response {
        try await renderOrder(request, notice: nil)
    }

    static func renderOrder(_ request: Request, notice: String?) async throws -> Response {
        let principal = try request.requirePrincipal()
        let sales = request.sales
        let order = try await sales.order(request.parameters.get("number") ?? "", by: principal)
        let invoices = try await sales.invoices(.init(order: order.id, limit: 500), by: principal).invoices
        let byPeriod = Dictionary(invoices.compactMap { invoice in invoice.period.map { ($0.number, invoice) } },
                                  uniquingKeysWith: { first, _ in first })
        let today = try await sales.day(nil)
        return Layout.page("Order \(order.number)", request, notice: notice,
            .section(.class("card"),
                .p(stateBadge(order.status.rawValue), .text(" "),
                   .a(.href("/sales/customers/\(order.customerCode)"), .text(order.customerName)),
                   .text(" · ordered \(order.orderDate) · \(order.paymentTerms)"),
                   .unwrap(order.reference) { .text(" · ref. \($0)") }),
                .p(.text("Billing: \(billingText(order.billing))"),
                   .unwrap(order.endsOn) { .text(" · no period from \($0) on") }),
                .if(canWrite(request) && order.status == .draft,
                    .form(.method(.post), .action("/sales/orders/\(order.number)/confirm"), .class("inline"),
                          Layout.csrfField(request), Layout.submit("Confirm order"))),
                .if(canWrite(request) && (order.status == .draft || order.status == .confirmed),
                    .form(.method(.post), .action("/sales/orders/\(order.number)/cancel"), .class("inline"),
                          Layout.csrfField(request), Layout.submit("Cancel order", style: "secondary")))),
            linesTable(order.lines, currency: order.currency, net: order.net, tax: order.tax, gross: order.gross),
            .section(.class("card"), .h2(.text("Billing schedule")),
                .div(.class("table-wrap"), .table(
                    .thead(.tr(.th("Period"), .th("Covers"), .th("Invoiced on"), .th("Invoice"), .th("State"))),
                    .tbody(.forEach(sales.schedule(of: order)) { period in
                        .tr(.td(.text(String(period.number))), .td(.text("\(period.start) – \(period.end)")),
                            .td(.text(period.issueDate.description)),
                            .td(.unwrap(byPeriod[period.number]) { invoice in
                                .a(.href("/sales/invoices/\(invoice.number ?? invoice.id)"), .text(invoice.number ?? "draft"))
                            }),
                            .td(.unwrap(byPeriod[period.number]) { stateBadge($0.state(today: today)) }))
                    })))))
    }

    static func linesTable(_ lines: [DocumentLine], currency: Currency, net: Int64, tax: Int64,
                           gross: Int64) -> Node<HTML.BodyContext> {
        .div(.class("table-wrap"), .table(
            .thead(.tr(.th("#"), .th("Description"), .th(.class("num"), .text("Quantity")),
                       .th(.class("num"), .text("Unit price")), .th("Tax"), .th(.class("num"), .text("Net")),
                       .th(.class("num"), .text("Tax")), .th(.class("num"), .text("Gross")))),
            .tbody(.forEach(lines) { line in
                .tr(.td(.text(String(line.lineNo))),
                    .td(.text(line.description), .unwrap(line.sku) { .span(.class("muted"), .text(" \($0)")) }),
                    .td(.class("num"), .text("\(line.quantity)")),
                    .td(.class("num"), .text(Product.priceText(line.unitPrice, currency: currency.code))),
                    .td(.text(line.taxCode)),
                    .td(.class("num"), .text(ReportPages.money(line.net, currency))), .td(.class("num"), .text(ReportPages.money(line.tax, currency))),
                    .td(.class("num"), .text(ReportPages.money(line.gross, currency))))
            }),
            .tfoot(.tr(.th(.attribute(named: "colspan", value: "5"), .text("Total \(currency.code)")),
                       .th(.class("num"), .text(ReportPages.money(net, currency))), .th(.class("num"), .text(ReportPages.money(tax, currency))),
                       .th(.class("num"), .text(ReportPages.money(gross, currency)))))))
    }

    @Sendable static func confirmOrder(_ request: Request) async throws -> Response {
        let order = try await request.sales.confirmOrder(request.parameters.get("number") ?? "", by: try request.requirePrincipal())
        return try await renderOrder(request, notice: "Order \(order.number) confirmed.")
    }

    @Sendable static func cancelOrder(_ request: Request) async throws -> Response {
        let order = try await request.sales.cancelOrder(request.parameters.get("number") ?? "", by: try request.requirePrincipal())
        return try await renderOrder(request, notice: "Order \(order.number) cancelled.")
    }

    // MARK: Invoices

    struct InvoiceQuery: Content {
        var state: String?
        var kind: String?
        var customer: String?
        var sort: String?
        var page: Int?

        func filter(limit: Int) -> SalesService.InvoiceFilter {
            .init(customer: customer, kind: kind.flatMap(Invoice.Kind.init(rawValue:)),
                  state: state.flatMap(SalesService.InvoiceFilter.State.init(rawValue:)),
                  sort: sort.flatMap(SalesService.InvoiceFilter.Sort.init(rawValue:)) ?? .newest, limit: limit,
                  offset: max(page ?? 0, 0) * limit)
        }

        var parameters: [(String, String?)] { [("state", state), ("kind", kind), ("customer", customer), ("sort", sort)] }
    }

    @Sendable static func invoices(_ request: Request) async throws -> Response {
        let query = try request.query.decode(InvoiceQuery.self)
        let sales = request.sales
        let (invoices, total) = try await sales.invoices(query.filter(limit: pageSize), by: try request.requirePrincipal())
        let today = try await sales.day(nil)
        let state = query.state ?? "", kind = query.kind ?? ""
        return Layout.page("Invoices", request,
            .if(canWrite(request), .p(.class("actions"), .a(.class("button primary"), .href("/sales/invoices/new"),
                                                              .text("New invoice")))),
            .form(.method(.get), .action("/sales/invoices"), .class("filters"),
                .div(.class("field"), .label(.for("state"), .text("State")),
                     .select(.id("state"), .attribute(named: "name", value: "state"),
                        Layout.option("", "All", selected: state.isEmpty),
                        .group(SalesService.InvoiceFilter.State.allCases.map {
                            Layout.option($0.rawValue, $0.rawValue, selected: state == $0.rawValue)
                        }))),
                .div(.class("field"), .label(.for("kind"), .text("Kind")),
                     .select(.id("kind"), .attribute(named: "name", value: "kind"),
                        Layout.option("", "Invoices and credit notes", selected: kind.isEmpty),
                        Layout.option("invoice", "Invoices", selected: kind == "invoice"),
                        Layout.option("credit_note", "Credit notes", selected: kind == "credit_note"))),
                .div(.class("field"), .label(.for("customer"), .text("Customer code")),
                     .input(.id("customer"), .name("customer"), .value(query.customer ?? ""))),
                sortField(SalesService.InvoiceFilter.Sort.self, query.sort),
                .button(.type(.submit), .text("Show")),
                .a(.class("button"), .href("/sales/invoices.csv?\(Layout.queryString(query.parameters))"), .text("Download CSV"))),
            .p(.class("muted"), .text(total == 1 ? "1 document" : "\(total) documents")),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Number"), .th("Issued"), .th("Due"), .th("Customer"), .th("State"),
                           .th(.class("num"), .text("Total")), .th(.class("num"), .text("Open")))),
                .tbody(
                    .forEach(invoices) { invoice in
                        .tr(.td(.a(.href("/sales/invoices/\(invoice.number ?? invoice.id)"),
                                   .text(invoice.number ?? "draft"))),
                            .td(.text(invoice.issueDate.description)), .td(.text(invoice.dueDate.description)),
                            .td(.a(.href("/sales/customers/\(invoice.customerCode)"), .text(invoice.customerName))),
                            .td(stateBadge(invoice.state(today: today))),
                            .td(.class("num"), .text("\(ReportPages.money(invoice.kind == .invoice ? invoice.gross : -invoice.gross, invoice.currency)) \(invoice.currency.code)")),
                            .td(.class("num"), .text(ReportPages.money(invoice.open, invoice.currency))))
                    },
                    .if(invoices.isEmpty, .tr(.td(.attribute(named: "colspan", value: "7"), .class("muted"),
                                                  .text("No invoices match."))))))),
            Layout.pager("/sales/invoices", page: max(query.page ?? 0, 0), pageSize: pageSize, total: total,
                         query: query.parameters))
    }

    /// Every row a list's filter matches, read a page at a time, as CSV.
    static func pagedCSV<Item>(_ header: [String], filename: String,
                               page: (_ offset: Int) async throws -> (items: [Item], total: Int),
                               row: (Item) -> [String]) async throws -> Response {
        var rows = [header]
        var offset = 0
        while true {
            let (items, total) = try await page(offset)
            rows += items.map(row)
            offset += items.count
            if items.isEmpty || offset >= total { break }
        }
        return ReportPages.csv(rows: rows, filename: filename)
    }

    @Sendable static func invoicesCSV(_ request: Request) async throws -> Response {
        let query = try request.query.decode(InvoiceQuery.self)
        let principal = try request.requirePrincipal()
        let sales = request.sales
        let today = try await sales.day(nil)
        return try await pagedCSV(
            ["number", "kind", "state", "issue_date", "due_date", "customer", "customer_name", "currency", "net", "tax",
             "gross", "open", "order", "reference"], filename: "invoices.csv",
            page: { offset in
                var filter = query.filter(limit: SalesService.pageLimitMax)
                filter.offset = offset
                let page = try await sales.invoices(filter, by: principal)
                return (page.invoices, page.total)
            },
            row: { (invoice: Invoice) in
                func text(_ value: Int64) -> String { Money(minorUnits: value, currency: invoice.currency).decimalString }
                return [invoice.number ?? "", invoice.kind.rawValue, invoice.state(today: today),
                        invoice.issueDate.description, invoice.dueDate.description, invoice.customerCode,
                        invoice.customerName, invoice.currency.code, text(invoice.net), text(invoice.tax),
                        text(invoice.gross), text(invoice.open), invoice.orderNumber ?? "", invoice.reference ?? ""]
            })
    }

    @Sendable static func ordersCSV(_ request: Request) async throws -> Response {
        let query = try request.query.decode(OrderQuery.self)
        let principal = try request.requirePrincipal()
        let sales = request.sales
        return try await pagedCSV(
            ["number", "status", "order_date", "customer", "customer_name", "currency", "billing", "billed_periods",
             "net", "tax", "gross", "reference"], filename: "orders.csv",
            page: { offset in
                let page = try await sales.orders(query.filter(limit: SalesService.pageLimitMax, offset: offset), by: principal)
                return (page.orders, page.total)
            },
            row: { (order: Order) in
                func text(_ value: Int64) -> String { Money(minorUnits: value, currency: order.currency).decimalString }
                return [order.number, order.status.rawValue, order.orderDate.description, order.customerCode,
                        order.customerName, order.currency.code, billingText(order.billing), String(order.billedPeriods),
                        text(order.net), text(order.tax), text(order.gross), order.reference ?? ""]
            })
    }

    struct ReceiptQuery: Content {
        var customer: String?
        var sort: String?
        var page: Int?

        var order: SalesService.ReceiptSort { sort.flatMap(SalesService.ReceiptSort.init(rawValue:)) ?? .newest }
        var parameters: [(String, String?)] { [("customer", customer), ("sort", sort)] }
    }

    @Sendable static func receiptsCSV(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let query = try request.query.decode(ReceiptQuery.self)
        let sales = request.sales
        return try await pagedCSV(
            ["number", "kind", "date", "customer", "customer_name", "currency", "amount", "allocated", "unallocated",
             "method", "account", "reference", "entry"], filename: "receipts.csv",
            page: { offset in
                let page = try await sales.receipts(customer: query.customer, sort: query.order,
                                                    limit: SalesService.pageLimitMax, offset: offset, by: principal)
                return (page.receipts, page.total)
            },
            row: { (receipt: Receipt) in
                func text(_ value: Int64) -> String { Money(minorUnits: value, currency: receipt.currency).decimalString }
                return [receipt.number, receipt.kind.rawValue, receipt.date.description, receipt.customerCode,
                        receipt.customerName, receipt.currency.code, text(receipt.amount), text(receipt.allocated),
                        text(receipt.unallocated), receipt.method.rawValue, receipt.account, receipt.reference ?? "",
                        receipt.entryNumber]
            })
    }

    @Sendable static func invoice(_ request: Request) async throws -> Response {
        try await renderInvoice(request, notice: nil, error: nil)
    }

    static func renderInvoice(_ request: Request, notice: String?, error: DomainError?,
                              status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let sales = request.sales
        let input = try await sales.eInvoiceInput(request.parameters.get("number") ?? "", by: principal)
        let invoice = input.invoice
        let allocations = try await sales.allocations(of: invoice.id, by: principal)
        let today = try await sales.day(nil)
        let title = invoice.kind == .invoice ? "Invoice" : "Credit note"
        let currency = invoice.currency
        let actions: Node<HTML.BodyContext> = .p(.class("actions"), stateBadge(invoice.state(today: today)),
            .unwrap(invoice.entryNumber) { .span(.class("muted"), .text(" posted as \($0)")) },
            .if(canWrite(request) && invoice.status == .draft,
                .form(.method(.post), .action("/sales/invoices/\(invoice.id)/issue"), .class("inline"),
                      Layout.csrfField(request), Layout.submit("Issue and post"))))
        let document = invoiceDocument(input, title: title)
        let paid = allocationsSection(allocations, currency: currency)
        let credit: Node<HTML.BodyContext> = canWrite(request) && invoice.kind == .invoice && invoice.status == .issued
            ? creditSection(request, invoice: invoice, error: error) : .empty
        return Layout.page("\(title) \(invoice.number ?? "(draft)")", request, status: status, notice: notice,
                           actions, document, eInvoiceSection(input, principal: principal), paid, credit)
    }

    /// Download links for the EN 16931 files, or what is missing before they can be written.
    static func eInvoiceSection(_ input: EInvoice.Input, principal: Principal) -> Node<HTML.BodyContext> {
        guard input.invoice.status == .issued else { return .empty }
        let problems = EInvoice.problems(input)
        let path = "/sales/invoices/\(input.invoice.number ?? input.invoice.id)"
        guard problems.isEmpty else {
            let fixes: Node<HTML.BodyContext> = .p(.text("Fix them on "),
                .if(principal.can(Permission("settings", .admin)), .a(.href("/admin/company"), .text("the company page"))),
                .if(principal.can(Permission("settings", .admin)), .text(" or ")),
                .a(.href("/partners/\(input.invoice.customerCode)"), .text("the customer's record")), .text("."))
            return .section(.class("card no-print"), .h2(.text("E-invoice")),
                .p(.text("An EN 16931 e-invoice cannot be written yet:")),
                .ul(.forEach(problems) { .li(.text($0.message)) }), fixes)
        }
        return .section(.class("card no-print"), .h2(.text("E-invoice")),
            .p(.text("EN 16931 XML: "),
               .a(.href("\(path)/e-invoice?syntax=cii"), .text("CII (Factur-X / ZUGFeRD EN 16931)")), .text(" · "),
               .a(.href("\(path)/e-invoice?syntax=ubl"), .text("UBL 2.1 (Peppol BIS Billing 3.0)"))))
    }

    @Sendable static func eInvoice(_ request: Request) async throws -> Response {
        let text = (try? request.query.get(String.self, at: "syntax")) ?? "cii"
        guard let syntax = EInvoice.Syntax(rawValue: text) else {
            throw DomainError.invalid("sales.einvoice.syntax_unknown", "'\(text)' is not an e-invoice syntax: cii or ubl",
                                      field: "syntax")
        }
        let (filename, xml) = try await request.sales.eInvoice(request.parameters.get("number") ?? "", syntax: syntax,
                                                               by: try request.requirePrincipal())
        let response = Response(status: .ok, body: .init(string: xml))
        response.headers.contentType = .xml
        response.headers.contentDisposition = .init(.attachment, filename: filename)
        return response
    }

    static func invoiceDocument(_ input: EInvoice.Input, title: String) -> Node<HTML.BodyContext> {
        let invoice = input.invoice
        let currency = invoice.currency
        let seller = input.seller
        let head: Node<HTML.BodyContext> = .div(.class("invoice-head"),
            .div(.class("invoice-seller"), .strong(.text(seller.name)),
                 .forEach(seller.address.lines) { .p(.text($0)) },
                 .unwrap(seller.taxID) { .p(.text("VAT id \($0)")) },
                 .unwrap(seller.registrationID) { .p(.text($0)) },
                 .unwrap(seller.email) { .p(.text($0)) }),
            .div(.class("invoice-meta"),
                .h2(.text("\(title) \(invoice.number ?? "draft")")),
                .p(.text("Date \(invoice.issueDate)")),
                .if(invoice.kind == .invoice, .p(.text("Due \(invoice.dueDate) (\(invoice.paymentTerms))"))),
                .unwrap(invoice.creditedInvoiceNumber) { .p(.text("Corrects invoice \($0)")) },
                .unwrap(invoice.period.flatMap { $0.start == $0.end ? nil : $0 }) { .p(.text("Period \($0.start) – \($0.end)")) },
                .unwrap(invoice.orderNumber) { .p(.text("Order \($0)")) },
                .unwrap(invoice.reference) { .p(.text("Your reference \($0)")) }))
        let to: Node<HTML.BodyContext> = .div(.class("invoice-to"),
            .p(.strong(.text(invoice.customerName)), .text(" (\(invoice.customerCode))")),
            .forEach(input.buyer.address.lines) { .p(.text($0)) },
            .unwrap(input.buyer.taxID) { .p(.text("VAT id \($0)")) })
        let summaryRows: [Node<HTML.TableContext>] = invoice.taxSummary.map { line in
            .tr(.td(.text(line.taxCode)), .td(.class("num"), .text("\(line.rate) %")),
                .td(.class("num"), .text(ReportPages.money(line.base, currency))), .td(.class("num"), .text(ReportPages.money(line.tax, currency))))
        }
        let summary: Node<HTML.BodyContext> = invoice.taxSummary.isEmpty ? .empty : .div(.class("table-wrap"), .table(
            .thead(.tr(.th("Tax"), .th(.class("num"), .text("Rate")), .th(.class("num"), .text("Base")),
                       .th(.class("num"), .text("Tax")))),
            .tbody(.group(summaryRows))))
        let notes: Node<HTML.BodyContext> = .group(invoice.taxSummary.compactMap(\.note).map { .p(.class("legal-note"), .text($0)) })
        let bank = input.iban.map { " to IBAN \(IBAN.printed($0))" + (input.bic.map { " (BIC \($0))" } ?? "") } ?? ""
        let instructions: Node<HTML.BodyContext> = invoice.kind == .invoice ? .p(.class("payment-instructions"),
            .text("Please pay \(ReportPages.money(invoice.open, currency)) \(currency.code)\(bank) by \(invoice.dueDate), "
                  + "quoting \(invoice.number ?? "the invoice number").")) : .empty
        return .article(.class("card invoice-doc"), head, to,
                        linesTable(invoice.lines, currency: currency, net: invoice.net, tax: invoice.tax, gross: invoice.gross),
                        summary, notes, instructions)
    }

    static func allocationsSection(_ allocations: [Allocation], currency: Currency) -> Node<HTML.BodyContext> {
        guard !allocations.isEmpty else { return .empty }
        let rows: [Node<HTML.TableContext>] = allocations.map { allocation in
            .tr(.td(.text(allocation.date.description)), .td(.text(allocation.sourceNumber)),
                .td(.text(allocation.targetNumber)), .td(.class("num"), .text(ReportPages.money(allocation.amount, currency))))
        }
        return .section(.class("card"), .h2(.text("Payments and credits")),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Date"), .th("From"), .th("To"), .th(.class("num"), .text("Amount")))),
                .tbody(.group(rows)))))
    }

    static func creditSection(_ request: Request, invoice: Invoice, error: DomainError?) -> Node<HTML.BodyContext> {
        let shown = error.map { FormError($0) }
        return .section(.class("card"), .h2(.text("Credit note")),
            .form(.method(.post), .action("/sales/invoices/\(invoice.id)/credit-note"),
                Layout.csrfField(request),
                Layout.formError(shown, fields: ["date", "amount", "reason"]),
                Layout.field("Date", name: "date", type: .date, value: "", error: shown, hint: "Empty: today"),
                Layout.field("Amount including tax", name: "amount", value: "", error: shown,
                             hint: "Empty: the whole invoice; an amount is taken from line 1"),
                Layout.field("Reason", name: "reason", value: "", error: shown),
                Layout.submit("Issue credit note", style: "secondary")))
    }

    @Sendable static func issueInvoice(_ request: Request) async throws -> Response {
        let invoice = try await request.sales.issueInvoice(request.parameters.get("number") ?? "", by: try request.requirePrincipal())
        return request.redirect(to: "/sales/invoices/\(invoice.number ?? invoice.id)", redirectType: .normal)
    }

    struct CreditForm: Content {
        var date: String?
        var amount: String?
        var reason: String?
    }

    @Sendable static func creditNote(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(CreditForm.self)
        let amount = form.amount.nonBlank
        let input = CreditNoteInput(date: form.date.flatMap { $0.isEmpty ? nil : $0 }, reason: form.reason,
                                    lines: amount.map { [.init(line: 1, amount: $0)] })
        do {
            let note = try await request.sales.creditNote(for: request.parameters.get("number") ?? "", input, by: principal)
            return request.redirect(to: "/sales/invoices/\(note.number ?? note.id)", redirectType: .normal)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            let shown = DomainError(error.kind, error.code, error.message,
                                    field: (error.field ?? "").hasPrefix("lines") ? "amount" : error.field)
            return try await renderInvoice(request, notice: nil, error: shown, status: .unprocessableEntity)
        }
    }

    // MARK: Receipts

    struct ReceiptForm: Content {
        var customer: String?
        var date: String?
        var amount: String?
        var method: String?
        var reference: String?
    }

    @Sendable static func receipts(_ request: Request) async throws -> Response {
        try await renderReceipts(request, form: ReceiptForm(method: "bank"), error: nil, notice: nil)
    }

    static func renderReceipts(_ request: Request, form: ReceiptForm, error: DomainError?, notice: String?,
                               status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let query = try request.query.decode(ReceiptQuery.self)
        let page = max(query.page ?? 0, 0)
        let (receipts, total) = try await request.sales.receipts(customer: query.customer, sort: query.order, limit: pageSize,
                                                                 offset: page * pageSize, by: principal)
        let customers = canWrite(request)
            ? try await request.parties.partners(.init(role: .customer, limit: 500), by: principal).partners : []
        let shown = error.map { FormError($0) }
        return Layout.page("Receipts", request, status: status, notice: notice,
            .if(canWrite(request), .section(.class("card"), .h2(.text("Record a payment")),
                .form(.method(.post), .action("/sales/receipts"),
                    Layout.csrfField(request),
                    Layout.formError(shown, fields: ["customer", "date", "amount", "method", "reference"]),
                    Layout.select("Customer", name: "customer",
                                  options: [("", "Choose…")] + customers.map { ($0.code, "\($0.name) (\($0.code))") },
                                  value: form.customer, error: shown),
                    Layout.field("Date", name: "date", type: .date, value: form.date ?? "", error: shown, hint: "Empty: today"),
                    Layout.field("Amount", name: "amount", value: form.amount ?? "", error: shown, required: true,
                                 hint: "In the customer's currency; it goes to the oldest open invoices first"),
                    .div(.class("field"), .label(.for("method"), .text("Method")),
                         .select(.id("method"), .attribute(named: "name", value: "method"),
                            .group(Receipt.Method.allCases.map { Layout.option($0.rawValue, $0.rawValue, selected: form.method == $0.rawValue) }))),
                    Layout.field("Reference", name: "reference", value: form.reference ?? "", error: shown),
                    Layout.submit("Record payment")))),
            .form(.method(.get), .action("/sales/receipts"), .class("filters"),
                .div(.class("field"), .label(.for("filter-customer"), .text("Customer code")),
                     .input(.id("filter-customer"), .name("customer"), .value(query.customer ?? ""))),
                sortField(SalesService.ReceiptSort.self, query.sort),
                .button(.type(.submit), .text("Show")),
                .a(.class("button"), .href("/sales/receipts.csv?\(Layout.queryString(query.parameters))"), .text("Download CSV"))),
            .p(.class("muted"), .text(total == 1 ? "1 payment" : "\(total) payments")),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Number"), .th("Date"), .th("Customer"), .th("Method"), .th("Reference"),
                           .th(.class("num"), .text("Amount")), .th(.class("num"), .text("Unallocated")))),
                .tbody(
                    .forEach(receipts) { receipt in
                        .tr(.td(.text(receipt.number), .if(receipt.kind == .refund, .span(.class("badge"), .text("refund")))),
                            .td(.text(receipt.date.description)),
                            .td(.a(.href("/sales/customers/\(receipt.customerCode)"), .text(receipt.customerName))),
                            .td(.text(receipt.method.rawValue)), .td(.text(receipt.reference ?? "")),
                            .td(.class("num"), .text("\(ReportPages.money(receipt.amount, receipt.currency)) \(receipt.currency.code)")),
                            .td(.class("num"), .text(ReportPages.money(receipt.unallocated, receipt.currency))))
                    },
                    .if(receipts.isEmpty, .tr(.td(.attribute(named: "colspan", value: "7"), .class("muted"),
                                                  .text("No payments yet."))))))),
            Layout.pager("/sales/receipts", page: page, pageSize: pageSize, total: total, query: query.parameters))
    }

    @Sendable static func recordReceipt(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(ReceiptForm.self)
        do {
            let receipt = try await request.sales.recordReceipt(ReceiptInput(
                customer: form.customer ?? "", date: form.date.flatMap { $0.isEmpty ? nil : $0 }, amount: form.amount ?? "",
                method: form.method, reference: form.reference), by: principal)
            let left = receipt.unallocated == 0 ? "" : "; \(ReportPages.money(receipt.unallocated, receipt.currency)) kept as credit"
            return try await renderReceipts(request, form: ReceiptForm(method: "bank"), error: nil,
                                            notice: "Receipt \(receipt.number) recorded, \(ReportPages.money(receipt.allocated, receipt.currency)) allocated\(left).")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderReceipts(request, form: form, error: error, notice: nil, status: .unprocessableEntity)
        }
    }

    // MARK: Receivables

    /// The `asOf` of a report's query, if given.
    static func asOfQuery(_ request: Request) throws -> CivilDate? {
        guard let text = try? request.query.get(String.self, at: "asOf"), !text.isEmpty else { return nil }
        return try CivilDate.parse(text, field: "asOf")
    }

    @Sendable static func aging(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let sales = request.sales
        let asOf = try await sales.day(try asOfQuery(request))
        let report = try await sales.aging(asOf: asOf, by: principal)
        let labels = ReceivableRules.Bucket.allCases.map(\.label)
        return Layout.page("Receivables aging", request,
            .form(.method(.get), .action("/sales/aging"), .class("filters"),
                .div(.class("field"), .label(.for("asOf"), .text("As of")),
                     .input(.id("asOf"), .name("asOf"), .type(.date), .value(asOf.description))),
                .button(.type(.submit), .text("Show")),
                .a(.class("button"), .href("/sales/aging.csv?asOf=\(asOf)"), .text("Download CSV"))),
            .forEach(report.totals) { total in
                .section(.class("card"), .h2(.text("Open by days past due (\(total.currency.code))")),
                    .raw(Charts.bars(title: "Receivables by age", labels: labels,
                                     series: [.init(name: "Open", style: "chart-a", values: total.buckets)],
                                     currency: total.currency)))
            },
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Customer"), .th("Currency"), .group(labels.map { .th(.class("num"), .text($0)) }),
                           .th(.class("num"), .text("Credit")), .th(.class("num"), .text("Total")))),
                .tbody(
                    .forEach(report.rows) { row in
                        .tr(.td(.a(.href("/sales/customers/\(row.customerCode)"), .text(row.customerName))),
                            .td(.text(row.currency.code)),
                            .group(row.buckets.map { .td(.class("num"), .text(ReportPages.money($0, row.currency))) }),
                            .td(.class("num"), .text(ReportPages.money(row.credit, row.currency))),
                            .td(.class("num"), .strong(.text(ReportPages.money(row.total, row.currency)))))
                    },
                    .if(report.rows.isEmpty, .tr(.td(.attribute(named: "colspan", value: "9"), .class("muted"),
                                                     .text("Nothing is owed on \(asOf).")))),
                    .forEach(report.totals) { row in
                        .tr(.class("total"), .th(.text("Total")), .td(.text(row.currency.code)),
                            .group(row.buckets.map { .td(.class("num"), .strong(.text(ReportPages.money($0, row.currency)))) }),
                            .td(.class("num"), .strong(.text(ReportPages.money(row.credit, row.currency)))),
                            .td(.class("num"), .strong(.text(ReportPages.money(row.total, row.currency)))))
                    }))),
            .p(.class("muted"), .text("The total equals the receivable accounts' balance in the trial balance on the same day.")))
    }

    @Sendable static func agingCSV(_ request: Request) async throws -> Response {
        let sales = request.sales
        let asOf = try await sales.day(try asOfQuery(request))
        let report = try await sales.aging(asOf: asOf, by: try request.requirePrincipal())
        func text(_ value: Int64, _ currency: Currency) -> String { Money(minorUnits: value, currency: currency).decimalString }
        let header = ["customer", "customer_name", "currency", "current", "days_1_30", "days_31_60", "days_61_90", "over_90",
                      "credit", "total"]
        let rows = [header] + (report.rows + report.totals).map { row in
            [row.customerCode, row.customerName, row.currency.code] + row.buckets.map { text($0, row.currency) }
                + [text(row.credit, row.currency), text(row.total, row.currency)]
        }
        return ReportPages.csv(rows: rows, filename: "aging-\(asOf).csv")
    }

    /// The statement period of a request: `to` (default today) and `from` (default three months before).
    static func statementPeriod(_ request: Request, today: CivilDate) throws -> (CivilDate, CivilDate) {
        func date(_ name: String) throws -> CivilDate? {
            guard let text = (try? request.query.get(String.self, at: name)), !text.isEmpty else { return nil }
            return try CivilDate.parse(text, field: name)
        }
        let to = try date("to") ?? today
        return (try date("from") ?? to.addingMonths(-3).addingDays(1), to)
    }

    @Sendable static func statementCSV(_ request: Request) async throws -> Response {
        let sales = request.sales
        let (from, to) = try statementPeriod(request, today: try await sales.day(nil))
        let statement = try await sales.statement(customer: request.parameters.get("code") ?? "", from: from, to: to,
                                                  by: try request.requirePrincipal())
        func text(_ value: Int64) -> String { Money(minorUnits: value, currency: statement.currency).decimalString }
        let rows = [["date", "kind", "number", "due_date", "debit", "credit", "balance"],
                    [from.description, "opening", "", "", "", "", text(statement.opening)]]
            + statement.lines.map { [$0.date.description, $0.kind, $0.number, $0.dueDate?.description ?? "", text($0.debit),
                                     text($0.credit), text($0.balance)] }
            + [[to.description, "closing", "", "", "", "", text(statement.closing)]]
        return ReportPages.csv(rows: rows, filename: "statement-\(statement.customerCode)-\(to).csv")
    }

    @Sendable static func customer(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let sales = request.sales
        let code = request.parameters.get("code") ?? ""
        let today = try await sales.day(nil)
        let (from, to) = try statementPeriod(request, today: today)
        let statement = try await sales.statement(customer: code, from: from, to: to, by: principal)
        let open = try await sales.invoices(.init(customer: statement.customerCode, state: .open, limit: 500), by: principal).invoices
        let currency = statement.currency
        return Layout.page(statement.customerName, request,
            .section(.class("card"),
                .p(.text("Customer \(statement.customerCode) · "), .a(.href("/partners/\(statement.customerCode)"), .text("record")),
                   .text(" · "), .a(.href("/sales/invoices?customer=\(statement.customerCode)"), .text("all documents"))),
                .h2(.text("Balance \(ReportPages.money(statement.closing, currency)) \(currency.code) on \(to)"))),
            .section(.class("card"), .h2(.text("Open items")),
                .div(.class("table-wrap"), .table(
                    .thead(.tr(.th("Number"), .th("Issued"), .th("Due"), .th("State"), .th(.class("num"), .text("Open")))),
                    .tbody(.forEach(open) { item in
                        .tr(.td(.a(.href("/sales/invoices/\(item.number ?? item.id)"), .text(item.number ?? "draft"))),
                            .td(.text(item.issueDate.description)), .td(.text(item.dueDate.description)),
                            .td(stateBadge(item.state(today: today))),
                            .td(.class("num"), .text(ReportPages.money(item.kind == .invoice ? item.open : -item.open, item.currency))))
                    }, .if(open.isEmpty, .tr(.td(.attribute(named: "colspan", value: "5"), .class("muted"),
                                                 .text("Nothing open")))))))),
            .section(.class("card statement"), .h2(.text("Statement \(from) – \(to)")),
                .p(.a(.href("/sales/customers/\(statement.customerCode)/statement.csv?\(Layout.queryString([("from", from.description), ("to", to.description)]))"),
                      .text("Download CSV"))),
                .form(.method(.get), .action("/sales/customers/\(statement.customerCode)"), .class("filters"),
                    .div(.class("field"), .label(.for("from"), .text("From")),
                         .input(.id("from"), .name("from"), .type(.date), .value(from.description))),
                    .div(.class("field"), .label(.for("to"), .text("To")),
                         .input(.id("to"), .name("to"), .type(.date), .value(to.description))),
                    .button(.type(.submit), .text("Show"))),
                .div(.class("table-wrap"), .table(
                    .thead(.tr(.th("Date"), .th("Document"), .th("Due"), .th(.class("num"), .text("Debit")),
                               .th(.class("num"), .text("Credit")), .th(.class("num"), .text("Balance")))),
                    .tbody(
                        .tr(.td(.text(from.description)), .td(.text("Opening balance")), .td(), .td(), .td(),
                            .td(.class("num"), .text(ReportPages.money(statement.opening, currency)))),
                        .forEach(statement.lines) { line in
                            .tr(.td(.text(line.date.description)),
                                .td(.text("\(line.kind.replacing("_", with: " ")) \(line.number)")),
                                .td(.text(line.dueDate?.description ?? "")),
                                .td(.class("num"), .text(line.debit == 0 ? "" : ReportPages.money(line.debit, currency))),
                                .td(.class("num"), .text(line.credit == 0 ? "" : ReportPages.money(line.credit, currency))),
                                .td(.class("num"), .text(ReportPages.money(line.balance, currency))))
                        },
                        .tr(.class("total"), .th(.text(to.description)), .th(.text("Closing balance")), .td(), .td(), .td(),
                            .th(.class("num"), .text(ReportPages.money(statement.closing, currency))))))),
                .p(.class("muted"), .text("Closing balance by age: "
                    + zip(ReceivableRules.Bucket.allCases.map(\.label) + ["credit"], statement.aging)
                        .map { "\($0.0) \(ReportPages.money($0.1, currency))" }.joined(separator: " · ")))))
    }

    // MARK: Dunning

    @Sendable static func dunning(_ request: Request) async throws -> Response {
        try await renderDunning(request, notice: nil)
    }

    static func renderDunning(_ request: Request, notice: String?) async throws -> Response {
        let principal = try request.requirePrincipal()
        let sales = request.sales
        let asOf = try await sales.day(try asOfQuery(request))
        let items = try await sales.dunningProposal(asOf: asOf, by: principal)
        let history = try await sales.dunningHistory(limit: 50, by: principal)
        let itemRows: [Node<HTML.TableContext>] = items.map { item in
            .tr(.td(.a(.href("/sales/customers/\(item.customerCode)"), .text(item.customerName))),
                .td(.a(.href("/sales/invoices/\(item.invoiceNumber)"), .text(item.invoiceNumber))),
                .td(.text(item.dueDate.description)), .td(.class("num"), .text(String(item.daysOverdue))),
                .td(.class("num"), .text("\(ReportPages.money(item.open, item.currency)) \(item.currency.code)")),
                .td(.text("\(item.level.level): \(item.level.title)")),
                .td(.text(item.previousLevel == 0 ? "none" : String(item.previousLevel))))
        }
        let historyRows: [Node<HTML.TableContext>] = history.map { record in
            .tr(.td(.text(record.date.description)), .td(.text(record.invoiceNumber)), .td(.text(record.customerCode)),
                .td(.text(String(record.level))), .td(.class("num"), .text(ReportPages.money(record.open, record.currency))),
                .td(.text(record.createdBy)))
        }
        let levels = DunningRules.standardLevels.map { "\($0.level) \($0.title) from \($0.daysOverdue) days" }
            .joined(separator: " · ")
        return Layout.page("Dunning", request, notice: notice,
            .form(.method(.get), .action("/sales/dunning"), .class("filters"),
                .div(.class("field"), .label(.for("asOf"), .text("As of")),
                     .input(.id("asOf"), .name("asOf"), .type(.date), .value(asOf.description))),
                .button(.type(.submit), .text("Show"))),
            .p(.class("muted"), .text("Levels: \(levels). An invoice is listed when its lateness reached a level above the "
                                      + "last reminder recorded for it.")),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Customer"), .th("Invoice"), .th("Due"), .th(.class("num"), .text("Days late")),
                           .th(.class("num"), .text("Open")), .th("Reminder due"), .th("Last sent"))),
                .tbody(.group(itemRows),
                       .if(items.isEmpty, .tr(.td(.attribute(named: "colspan", value: "7"), .class("muted"),
                                                  .text("No reminder is due on \(asOf)."))))))),
            .if(canWrite(request) && !items.isEmpty,
                .form(.method(.post), .action("/sales/dunning?asOf=\(asOf)"), Layout.csrfField(request),
                      Layout.submit("Record these \(items.count) reminders"))),
            .h2(.text("Reminders recorded")),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Date"), .th("Invoice"), .th("Customer"), .th("Level"), .th(.class("num"), .text("Open then")),
                           .th("By"))),
                .tbody(.group(historyRows),
                       .if(history.isEmpty, .tr(.td(.attribute(named: "colspan", value: "6"), .class("muted"),
                                                    .text("None yet."))))))))
    }

    @Sendable static func recordDunning(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let sales = request.sales
        let asOf = try await sales.day(try asOfQuery(request))
        let items = try await sales.runDunning(asOf: asOf, by: principal)
        return try await renderDunning(request, notice: "\(items.count) reminders recorded for \(asOf).")
    }
}
