import Vapor

/// Security headers on every response: a CSP without inline script or style, no framing, no sniffing.
///
/// This middleware, the request id's and the error middleware are future-based `Middleware`: each
/// `AsyncMiddleware` starts a task of its own per request and awaits the rest of the chain as a future, and these
/// three do nothing asynchronous (BENCHMARKS.md, HTTP posting, thirteenth look).
struct SecurityHeadersMiddleware: Middleware {
    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'",
    ].joined(separator: "; ")

    static let headers: [(String, String)] = [
        ("Content-Security-Policy", contentSecurityPolicy),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).map { response in
            for (name, value) in Self.headers { response.headers.replaceOrAdd(name: name, value: value) }
            if request.url.path.hasPrefix("/static/") == false {
                response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            }
            return response
        }
    }
}

/// Tags each request with an id (kept from `X-Request-Id` when a proxy set a sane one) for logs and errors.
/// Without the header it is the UUID Vapor already made for the request: on Linux each `UUID()` opens and reads
/// `/dev/urandom`, and a second one per request showed in the profile of HTTP posting.
struct RequestIDMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let incoming = request.headers.first(name: "X-Request-Id")
        let id = incoming.flatMap { $0.count <= 64 && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } ? $0 : nil }
            ?? (incoming == nil ? request.id : UUID().uuidString).lowercased()
        request.logger[metadataKey: "request-id"] = .string(id)
        return next.respond(to: request).map { response in
            response.headers.replaceOrAdd(name: "X-Request-Id", value: id)
            return response
        }
    }
}
