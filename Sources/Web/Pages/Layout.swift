import Kernel
import Platform
import Plot
import Vapor

/// One entry of the navigation; an area adds its pages to `Navigation.items` when it is built.
struct NavItem: Sendable {
    let title: String
    let path: String
    let permission: Permission?
}

enum Navigation {
    /// The navigation, in order. Entries a person lacks the permission for are not shown.
    static let items: [NavItem] = [
        NavItem(title: "Dashboard", path: "/", permission: nil),
        NavItem(title: "Journal entries", path: "/ledger/entries", permission: Permission("ledger", .read)),
        NavItem(title: "Chart of accounts", path: "/ledger/accounts", permission: Permission("ledger", .read)),
        NavItem(title: "Trial balance", path: "/ledger/trial-balance", permission: Permission("ledger", .read)),
        NavItem(title: "Reports", path: "/ledger/reports", permission: Permission("ledger", .read)),
        NavItem(title: "Periods", path: "/ledger/periods", permission: Permission("ledger", .read)),
        NavItem(title: "Exchange rates", path: "/ledger/rates", permission: Permission("ledger", .read)),
        NavItem(title: "Tax codes", path: "/ledger/tax-codes", permission: Permission("ledger", .read)),
        NavItem(title: "Customers and vendors", path: "/partners", permission: Permission("sales", .read)),
        NavItem(title: "Products and services", path: "/catalog/products", permission: Permission("sales", .read)),
        NavItem(title: "Sales orders", path: "/sales/orders", permission: Permission("sales", .read)),
        NavItem(title: "Invoices", path: "/sales/invoices", permission: Permission("sales", .read)),
        NavItem(title: "Receipts", path: "/sales/receipts", permission: Permission("sales", .read)),
        NavItem(title: "Receivables aging", path: "/sales/aging", permission: Permission("sales", .read)),
        NavItem(title: "Dunning", path: "/sales/dunning", permission: Permission("sales", .read)),
        NavItem(title: "Employees", path: "/people", permission: nil),
        NavItem(title: "Leave", path: "/people/leave", permission: nil),
        NavItem(title: "Tasks", path: "/people/tasks", permission: nil),
        NavItem(title: "Timesheets", path: "/people/timesheets", permission: nil),
        NavItem(title: "Training", path: "/people/training", permission: nil),
        NavItem(title: "Cases", path: "/people/cases", permission: Permission.caseFields),
        NavItem(title: "People reports", path: "/people/reports", permission: Permission("people", .read)),
        NavItem(title: "Recruiting", path: "/people/recruiting", permission: Permission("people", .write)),
        NavItem(title: "Org chart", path: "/people/org-chart", permission: Permission("people", .read)),
        NavItem(title: "Organisation", path: "/people/organisation", permission: Permission("people", .read)),
        NavItem(title: "Company", path: "/admin/company", permission: Permission("settings", .admin)),
        NavItem(title: "Users", path: "/admin/users", permission: Permission("users", .read)),
        NavItem(title: "Roles", path: "/admin/roles", permission: Permission("users", .read)),
        NavItem(title: "API tokens", path: "/tokens", permission: nil),
        NavItem(title: "Webhooks", path: "/admin/webhooks", permission: Permission("settings", .admin)),
        NavItem(title: "Audit log", path: "/audit", permission: Permission("audit", .read)),
        NavItem(title: "Profile", path: "/profile", permission: nil),
    ]

    static func visible(to principal: Principal?) -> [NavItem] {
        guard let principal else { return [] }
        return items.filter { $0.permission.map(principal.can) ?? true }
    }
}

/// A message shown beside a form field (or above the form when it concerns no field).
struct FormError: Sendable {
    let field: String?
    let message: String

    init(field: String?, message: String) {
        self.field = field
        self.message = message
    }

    init(_ error: DomainError) {
        self.init(field: error.field, message: error.message)
    }

