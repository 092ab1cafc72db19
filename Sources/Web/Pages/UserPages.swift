import Kernel
import Platform
import Plot
import Vapor

/// Users and roles administration.
enum UserPages {
    struct NewUserForm: Content {
        var username: String?
        var displayName: String?
        var email: String?
        var roles: [String]?
        var password: String?
    }

    struct RolesForm: Content {
        var roles: [String]?
    }

    static func register(_ routes: any RoutesBuilder) {
        let admin = routes.grouped("admin")
        admin.get("users", use: list)
        admin.get("users", "new", use: newForm)
        admin.post("users", use: create)
        admin.get("users", ":username", use: detail)
        admin.post("users", ":username", "roles", use: setRoles)
        admin.post("users", ":username", "disable", use: disable)
        admin.post("users", ":username", "enable", use: enable)
        admin.post("users", ":username", "reset-password", use: resetPassword)
        admin.get("roles", use: roles)
    }

    @Sendable static func list(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        try require(principal, Permission("users", .read))
        let users = try await request.users.list()
        return Layout.page("Users", request,
            .if(principal.can(Permission("users", .admin)),
                .p(.class("actions"), .a(.class("button primary"), .href("/admin/users/new"), .text("New user")))),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Username"), .th("Name"), .th("Roles"), .th("Status"))),
                .tbody(.forEach(users) { user in
                    .tr(.td(.a(.href("/admin/users/\(user.username)"), .text(user.username))),
                        .td(.text(user.displayName)),
                        .td(.text(user.roles.joined(separator: ", "))),
                        .td(statusBadge(user)))
                }))))
    }

    static func statusBadge(_ user: UserSummary) -> Node<HTML.BodyContext> {
        user.disabled ? .span(.class("badge off"), .text("disabled"))
            : .span(.class("badge ok"), .text(user.mustChangePassword ? "active · must change password" : "active"))
    }

    @Sendable static func newForm(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("users", .admin))
        return try await renderNew(request, form: NewUserForm(roles: ["employee"]), error: nil)
    }

    static func renderNew(_ request: Request, form: NewUserForm, error: FormError?,
                          status: HTTPResponseStatus = .ok) async throws -> Response {
        let roles = try await UserService.roles(on: request.db)
        let chosen = Set(form.roles ?? [])
        let rolesError = error?.field == "roles" ? error?.message : nil
        return Layout.page("New user", request, status: status,
            .section(.class("card"),
                .form(.method(.post), .action("/admin/users"),
                    Layout.csrfField(request),
                    Layout.formError(error, fields: ["username", "displayName", "email", "password", "roles"]),
                    Layout.field("Username", name: "username", value: form.username ?? "", error: error,
                                 required: true, hint: "3 to 40 characters: letters, digits, '.', '_' or '-'"),
                    Layout.field("Display name", name: "displayName", value: form.displayName ?? "", error: error),
                    Layout.field("E-mail", name: "email", type: .email, value: form.email ?? "", error: error),
                    Layout.field("Password", name: "password", type: .password, error: error,
                                 autocomplete: "new-password",
                                 hint: "Leave empty to generate one; the user changes it at first sign-in"),
                    roleChoices(roles, chosen: chosen, error: rolesError),
                    Layout.submit("Create user"))))
    }

    static func roleChoices(_ roles: [(name: String, summary: String, permissions: [String])], chosen: Set<String>,
                            error: String?) -> Node<HTML.FormContext> {
        .fieldset(.class(error == nil ? "field" : "field invalid"),
            .element(named: "legend", text: "Roles"),
            .forEach(roles) { role in
                .label(.class("check"),
                    .input(.type(.checkbox), .name("roles[]"), .value(role.name), .checked(chosen.contains(role.name))),
                    .strong(.text(role.name)), .span(.class("muted"), .text(" — \(role.summary)")))
            },
            .unwrap(error) { .p(.class("error"), .text($0)) })
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        let form = try request.form(NewUserForm.self)
        let password = (form.password ?? "").isEmpty ? nil : form.password
        do {
            let result = try await request.users.create(
                .init(username: form.username ?? "", displayName: (form.displayName ?? "").isEmpty ? nil : form.displayName,
                      email: form.email, roles: form.roles ?? [], password: password), by: principal)
            return try await renderDetail(request, username: result.user.username,
                                          notice: result.password.map { "User created. Their password is \($0) — "
                                              + "it is shown only now; they must change it at first sign-in." }
                                              ?? "User created.")
        } catch let error as DomainError where error.kind != .forbidden {
            return try await renderNew(request, form: form, error: FormError(error), status: .unprocessableEntity)
        }
    }

    @Sendable static func detail(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("users", .read))
        return try await renderDetail(request, username: request.parameters.get("username") ?? "", notice: nil)
    }

    static func renderDetail(_ request: Request, username: String, notice: String?, error: FormError? = nil,
                             status: HTTPResponseStatus = .ok) async throws -> Response {
        let principal = try request.requirePrincipal()
        let user = try await request.users.find(username: username)
        let roles = try await UserService.roles(on: request.db)
        let isAdmin = principal.can(Permission("users", .admin))
        let base = "/admin/users/\(user.username)"
        return Layout.page(user.displayName, request, status: status, notice: notice,
            .section(.class("card"),
                .element(named: "dl", nodes: [
                    .dt("Username"), .dd(.text(user.username)),
                    .dt("E-mail"), .dd(.text(user.email ?? "—")),
                    .dt("Roles"), .dd(.text(user.roles.joined(separator: ", "))),
                    .dt("Status"), .dd(statusBadge(user)),
                ])),
            .if(isAdmin, .group(
                .section(.class("card"),
                    .h2("Roles"),
                    .form(.method(.post), .action("\(base)/roles"),
                        Layout.csrfField(request),
                        Layout.formError(error, fields: ["roles"]),
                        roleChoices(roles, chosen: Set(user.roles), error: error?.field == "roles" ? error?.message : nil),
                        Layout.submit("Save roles"))),
                .section(.class("card actions"),
                    .h2("Access"),
                    .form(.method(.post), .action("\(base)/reset-password"), .class("inline"),
                        Layout.csrfField(request), Layout.submit("Reset password", style: "secondary")),
                    user.disabled
                        ? .form(.method(.post), .action("\(base)/enable"), .class("inline"),
                                Layout.csrfField(request), Layout.submit("Enable", style: "secondary"))
                        : .form(.method(.post), .action("\(base)/disable"), .class("inline"),
                                Layout.csrfField(request), Layout.submit("Disable", style: "danger")))
            )),
            .p(.a(.href("/audit?entity=user&entityId=\(user.id)"), .text("History of this user in the audit log"))))
    }

    @Sendable static func setRoles(_ request: Request) async throws -> Response {
        let username = request.parameters.get("username") ?? ""
        let form = try request.form(RolesForm.self)
        return try await act(request, username: username, notice: "Roles saved.") { principal in
            _ = try await request.users.setRoles(username: username, roles: form.roles ?? [], by: principal)
        }
    }

    @Sendable static func disable(_ request: Request) async throws -> Response {
        let username = request.parameters.get("username") ?? ""
        return try await act(request, username: username, notice: "User disabled; their sessions and tokens no longer work.") {
            _ = try await request.users.disable(username: username, by: $0)
        }
    }

    @Sendable static func enable(_ request: Request) async throws -> Response {
        let username = request.parameters.get("username") ?? ""
        return try await act(request, username: username, notice: "User enabled.") {
            _ = try await request.users.enable(username: username, by: $0)
        }
    }

    @Sendable static func resetPassword(_ request: Request) async throws -> Response {
        let username = request.parameters.get("username") ?? ""
        let principal = try request.requirePrincipal()
        let password = try await request.users.resetPassword(username: username, by: principal)
        return try await renderDetail(request, username: username,
                                      notice: "New password: \(password) — shown only now. "
                                          + "The user must change it at their next sign-in.")
    }

    /// Runs an admin action and re-renders the user page with its outcome, or the error beside the form.
    static func act(_ request: Request, username: String, notice: String,
                    _ action: (Principal) async throws -> Void) async throws -> Response {
        let principal = try request.requirePrincipal()
        do {
            try await action(principal)
            return try await renderDetail(request, username: username, notice: notice)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderDetail(request, username: username, notice: nil, error: FormError(error),
                                          status: Problem.status(for: error.kind))
        }
    }

    @Sendable static func roles(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("users", .read))
        let roles = try await UserService.roles(on: request.db)
        return Layout.page("Roles", request,
            .p(.class("muted"), .text("Roles grant permissions per area and action. Field groups (fields.personal, "
                + "fields.bank, fields.pay, fields.cases) guard sensitive data and are granted to hr and payroll only.")),
            .div(.class("table-wrap"), .table(
                .thead(.tr(.th("Role"), .th("What it is for"), .th("Permissions"))),
                .tbody(.forEach(roles) { role in
                    .tr(.td(.strong(.text(role.name))), .td(.text(role.summary)),
                        .td(.class("perms"), .text(role.permissions.isEmpty ? "self-service only"
                                                   : role.permissions.joined(separator: " "))))
                }))))
    }
}
