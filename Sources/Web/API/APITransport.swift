import HTTPTypes
import OpenAPIRuntime
import Vapor

/// Serves the generated API handlers through Vapor's router, as OpenAPIVapor's `VaporTransport` does, but without
/// streaming what is already whole. `APIRequestMiddleware` has read the request body by the time a handler runs, and
/// every response the API makes is already in memory (JSON, XML, a file). `VaporTransport` handed both through
/// async streams: a task and a write per chunk on every response. Here the request's bytes are handed over as they
/// are, a request without a body hands over none, and a response becomes a plain buffer body (docs/DECISIONS.md).
/// An operation that should stream a large response would need a streamed body here first.
struct APITransport: ServerTransport {
    let routes: any RoutesBuilder

    func register(_ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws
                    -> (HTTPResponse, HTTPBody?),
                  method: HTTPRequest.Method, path: String) throws {
        let components = path.split(separator: "/", omittingEmptySubsequences: true).map { part -> PathComponent in
            part.first == "{" && part.last == "}" ? .parameter(String(part.dropFirst().dropLast())) : .constant(String(part))
        }
        let parameters = components.compactMap { component -> String? in
            if case .parameter(let name) = component { name } else { nil }
        }
        routes.on(HTTPMethod(rawValue: method.rawValue), components, body: .stream) { request async throws -> Response in
            var values: [String: Substring] = [:]
            for name in parameters {
                guard let value = request.parameters.get(name) else {
                    throw Abort(.internalServerError, reason: "The route has no value for its parameter \(name)")
                }
                values[name] = Substring(value)
            }
            let (head, body) = try await handler(try Self.request(request), Self.body(of: request),
                                                 ServerRequestMetadata(pathParameters: values))
            return try await Self.response(head, body)
        }
    }

    private static func request(_ request: Request) throws -> HTTPRequest {
        guard let method = HTTPRequest.Method(request.method.rawValue) else {
            throw Abort(.methodNotAllowed, reason: "Unsupported method \(request.method.rawValue)")
        }
        var fields = HTTPFields()
        fields.reserveCapacity(request.headers.count)
        for (name, value) in request.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        let url = request.url
        return HTTPRequest(method: method, scheme: url.scheme, authority: url.host,
                           path: url.path + (url.query.map { "?\($0)" } ?? ""), headerFields: fields)
    }

    /// The request's bytes, read already by `APIRequestMiddleware` (GET and HEAD bodies are not read: none).
    private static func body(of request: Request) -> HTTPBody? {
        guard let buffer = request.body.data else { return nil }
        return HTTPBody(ArraySlice(buffer.readableBytesView))
    }

    private static func response(_ head: HTTPResponse, _ body: HTTPBody?) async throws -> Response {
        var headers = HTTPHeaders()
        for field in head.headerFields where field.name != .contentLength {
            headers.add(name: field.name.rawName, value: field.value)
        }
        let status = HTTPResponseStatus(statusCode: head.status.code)
        guard let body else { return Response(status: status, headers: headers, body: .empty) }
        var capacity = 0
        if case .known(let length) = body.length { capacity = Int(clamping: length) }
        var buffer = ByteBufferAllocator().buffer(capacity: capacity)
        for try await chunk in body { buffer.writeBytes(chunk) }
        return Response(status: status, headers: headers, body: .init(buffer: buffer))
    }
}