    /// A refused CSV import, shown beside the `csv` box: each problem as "line N: message", or the error's message
    /// when it names no lines.
    init(importing error: DomainError) {
        let details = error.items.map { "line \($0.line ?? 0): \($0.message)" }.joined(separator: "; ")
        self.init(field: "csv", message: details.isEmpty ? error.message : details)
    }
}

enum Layout {
    /// A full page: header, navigation for what the person may see, and the content.
    static func page(_ title: String, _ request: Request, status: HTTPResponseStatus = .ok,
                     notice: String? = nil, _ content: Node<HTML.BodyContext>...) -> Response {
        let principal = request.principal
        let current = request.url.path
        // The most specific navigation entry the page is under ("/people/leave" rather than "/people").
        let currentItem = Navigation.visible(to: principal).map(\.path).filter { isCurrent($0, current) }
            .max { $0.count < $1.count }
        let html = HTML(
            .lang(.english),
            .head(
                .meta(.charset(.utf8)),
                .meta(.name("viewport"), .content("width=device-width, initial-scale=1")),
                .title("\(title) · Keel"),
                .stylesheet("/static/keel.css"),
                .link(.rel(.icon), .href("/static/favicon.svg"), .type("image/svg+xml"))
            ),
            .body(
                .header(.class("topbar"),
                    .a(.class("brand"), .href("/"), .text("Keel")),
                    .unwrap(principal) { principal in
                        .div(.class("who"),
                            .a(.href("/profile"), .text(principal.username)),
                            .form(.method(.post), .action("/logout"), .class("inline"),
                                csrfField(request),
                                .button(.type(.submit), .class("link"), .text("Sign out"))))
                    }
                ),
                .div(.class(principal == nil ? "shell bare" : "shell"),
                    .if(principal != nil,
                        .nav(.class("sidebar"), .ariaLabel("Main"),
                            .ul(.forEach(Navigation.visible(to: principal)) { item in
                                .li(.a(.href(item.path), .class(item.path == currentItem ? "current" : ""),
                                       .text(item.title)))
                            }))
                    ),
                    .main(
                        .h1(.text(title)),
                        .unwrap(notice) { .p(.class("notice"), .text($0)) },
                        .group(content)
                    )
                )
            )
        )
        var headers = HTTPHeaders()
        headers.contentType = .html
        return Response(status: status, headers: headers, body: .init(string: html.render()))
    }

    static func isCurrent(_ path: String, _ current: String) -> Bool {
        path == "/" ? current == "/" : current == path || current.hasPrefix(path + "/") || current.hasPrefix(path + ".")
    }

    /// The hidden CSRF field every unsafe form carries.
    static func csrfField(_ request: Request) -> Node<HTML.FormContext> {
        .input(.type(.hidden), .name(CSRFMiddleware.field),
               .value(request.session?.csrfToken ?? request.cookies[Cookies.csrf]?.string ?? ""))
    }

    /// A labelled input with its error beside it.
    static func field(_ label: String, name: String, type: HTMLInputType = .text, value: String = "",
                      error: FormError?, required: Bool = false, autocomplete: String? = nil,
                      hint: String? = nil) -> Node<HTML.FormContext> {
        let message = error?.field == name ? error?.message : nil
        return .div(.class(message == nil ? "field" : "field invalid"),
            .label(.for(name), .text(label)),
            .input(.id(name), .name(name), .type(type), .value(value), .required(required),
                   .attribute(named: "autocomplete", value: autocomplete ?? "off"),
                   .attribute(named: "aria-invalid", value: message == nil ? nil : "true")),
            .unwrap(hint) { .small(.class("hint"), .text($0)) },
            .unwrap(message) { .p(.class("error"), .text($0)) })
    }

    /// A labelled text box with its hint and its error beside it.
    static func textArea(_ label: String, name: String, value: String, error: FormError?, rows: Int = 3,
                         hint: String? = nil) -> Node<HTML.FormContext> {
        let message = error?.field == name ? error?.message : nil
        return .div(.class(message == nil ? "field" : "field invalid"),
            .label(.for(name), .text(label)),
            .textarea(.id(name), .name(name), .attribute(named: "rows", value: String(rows)), .text(value)),
            .unwrap(hint) { .small(.class("hint"), .text($0)) },
            .unwrap(message) { .p(.class("error"), .text($0)) })
    }

