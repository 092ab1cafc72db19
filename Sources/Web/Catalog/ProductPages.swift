import Catalog
import Foundation
import Kernel
import Platform
import Plot
import Vapor

/// Products and services: the list (search, kind, sort, pages, CSV export and import), the form and the detail.
enum ProductPages {
    static let pageSize = 50

    static func register(_ routes: any RoutesBuilder) {
        let catalog = routes.grouped("catalog")
        catalog.get("products", use: list)
        catalog.get("products.csv", use: exportCSV)
        catalog.post("products", "import", use: importCSV)
        catalog.get("products", "new", use: newForm)
        catalog.post("products", use: create)
        catalog.get("products", ":sku", use: detail)
        catalog.post("products", ":sku", use: update)
        catalog.post("products", ":sku", ":action", use: archive)
    }

    struct ListQuery: Content {
        var q: String?
        var kind: String?
        var archived: String?
        var sort: String?
        var page: Int?

        func filter(limit: Int) -> CatalogService.Filter {
            CatalogService.Filter(search: q, kind: kind.flatMap(Product.Kind.init(rawValue:)), includeArchived: archived == "on",
                                  sort: sort.flatMap(CatalogService.Filter.Sort.init(rawValue:)) ?? .name,
                                  limit: limit, offset: max(page ?? 0, 0) * limit)
        }
    }

    struct ProductForm: Content {
        var sku: String?
        var name: String?
        var kind: String?
        var unit: String?
        /// One price per line: "EUR 12.50".
        var prices: String?
        var incomeAccount: String?
        var taxCode: String?
        var description: String?

        init() {}

        init(_ product: Product) {
            sku = product.sku
            name = product.name
            kind = product.kind.rawValue
            unit = product.unit
            prices = product.priceTexts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "\n")
            incomeAccount = product.incomeAccount
            taxCode = product.taxCode
            description = product.description
        }

