import Kernel
import Platform
import Vapor

enum Cookies {
    static let session = "keel_session"
    static let csrf = "keel_csrf"

    static func make(_ value: String, request: Request, maxAgeSeconds: Int?) -> HTTPCookies.Value {
        let secure = request.context.config.secureCookies || request.url.scheme == "https"
        return HTTPCookies.Value(string: value, expires: nil, maxAge: maxAgeSeconds, domain: nil, path: "/",
                                 isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }

    static func expired(request: Request) -> HTTPCookies.Value {
        make("", request: request, maxAgeSeconds: 0)
    }
}

/// Pages: a valid `keel_session` cookie makes the request's principal. A disabled user's session is gone
/// at once, because every request re-reads the session and the user.
struct SessionAuthMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let token = request.cookies[Cookies.session]?.string, let session = try await request.auth.session(token: token) {
            request.session = session
            request.principal = session.principal
        }
        return try await next.respond(to: request)
    }
}

/// Pages that need someone signed in; a session that must change its password is sent to the profile first.
struct RequireSignInMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let session = request.session else {
            throw DomainError(.unauthenticated, "auth.required", "Sign in to see this page")
        }
        if session.mustChangePassword, !request.url.path.hasPrefix("/profile"), request.url.path != "/logout" {
            return request.redirect(to: "/profile?change=required")
        }
        return try await next.respond(to: request)
    }
}

/// Every unsafe form request must carry the CSRF token: the session's, or before sign-in the double-submit
/// cookie's. Without it the request is refused with 403 and nothing happens.
struct CSRFMiddleware: AsyncMiddleware {
    static let field = "_csrf"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard ![.GET, .HEAD, .OPTIONS].contains(request.method) else { return try await next.respond(to: request) }
        let sent = (try? request.content.get(String.self, at: Self.field)) ?? request.headers.first(name: "X-CSRF-Token")
        let expected = request.session?.csrfToken ?? request.cookies[Cookies.csrf]?.string
        guard let sent, let expected, !expected.isEmpty, Secrets.constantTimeEqual(sent, expected) else {
            throw DomainError(.forbidden, "auth.csrf",
                              "This form has expired or did not come from Keel. Reload the page and try again.")
        }
        return try await next.respond(to: request)
    }
}

/// The API takes bearer tokens only (no cookies). A token that is present but invalid is a 401 at once.
///
/// Future-based, not an `AsyncMiddleware` (which starts a task per request): a token used a moment ago is known
/// without a read (`AuthService.keptPrincipal`), and then the request goes on without leaving the event loop.
struct BearerAuthMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        if let bearer = request.headers.bearerAuthorization {
            if let principal = AuthService.keptPrincipal(bearer: bearer.token, context: request.context) {
                request.principal = principal
                return next.respond(to: request)
            }
            return request.eventLoop.makeFutureWithTask {
                try await request.auth.principal(bearer: bearer.token)
            }.flatMap { principal in
                guard let principal else {
                    return request.eventLoop.makeFailedFuture(DomainError(
                        .unauthenticated, "auth.token.invalid",
                        "The bearer token is unknown, revoked or expired, or its user is disabled"))
                }
                request.principal = principal
                return next.respond(to: request)
            }
        } else if request.headers.first(name: .authorization) != nil {
            return request.eventLoop.makeFailedFuture(
                DomainError(.unauthenticated, "auth.token.malformed", "Use 'Authorization: Bearer <token>'"))
        }
        return next.respond(to: request)
    }
}

/// API requests: the body is read up to the configured limit (the API's routes take it as a stream, so the limit is
/// enforced here; `APITransport` hands the bytes read to the generated layer), and the request is made available to
/// the generated handlers through a task-local, bound around the call that starts the route's task (a task started
/// there inherits it). Future-based for the same reason as `BearerAuthMiddleware`.
struct APIRequestMiddleware: Middleware {
    @TaskLocal static var current: Request?

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let limit = request.context.config.requestBodyBytesMax
        let tooLarge = DomainError(.tooLarge, "request.too_large", "The request body is larger than \(limit) bytes")
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > limit {
            return request.eventLoop.makeFailedFuture(tooLarge)
        }
        let respond: @Sendable () -> EventLoopFuture<Response> = {
            Self.$current.withValue(request) { next.respond(to: request) }
        }
        guard request.method != .GET, request.method != .HEAD else { return respond() }
        return request.body.collect(max: limit).flatMapErrorThrowing { error in
            if let abort = error as? any AbortError, abort.status == .payloadTooLarge { throw tooLarge }
            throw error
        }.flatMap { _ in respond() }
    }
}
