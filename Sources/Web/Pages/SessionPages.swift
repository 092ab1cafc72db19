import Kernel
import Platform
import Plot
import Vapor

/// Sign in and out.
enum SessionPages {
    struct LoginForm: Content {
        var username: String?
        var password: String?
        var next: String?
    }

    static func register(_ routes: any RoutesBuilder) {
        routes.get("login", use: show)
        routes.post("login", use: signIn)
        routes.post("logout", use: signOut)
    }

    @Sendable static func show(_ request: Request) async throws -> Response {
        if request.session != nil { return request.redirect(to: "/") }
        return render(request, next: request.query[String.self, at: "next"], username: "", error: nil)
    }

    static func render(_ request: Request, next: String?, username: String, error: FormError?,
                       status: HTTPResponseStatus = .ok) -> Response {
        // Before sign-in the CSRF token is a double-submit cookie; keep the one the browser has.
        let token = request.cookies[Cookies.csrf]?.string ?? Secrets.random()
        request.cookies[Cookies.csrf] = .init(string: token)
        let response = Layout.page("Sign in", request, status: status,
            .section(.class("card narrow"),
                .form(.method(.post), .action("/login"),
                    .input(.type(.hidden), .name(CSRFMiddleware.field), .value(token)),
                    .input(.type(.hidden), .name("next"), .value(safeNext(next))),
                    Layout.formError(error, fields: []),
                    Layout.field("Username", name: "username", value: username, error: nil, required: true,
                                 autocomplete: "username"),
                    Layout.field("Password", name: "password", type: .password, error: nil, required: true,
                                 autocomplete: "current-password"),
                    Layout.submit("Sign in"))))
        response.cookies[Cookies.csrf] = Cookies.make(token, request: request, maxAgeSeconds: 3600)
        return response
    }

    @Sendable static func signIn(_ request: Request) async throws -> Response {
        let form = try request.form(LoginForm.self)
        let username = form.username ?? ""
        do {
            let (token, _) = try await request.auth.signIn(username: username, password: form.password ?? "",
                                                           remoteAddress: request.remoteAddress?.ipAddress)
            let response = request.redirect(to: safeNext(form.next))
            response.cookies[Cookies.session] = Cookies.make(token, request: request,
                                                             maxAgeSeconds: request.context.config.sessionHours * 3600)
            response.cookies[Cookies.csrf] = Cookies.expired(request: request)
            return response
        } catch let error as DomainError where [.unauthenticated, .rateLimited].contains(error.kind) {
            return render(request, next: form.next, username: username, error: FormError(error),
                          status: error.kind == .rateLimited ? .tooManyRequests : .unauthorized)
        }
    }

    @Sendable static func signOut(_ request: Request) async throws -> Response {
        if let token = request.cookies[Cookies.session]?.string { try await request.auth.signOut(token: token) }
        let response = request.redirect(to: "/login")
        response.cookies[Cookies.session] = Cookies.expired(request: request)
        return response
    }

    /// Only local paths are followed after sign-in, so the login page cannot send anyone elsewhere.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\") else { return "/" }
        return next
    }
}
