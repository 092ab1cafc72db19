import Fluent
import Kernel
import Platform
import Plot
import Vapor

/// The dashboard, one's own profile and password, and API tokens.
enum AccountPages {
    struct PasswordForm: Content {
        var currentPassword: String?
        var newPassword: String?
        var confirmPassword: String?
    }

    struct TokenForm: Content {
        var name: String?
        var scopes: String?
        var expiresInDays: String?
    }

    static func register(_ routes: any RoutesBuilder) {
        routes.get(use: dashboard)
        routes.get("profile", use: profile)
        routes.post("profile", "password", use: changePassword)
        routes.get("tokens", use: tokens)
        routes.post("tokens", use: createToken)
        routes.post("tokens", ":id", "revoke", use: revokeToken)
    }

    struct DashboardModel: Sendable {
        let activeUsers: Int
        let auditRecords: Int
        let pendingEvents: Int
        let failedEvents: Int
        let database: String

        /// The figures on the dashboard, each one query.
        static func load(_ request: Request) async throws -> DashboardModel {
            let users = try await request.users.list()
            let audit = try await request.db.sql.raw("SELECT COUNT(*) AS n FROM audit_log").first()?
                .decode(column: "n", as: Int.self) ?? 0
            let pending = try await request.db.sql.raw("""
                SELECT COUNT(*) AS n FROM outbox_events WHERE delivered_at IS NULL AND failed_at IS NULL
                """).first()?.decode(column: "n", as: Int.self) ?? 0
            let failed = try await request.db.sql.raw("SELECT COUNT(*) AS n FROM outbox_events WHERE failed_at IS NOT NULL")
                .first()?.decode(column: "n", as: Int.self) ?? 0
            return DashboardModel(activeUsers: users.filter { !$0.disabled }.count, auditRecords: audit,
                                  pendingEvents: pending, failedEvents: failed,
                                  database: request.db.isPostgres ? "PostgreSQL" : "SQLite")
        }
    }

    @Sendable static func dashboard(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let model = try await DashboardModel.load(request)
        let company = try await Settings.get("company.name", on: request.db)
        let isOperator = principal.can(Permission("users", .admin))
        return Layout.page(company ?? "Dashboard", request,
            .p(.class("lead"), .text("Welcome, \(principal.username). You are signed in as "
                + principal.roles.sorted().joined(separator: ", ") + ".")),
            .div(.class("tiles"),
                tile("Active users", "\(model.activeUsers)", link: "/admin/users",
                     show: principal.can(Permission("users", .read))),
                tile("Audit records", "\(model.auditRecords)", link: "/audit",
                     show: principal.can(Permission("audit", .read))),
                tile("Events waiting", "\(model.pendingEvents)", link: nil, show: isOperator),
                tile("Events failed", "\(model.failedEvents)", link: nil, show: isOperator && model.failedEvents > 0),
                tile("Database", model.database, link: nil, show: isOperator)),
            .section(.class("card"),
                .h2("Getting started"),
                .ul(
                    .if(principal.can(Permission("users", .admin)),
                        .li(.text("Create users and give them roles under "), .a(.href("/admin/users"), .text("Users")),
                            .text("."))),
                    .li(.text("Connect the front office or a script with an "), .a(.href("/tokens"), .text("API token")),
                        .text(" and the "), .a(.href("/api/openapi.json"), .text("OpenAPI document")), .text(".")),
                    .if(principal.can(Permission("audit", .read)),
                        .li(.text("Every change is recorded in the hash-chained "), .a(.href("/audit"), .text("audit log")),
                            .text("; run "), .code("keel verify"), .text(" to check it."))),
                    .li(.text("Change your password on your "), .a(.href("/profile"), .text("profile")), .text(".")))))
    }

    static func tile(_ label: String, _ value: String, link: String?, show: Bool) -> Node<HTML.BodyContext> {
        guard show else { return .empty }
        let figure: Node<HTML.BodyContext> = link.map { .a(.class("tile-value"), .href($0), .text(value)) }
            ?? .span(.class("tile-value"), .text(value))
        return .div(.class("tile"), figure, .span(.class("tile-label"), .text(label)))
    }

    @Sendable static func profile(_ request: Request) async throws -> Response {
        try await renderProfile(request, notice: request.query[String.self, at: "change"] == "required"
                                ? "Please choose a new password before you continue." : nil, error: nil)
    }

    static func renderProfile(_ request: Request, notice: String?, error: FormError?,
                              status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        guard let id = principal.userID, let user = try await request.users.find(id: id) else {
            throw DomainError(.unauthenticated, "auth.required", "Sign in first")
        }
        return Layout.page("Profile", request, status: status, notice: notice,
            .section(.class("card"),
                .element(named: "dl", nodes: [
                    .dt("Username"), .dd(.text(user.username)), .dt("Name"), .dd(.text(user.displayName)),
                    .dt("E-mail"), .dd(.text(user.email ?? "—")),
                    .dt("Roles"), .dd(.text(user.roles.joined(separator: ", "))),
                ])),
            .section(.class("card"),
                .h2("Change password"),
                .form(.method(.post), .action("/profile/password"),
                    Layout.csrfField(request),
                    Layout.formError(error, fields: ["currentPassword", "newPassword", "confirmPassword"]),
                    Layout.field("Current password", name: "currentPassword", type: .password, error: error,
                                 required: true, autocomplete: "current-password"),
                    Layout.field("New password", name: "newPassword", type: .password, error: error, required: true,
                                 autocomplete: "new-password", hint: "At least \(Passwords.lengthMin) characters"),
                    Layout.field("Repeat the new password", name: "confirmPassword", type: .password, error: error,
                                 required: true, autocomplete: "new-password"),
                    Layout.submit("Change password"))))
    }

