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
struct BearerAuthMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let bearer = request.headers.bearerAuthorization {
            guard let principal = try await request.auth.principal(bearer: bearer.token) else {
                throw DomainError(.unauthenticated, "auth.token.invalid",
                                  "The bearer token is unknown, revoked or expired, or its user is disabled")
            }
            request.principal = principal
        } else if request.headers.first(name: .authorization) != nil {
            throw DomainError(.unauthenticated, "auth.token.malformed", "Use 'Authorization: Bearer <token>'")
        }
        return try await next.respond(to: request)
    }
}

/// API requests: the body is read up to the configured limit (the generated layer streams it, so the limit is
/// enforced here), and the request is made available to the generated handlers through a task-local.
struct APIRequestMiddleware: AsyncMiddleware {
    @TaskLocal static var current: Request?

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let limit = request.context.config.requestBodyBytesMax
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > limit {
            throw DomainError(.tooLarge, "request.too_large", "The request body is larger than \(limit) bytes")
        }
        if request.method != .GET, request.method != .HEAD {
            do {
                _ = try await request.body.collect(upTo: limit)
            } catch let abort as any AbortError where abort.status == .payloadTooLarge {
                throw DomainError(.tooLarge, "request.too_large", "The request body is larger than \(limit) bytes")
            }
        }
        return try await Self.$current.withValue(request) { try await next.respond(to: request) }
    }
}