    /// The "Import from CSV" card of a list page: what the file holds, and a box to paste it into.
    static func importCard(_ request: Request, action: String, help: String, value: String,
                           error: FormError?) -> Node<HTML.BodyContext> {
        .section(.class("card"),
            .h2("Import from CSV"),
            .p(.class("muted"), .text(help)),
            .form(.method(.post), .action(action),
                csrfField(request),
                textArea("CSV", name: "csv", value: value, error: error, rows: 6),
                submit("Import")))
    }

    /// A list's filter as an encoded query string; empty values are left out.
    static func queryString(_ items: [(String, String?)]) -> String {
        var components = URLComponents()
        components.queryItems = items.compactMap { name, value in
            value.flatMap { $0.isEmpty ? nil : URLQueryItem(name: name, value: $0) }
        }
        return components.percentEncodedQuery ?? ""
    }

    /// Previous and next links of a list shown `pageSize` rows a page, keeping its filter.
    static func pager(_ path: String, page: Int, pageSize: Int, total: Int,
                      query: [(String, String?)]) -> Node<HTML.BodyContext> {
        func link(_ page: Int) -> String { "\(path)?\(queryString([("page", String(page))] + query))" }
        return .nav(.class("pager"),
            .if(page > 0, .a(.href(link(page - 1)), .text("← Previous"))),
            .if((page + 1) * pageSize < total, .a(.href(link(page + 1)), .text("Next →"))))
    }

    /// A labelled select with its error beside it.
    static func select(_ label: String, name: String, options: [(value: String, label: String)], value: String?,
                       error: FormError?) -> Node<HTML.FormContext> {
        .div(.class(error?.field == name ? "field invalid" : "field"), .label(.for(name), .text(label)),
             .select(.id(name), .attribute(named: "name", value: name),
                .group(options.map { option($0.value, $0.label, selected: (value ?? "") == $0.value) })),
             .unwrap(error?.field == name ? error?.message : nil) { .p(.class("error"), .text($0)) })
    }

    /// One choice of a select.
    static func option(_ value: String, _ label: String, selected: Bool) -> Node<HTML.SelectContext> {
        .element(named: "option", nodes: [.attribute(named: "value", value: value, ignoreIfValueIsEmpty: false),
                                          selected ? .attribute(named: "selected", value: "selected") : .empty,
                                          .text(label)])
    }

    /// An error that concerns the whole form (no field, or a field not on it).
    static func formError(_ error: FormError?, fields: [String]) -> Node<HTML.FormContext> {
        guard let error, error.field.map({ !fields.contains($0) }) ?? true else { return .empty }
        return .p(.class("error banner"), .attribute(named: "role", value: "alert"), .text(error.message))
    }

    /// An address as a fieldset of inputs named `<prefix>Line1`, `<prefix>Line2`, `<prefix>PostalCode`, `<prefix>City`,
    /// `<prefix>Region` and `<prefix>Country`, with `values` in that order.
    static func address(_ prefix: String, _ title: String, _ values: [String?], error: FormError?) -> Node<HTML.FormContext> {
        func input(_ label: String, _ part: String, _ index: Int, hint: String? = nil) -> Node<HTML.FormContext> {
            field(label, name: prefix + part, value: values[index] ?? "", error: error, hint: hint)
        }
        return .fieldset(.class("field"), .element(named: "legend", text: title),
            input("Street", "Line1", 0), input("Line 2", "Line2", 1), input("Postal code", "PostalCode", 2),
            input("City", "City", 3), input("Region", "Region", 4),
            input("Country", "Country", 5, hint: "Two letters: DE, FR, US"))
    }

    static func submit(_ title: String, style: String = "primary") -> Node<HTML.FormContext> {
        .button(.type(.submit), .class(style), .text(title))
    }
}