        /// The input, or a problem with the prices box (each line a currency and an amount).
        func input() throws(DomainError) -> ProductInput {
            var parsed: [String: String] = [:]
            for (index, line) in (prices ?? "").split(whereSeparator: \.isNewline).enumerated() where !line.trimmed.isEmpty {
                let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard parts.count == 2 else {
                    throw .invalid("catalog.product.prices_form", "Price line \(index + 1): write a currency and an amount, "
                                   + "like EUR 12.50", field: "prices")
                }
                parsed[String(parts[0]).uppercased()] = String(parts[1])
            }
            return ProductInput(sku: sku ?? "", name: name ?? "", kind: kind, unit: unit, prices: parsed,
                                incomeAccount: incomeAccount, taxCode: taxCode, description: description)
        }
    }

    static func canWrite(_ principal: Principal?) -> Bool {
        guard let principal else { return false }
        return ["sales", "purchasing", "inventory"].contains { principal.can(Permission($0, .write)) }
    }

    // MARK: List

    @Sendable static func list(_ request: Request) async throws -> Response {
        try await renderList(request, importError: nil, notice: nil)
    }

    static func renderList(_ request: Request, importError: FormError?, notice: String?, csv: String? = nil,
                           status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let query = try request.query.decode(ListQuery.self)
        let page = max(query.page ?? 0, 0)
        let (products, total) = try await request.catalog.products(query.filter(limit: pageSize), by: principal)
        let filter = [("q", query.q), ("kind", query.kind), ("archived", query.archived), ("sort", query.sort)]
        let countText = total == 1 ? "1 product" : "\(total) products"
        return Layout.page("Products and services", request, status: status, notice: notice,
            .if(canWrite(principal), .p(.class("actions"),
                .a(.class("button primary"), .href("/catalog/products/new"), .text("New product")))),
            filters(query, exportQuery: Layout.queryString(filter)),
            .p(.class("muted"), .text(countText)),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("SKU"), .th("Name"), .th("Kind"), .th("Unit"), .th("Prices"), .th("Tax code"))),
                .tbody(
                    .forEach(products) { product in
                        .tr(.td(.a(.href("/catalog/products/\(product.sku)"), .text(product.sku))),
                            .td(.text(product.name), .if(product.archived, .span(.class("badge off"), .text("archived")))),
                            .td(.text(product.kind.rawValue)), .td(.text(product.unit)),
                            .td(.text(product.priceTexts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
                                .joined(separator: ", "))),
                            .td(.text(product.taxCode ?? "")))
                    },
                    .if(products.isEmpty, .tr(.td(.attribute(named: "colspan", value: "6"), .class("muted"),
                                                  .text("No products match."))))))),
            Layout.pager("/catalog/products", page: page, pageSize: pageSize, total: total, query: filter),
            .if(canWrite(principal), Layout.importCard(request, action: "/catalog/products/import",
                help: "A header row naming any of: \(CatalogService.csvColumns.joined(separator: ", ")), and price_EUR, "
                    + "price_USD, ... A row whose SKU exists updates the columns the file has; the others are created. "
                    + "Nothing is imported unless every row is valid.",
                value: csv ?? "sku,name,kind,unit,tax_code,price_EUR\n", error: importError)))
    }

    static func filters(_ query: ListQuery, exportQuery: String) -> Node<HTML.BodyContext> {
        let kinds = [("", "All")] + Product.Kind.allCases.map { ($0.rawValue, $0 == .product ? "Products" : "Services") }
        let kindOptions = kinds.map { value, label in Layout.option(value, label, selected: (query.kind ?? "") == value) }
        let sortOptions = CatalogService.Filter.Sort.allCases.map { sort in
            Layout.option(sort.rawValue, sort == .created ? "newest" : sort.rawValue, selected: (query.sort ?? "name") == sort.rawValue)
        }
        return .form(.method(.get), .action("/catalog/products"), .class("filters"),
            .div(.class("field"), .label(.for("q"), .text("Search")),
                 .input(.id("q"), .name("q"), .type(.search), .value(query.q ?? ""),
                        .attribute(named: "placeholder", value: "SKU or name"))),
            .div(.class("field"), .label(.for("kind"), .text("Kind")),
                 .select(.id("kind"), .attribute(named: "name", value: "kind"), .group(kindOptions))),
            .div(.class("field"), .label(.for("sort"), .text("Sort by")),
                 .select(.id("sort"), .attribute(named: "name", value: "sort"), .group(sortOptions))),
            .label(.class("check"), .input(.name("archived"), .type(.checkbox), .checked(query.archived == "on")),
                   .text("Show archived")),
            .button(.type(.submit), .text("Show")),
            .a(.class("button"), .href("/catalog/products.csv?\(exportQuery)"), .text("Download CSV")))
    }

    @Sendable static func exportCSV(_ request: Request) async throws -> Response {
        let query = try request.query.decode(ListQuery.self)
        let text = try await request.catalog.csv(query.filter(limit: CatalogService.pageLimitMax),
                                                 by: try request.requirePrincipal())
        return ReportPages.csv(text, filename: "products.csv")
    }

    struct ImportForm: Content { var csv: String? }

    @Sendable static func importCSV(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(ImportForm.self)
        do {
            let result = try await request.catalog.importCSV(form.csv ?? "", by: principal)
            return try await renderList(request, importError: nil,
                                        notice: "\(result.created) products created, \(result.updated) updated.")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .tooLarge {
            return try await renderList(request, importError: FormError(importing: error), notice: nil, csv: form.csv,
                                        status: .unprocessableEntity)
        }
    }

    // MARK: Form and detail

    @Sendable static func newForm(_ request: Request) async throws -> Response {
        guard canWrite(try request.requirePrincipal()) else {
            throw DomainError(.forbidden, "auth.forbidden", "You may not change the catalog")
        }
        return render(request, title: "New product", action: "/catalog/products", form: ProductForm(), product: nil, error: nil)
    }

    static func render(_ request: Request, title: String, action: String, form: ProductForm, product: Product?,
                       error: FormError?, notice: String? = nil, status: HTTPResponseStatus = .ok) -> Response {
        // Errors on one price ("prices.EUR") show beside the prices box.
        let shown = error.map { FormError(field: $0.field?.hasPrefix("prices") == true ? "prices" : $0.field, message: $0.message) }
        let kinds = Product.Kind.allCases.map { Layout.option($0.rawValue, $0.rawValue, selected: (form.kind ?? "product") == $0.rawValue) }
        return Layout.page(title, request, status: status, notice: notice,
            .unwrap(product) { product in
                .if(canWrite(request.principal), .section(.class("card"),
                    .form(.method(.post), .action("/catalog/products/\(product.sku)/\(product.archived ? "restore" : "archive")"),
                        Layout.csrfField(request),
                        Layout.submit(product.archived ? "Restore" : "Archive", style: "secondary"))))
            },
            .section(.class("card"),
                .form(.method(.post), .action(action),
                    Layout.csrfField(request),
                    Layout.formError(shown, fields: ["sku", "name", "kind", "unit", "prices", "incomeAccount", "taxCode",
                                                     "description"]),
                    Layout.field("SKU", name: "sku", value: form.sku ?? "", error: shown, required: true),
                    Layout.field("Name", name: "name", value: form.name ?? "", error: shown, required: true),
                    .div(.class("field"), .label(.for("kind"), .text("Kind")),
                         .select(.id("kind"), .attribute(named: "name", value: "kind"), .group(kinds))),
                    Layout.field("Unit", name: "unit", value: form.unit ?? "", error: shown,
                                 hint: "pc, h, kg, ...; empty: pc for products, h for services"),
                    Layout.textArea("Unit prices", name: "prices", value: form.prices ?? "", error: shown,
                                    hint: "One per line: EUR 12.50"),
                    Layout.field("Income account", name: "incomeAccount", value: form.incomeAccount ?? "", error: shown,
                                 hint: "An income account code, e.g. 4000"),
                    Layout.field("Tax code", name: "taxCode", value: form.taxCode ?? "", error: shown,
                                 hint: "See Tax codes, e.g. VAT19"),
                    Layout.textArea("Description", name: "description", value: form.description ?? "", error: shown,
                                    hint: "Printed under the name on documents"),
                    .if(canWrite(request.principal), Layout.submit(product == nil ? "Create product" : "Save changes")))))
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(ProductForm.self)
        do {
            let product = try await request.catalog.create(try form.input(), by: principal)
            return request.redirect(to: "/catalog/products/\(product.sku)?created=1", redirectType: .normal)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return render(request, title: "New product", action: "/catalog/products", form: form, product: nil,
                          error: FormError(error), status: error.kind == .conflict ? .conflict : .unprocessableEntity)
        }
    }

    @Sendable static func detail(_ request: Request) async throws -> Response {
        let product = try await request.catalog.product(request.parameters.get("sku") ?? "", by: try request.requirePrincipal())
        let notice = (try? request.query.get(String.self, at: "created")) != nil ? "Product \(product.sku) created." : nil
        return render(request, title: product.name, action: "/catalog/products/\(product.sku)", form: ProductForm(product),
                      product: product, error: nil, notice: notice)
    }

    @Sendable static func update(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let sku = request.parameters.get("sku") ?? ""
        let form = try request.form(ProductForm.self)
        do {
            let product = try await request.catalog.update(sku, try form.input(), by: principal)
            return render(request, title: product.name, action: "/catalog/products/\(product.sku)",
                          form: ProductForm(product), product: product, error: nil, notice: "Saved.")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            let product = try await request.catalog.product(sku, by: principal)
            return render(request, title: product.name, action: "/catalog/products/\(product.sku)", form: form,
                          product: product, error: FormError(error),
                          status: error.kind == .conflict ? .conflict : .unprocessableEntity)
        }
    }

    @Sendable static func archive(_ request: Request) async throws -> Response {
        let action = request.parameters.get("action")
        guard action == "archive" || action == "restore" else { throw Abort(.notFound) }
        let product = try await request.catalog.setArchived(request.parameters.get("sku") ?? "", action == "archive",
                                                            by: try request.requirePrincipal())
        return render(request, title: product.name, action: "/catalog/products/\(product.sku)", form: ProductForm(product),
                      product: product, error: nil, notice: action == "archive" ? "Archived." : "Restored.")
    }
}
