import Kernel
import OpenAPIRuntime
import Vapor

/// The one place errors become responses: `application/problem+json` for the API (and any client that asks for
/// JSON), a friendly page for people. A `DomainError` keeps its code; anything unexpected is a logged 500.
/// Future-based, for the reason the security headers' middleware gives.
struct KeelErrorMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).recover { error in Self.response(for: error, request: request) }
    }

    static func response(for error: any Error, request: Request) -> Response {
        let problem = Problem(error, request: request)
        if problem.status == .internalServerError {
            request.logger.report(error: error)
        }
        if wantsJSON(request) { return problem.jsonResponse() }
        if problem.status == .unauthorized, request.method == .GET {
            let next = request.url.path + (request.url.query.map { "?\($0)" } ?? "")
            return request.redirect(to: "/login?next=" + (next.addingPercentEncoding(withAllowedCharacters:
                .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=?"))) ?? "/"))
        }
        return ErrorPage.response(problem, request: request)
    }

    static func wantsJSON(_ request: Request) -> Bool {
        if request.url.path.hasPrefix("/api/") || request.url.path == "/healthz" || request.url.path == "/metrics" {
            return true
        }
        let accept = request.headers.first(name: .accept) ?? ""
        return accept.contains("json") && !accept.contains("text/html")
    }
}

/// An RFC 9457 problem: status, stable code, detail, the field concerned and, for batches, every item's error.
struct Problem: Sendable {
    let status: HTTPResponseStatus
    let code: String
    let detail: String
    let field: String?
    let items: [DomainError.Item]
    let requestID: String?

    init(status: HTTPResponseStatus, code: String, detail: String, field: String? = nil,
         items: [DomainError.Item] = [], requestID: String? = nil) {
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field
        self.items = items
        self.requestID = requestID
    }

    init(_ error: any Error, request: Request) {
        let requestID: String? = request.logger[metadataKey: "request-id"].map { "\($0)" }
        switch Problem.classify(error) {
        case .domain(let domain):
            self.init(status: Problem.status(for: domain.kind), code: domain.code, detail: domain.message,
                      field: domain.field, items: domain.items, requestID: requestID)
        case .abort(let abort):
            self.init(status: abort.status, code: Problem.code(for: abort.status),
                      detail: abort.reason, requestID: requestID)
        case .decoding(let message):
            self.init(status: .badRequest, code: "request.malformed", detail: message, requestID: requestID)
        case .unexpected:
            self.init(status: .internalServerError, code: "internal.error",
                      detail: "Something went wrong on our side. The request id helps us find it.",
                      requestID: requestID)
        }
    }

    enum Classified {
        case domain(DomainError), abort(any AbortError), decoding(String), unexpected
    }

    static func classify(_ error: any Error) -> Classified {
        if let domain = error as? DomainError { return .domain(domain) }
        if let server = error as? ServerError {
            // The generated API layer wraps both our handlers' errors and its own decoding failures.
            if let inner = server.underlyingError as? DomainError { return .domain(inner) }
            // Before AbortError: Vapor makes DecodingError one, whose reason reads "Data corrupted at path ''".
            if let decoding = server.underlyingError as? DecodingError {
                return .decoding(describe(decoding, fromBody: server.requestBody != nil))
            }
            if let inner = server.underlyingError as? any AbortError { return .abort(inner) }
            // No operation input means the request never decoded: the client sent something unreadable.
            if server.operationInput == nil {
                return .decoding("The request could not be read: \(server.underlyingError)")
            }
            return classify(server.underlyingError)
        }
        if let decoding = error as? DecodingError { return .decoding(describe(decoding, fromBody: true)) }
        if let abort = error as? any AbortError { return .abort(abort) }
        return .unexpected
    }

    /// Says what could not be read, naming the field as a `DomainError` would (`lines[0].debit`). The generated
    /// layer decodes a path or query parameter without naming it, so an error without a field there is said to be
    /// in the parameters when the request had no body to blame.
    static func describe(_ error: DecodingError, fromBody: Bool) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let joined = context.codingPath.reduce(into: "") { path, key in
                if let index = key.intValue {
                    path += "[\(index)]"
                } else {
                    path += (path.isEmpty ? "" : ".") + key.stringValue
                }
            }
            if !joined.isEmpty { return "'\(joined)'" }
            return fromBody ? "The body" : "A path or query parameter"
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context)) has the wrong type: expected \(type). \(context.debugDescription)"
        case .valueNotFound(_, let context):
            return "\(path(context)) is missing a value. \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "'\(key.stringValue)' is required\(context.codingPath.isEmpty ? "" : " in \(path(context))")."
        case .dataCorrupted(let context):
            return "\(path(context)) is not valid: \(context.debugDescription)"
        @unknown default:
            return "The request body is not valid JSON for this operation."
        }
    }

    static func status(for kind: DomainError.Kind) -> HTTPResponseStatus {
        switch kind {
        case .malformed: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .tooLarge: .payloadTooLarge
        case .invalid: .unprocessableEntity
        case .rateLimited: .tooManyRequests
        case .unavailable: .serviceUnavailable
        }
    }

    static func code(for status: HTTPResponseStatus) -> String {
        switch status.code {
        case 400: "request.malformed"
        case 401: "auth.required"
        case 403: "auth.forbidden"
        case 404: "route.not_found"
        case 405: "route.method_not_allowed"
        case 413: "request.too_large"
        case 415: "request.unsupported_media_type"
        case 429: "request.rate_limited"
        default: "http.\(status.code)"
        }
    }

    var title: String { status.reasonPhrase }

    func jsonResponse() -> Response {
        struct Body: Encodable {
            let type: String
            let title: String
            let status: UInt
            let code: String
            let detail: String
            let field: String?
            let errors: [DomainError.Item]?
            let requestId: String?
        }
        let body = Body(type: "about:blank", title: title, status: status.code, code: code, detail: detail,
                        field: field, errors: items.isEmpty ? nil : items, requestId: requestID)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "application", subType: "problem+json")
        if status == .unauthorized { headers.replaceOrAdd(name: .wwwAuthenticate, value: "Bearer") }
        return Response(status: status, headers: headers, body: .init(data: data))
    }
}