    @Sendable static func changePassword(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(PasswordForm.self)
        do {
            guard form.newPassword == form.confirmPassword else {
                throw DomainError.invalid("user.password.mismatch", "The two new passwords differ",
                                          field: "confirmPassword")
            }
            try await request.users.changeOwnPassword(actor: principal, current: form.currentPassword ?? "",
                                                      new: form.newPassword ?? "")
            // The session was read before the change; re-read it so the must-change flag is gone.
            if let token = request.cookies[Cookies.session]?.string { request.session = try await request.auth.session(token: token) }
            return try await renderProfile(request, notice: "Your password was changed.", error: nil)
        } catch let error as DomainError where error.kind == .invalid {
            return try await renderProfile(request, notice: nil, error: FormError(error), status: .unprocessableEntity)
        }
    }

    @Sendable static func tokens(_ request: Request) async throws -> Response {
        try await renderTokens(request, created: nil, error: nil, form: TokenForm())
    }

    static func renderTokens(_ request: Request, created: String?, error: FormError?, form: TokenForm,
                             status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let seesAll = principal.can(Permission("tokens", .admin))
        let tokens = try await request.auth.tokens(username: seesAll ? nil : principal.username, actor: principal)
        return Layout.page("API tokens", request, status: status,
            .unwrap(created) { secret in
                .section(.class("card secret"),
                    .h2("Your new token"),
                    .p(.text("Copy it now: it is shown only once and Keel keeps only its hash.")),
                    .pre(.code(.text(secret))),
                    .p(.class("muted"), .text("Use it as "), .code("Authorization: Bearer <token>"), .text(".")))
            },
            .section(.class("card"),
                .h2("New token"),
                .form(.method(.post), .action("/tokens"),
                    Layout.csrfField(request),
                    Layout.formError(error, fields: ["name", "scopes", "expiresInDays"]),
                    Layout.field("Name", name: "name", value: form.name ?? "", error: error, required: true,
                                 hint: "What it is for, e.g. 'shop checkout'"),
                    Layout.field("Scopes", name: "scopes", value: form.scopes ?? "", error: error,
                                 hint: "Space-separated, like users:read ledger:*; empty means everything you may do"),
                    Layout.field("Expires in days", name: "expiresInDays", type: .number,
                                 value: form.expiresInDays ?? "90", error: error, hint: "Empty for no expiry"),
                    Layout.submit("Create token"))),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Name"), .if(seesAll, .th("User")), .th("Scopes"), .th("Expires"), .th("Last used"),
                           .th("Status"), .th())),
                .tbody(.forEach(tokens) { token in
                    .tr(.td(.text(token.name)), .if(seesAll, .td(.text(token.username))),
                        .td(.text(token.scopes.joined(separator: " "))),
                        .td(.text(token.expiresOn?.description ?? "never")),
                        .td(.text(token.lastUsedAt.map(RFC3339.format) ?? "never")),
                        .td(.span(.class(token.state == "active" ? "badge ok" : "badge off"), .text(token.state))),
                        .td(.if(!token.revoked,
                            .form(.method(.post), .action("/tokens/\(token.id)/revoke"), .class("inline"),
                                  Layout.csrfField(request), Layout.submit("Revoke", style: "danger small")))))
                },
                .if(tokens.isEmpty, .tr(.td(.attribute(named: "colspan", value: "7"), .class("muted"),
                                            .text("No tokens yet."))))))))
    }

    @Sendable static func createToken(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(TokenForm.self)
        do {
            let daysText = (form.expiresInDays ?? "").trimmingCharacters(in: .whitespaces)
            var days: Int?
            if !daysText.isEmpty {
                guard let parsed = Int(daysText) else {
                    throw DomainError.invalid("token.expiry.invalid", "Give the number of days as a whole number",
                                              field: "expiresInDays")
                }
                days = parsed
            }
            let scopes = (form.scopes ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
            let created = try await request.auth.createToken(username: principal.username, name: form.name ?? "",
                                                             scopes: scopes, expiresInDays: days, by: principal)
            return try await renderTokens(request, created: created.secret, error: nil, form: TokenForm())
        } catch let error as DomainError where error.kind == .invalid {
            return try await renderTokens(request, created: nil, error: FormError(error), form: form,
                                          status: .unprocessableEntity)
        }
    }

    @Sendable static func revokeToken(_ request: Request) async throws -> Response {
        _ = try await request.auth.revokeToken(id: request.parameters.get("id") ?? "", by: try request.requirePrincipal())
        return request.redirect(to: "/tokens")
    }
}
