import Fluent
import Foundation
import KeelTesting
import Kernel
import Platform
import Testing
import Vapor
import VaporTesting
@testable import Web

@Suite("JSON API")
struct APITests {
    @Test("Without a token the API answers 401 problem+json; with one, 200 and the user")
    func authentication() async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["accountant"], on: app)
            let token = try await Fixtures.token(for: "ada", on: app)
            try await app.testing().test(.GET, "/api/v1/me") { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers.contentType?.description.hasPrefix("application/problem+json") == true)
                #expect(problemCode(response) == "auth.required")
            }
            try await app.testing().test(.GET, "/api/v1/me", headers: bearer("keel_not-a-real-token")) { response in
                #expect(response.status == .unauthorized)
                #expect(problemCode(response) == "auth.token.invalid")
            }
            try await app.testing().test(.GET, "/api/v1/me", headers: bearer(token)) { response in
                #expect(response.status == .ok)
                let body = json(response)
                #expect((body["user"] as? [String: Any])?["username"] as? String == "ada")
                #expect((body["permissions"] as? [String])?.contains("ledger:write") == true)
            }
            // Session cookies do not authenticate the API.
            let session = try await Fixtures.signIn("ada", on: app)
            try await app.testing().test(.GET, "/api/v1/me", headers: ["Cookie": session.cookie]) {
                #expect($0.status == .unauthorized)
            }
            try await app.testing().test(.GET, "/api/v1/me", headers: ["Authorization": "Basic YWRhOnB3"]) { response in
                #expect(response.status == .unauthorized)
                #expect(problemCode(response) == "auth.token.malformed")
            }
            // Used a moment ago, the token is answered from memory; revoked through this server, it stops at once.
            try await app.testing().test(.GET, "/api/v1/me", headers: bearer(token)) { #expect($0.status == .ok) }
            let auth = AuthService(db: app.db, context: app.keelContext)
            #expect(AuthService.keptPrincipal(bearer: token, context: app.keelContext)?.username == "ada")
            let id = try await auth.tokens(username: "ada", actor: .system)[0].id
            _ = try await auth.revokeToken(id: id, by: .system)
            try await app.testing().test(.GET, "/api/v1/me", headers: bearer(token)) { response in
                #expect(response.status == .unauthorized)
                #expect(problemCode(response) == "auth.token.invalid")
            }
        }
    }

    @Test("Bad input gets a specific 4xx and changes nothing", arguments: [
        ("", 400, "request.malformed"),
        ("{\"username\": \"zoe\", ", 400, "request.malformed"),
        ("{\"username\": 42, \"roles\": [\"employee\"]}", 400, "request.malformed"),
        ("{\"username\": \"zoe\", \"roles\": [\"employee\"], \"isRoot\": true}", 400, "request.malformed"),
        ("{\"roles\": [\"employee\"]}", 400, "request.malformed"),
        ("{\"username\": \"zoe\", \"roles\": [\"wizard\"]}", 422, "user.role.unknown"),
        ("{\"username\": \"z\", \"roles\": [\"employee\"]}", 422, "user.username.invalid"),
        ("{\"username\": \"ada\", \"roles\": [\"employee\"]}", 409, "user.username.taken"),
    ])
    func badInput(body: String, status: Int, code: String) async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            let token = try await Fixtures.token(for: "ada", on: app)
            let auditBefore = try await AuditChain.list(on: app.db, filter: .init()).count
            try await app.testing().test(.POST, "/api/v1/users", headers: jsonHeaders(token), body: ByteBuffer(string: body)) { response in
                #expect(response.status.code == status, "\(response.body.string)")
                let problem = json(response)
                #expect(problem["code"] as? String == code)
                #expect((problem["detail"] as? String)?.isEmpty == false)
            }
            #expect(try await UserService(db: app.db, context: app.keelContext).list().map(\.username) == ["ada"])
            #expect(try await AuditChain.list(on: app.db, filter: .init()).count == auditBefore)
        }
    }

    @Test("An oversized body is refused with 413 before it is read")
    func oversized() async throws {
        try await withTestApp(configure: { $0.requestBodyBytesMax = 2048 }) { app in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            let token = try await Fixtures.token(for: "ada", on: app)
            let big = "{\"username\": \"zoe\", \"roles\": [\"employee\"], \"displayName\": \"" + String(repeating: "x", count: 5000) + "\"}"
            try await app.testing().test(.POST, "/api/v1/users", headers: jsonHeaders(token), body: ByteBuffer(string: big)) { response in
                #expect(response.status == .payloadTooLarge)
                #expect(problemCode(response) == "request.too_large")
            }
            #expect(try await UserService(db: app.db, context: app.keelContext).list().count == 1)
        }
    }

    @Test("Creating a user over the API returns it with a generated password, and the audit log shows it")
    func createUser() async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            let token = try await Fixtures.token(for: "ada", on: app)
            try await app.testing().test(.POST, "/api/v1/users", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"username": "zoe", "roles": ["hr"]}"#)) { response in
                #expect(response.status == .created)
                let body = json(response)
                #expect((body["generatedPassword"] as? String)?.count == 20)
            }
            try await app.testing().test(.GET, "/api/v1/audit?entity=user&limit=10", headers: bearer(token)) { response in
                #expect(response.status == .ok)
                let items = json(response)["items"] as? [[String: Any]] ?? []
                #expect(items.first?["action"] as? String == "user.create" && items.first?["actor"] as? String == "ada")
            }
            try await app.testing().test(.GET, "/api/v1/audit?from=2026-02-30", headers: bearer(token)) { response in
                #expect(response.status == .unprocessableEntity)
                #expect(problemCode(response) == "date.invalid")
            }
            try await app.testing().test(.GET, "/api/v1/audit?limit=abc", headers: bearer(token)) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test("Scopes and roles limit what a token may do")
    func forbidden() async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            try await Fixtures.user("erin", roles: ["employee"], on: app)
            let readOnly = try await Fixtures.token(for: "ada", scopes: ["users:read"], on: app)
            let employee = try await Fixtures.token(for: "erin", on: app)
            try await app.testing().test(.GET, "/api/v1/users", headers: bearer(readOnly)) { #expect($0.status == .ok) }
            try await app.testing().test(.POST, "/api/v1/users", headers: jsonHeaders(readOnly),
                                         body: ByteBuffer(string: #"{"username": "zoe", "roles": ["hr"]}"#)) { response in
                #expect(response.status == .forbidden)
                #expect(problemCode(response) == "auth.forbidden")
            }
            try await app.testing().test(.GET, "/api/v1/audit", headers: bearer(employee)) { #expect($0.status == .forbidden) }
            try await app.testing().test(.POST, "/api/v1/users/ada/disable", headers: bearer(employee)) {
                #expect($0.status == .forbidden)
            }
        }
    }

    @Test("Tokens over the API: create (secret once), list without secrets, revoke, then 401")
    func tokens() async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["employee"], on: app)
            let token = try await Fixtures.token(for: "ada", on: app)
            var secret = ""
            var id = ""
            try await app.testing().test(.POST, "/api/v1/tokens", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"name": "shop", "expiresInDays": 30}"#)) { response in
                #expect(response.status == .created)
                let body = json(response)
                secret = body["secret"] as? String ?? ""
                id = (body["token"] as? [String: Any])?["id"] as? String ?? ""
                #expect(secret.hasPrefix("keel_"))
            }
            try await app.testing().test(.GET, "/api/v1/tokens", headers: bearer(token)) { response in
                #expect(!response.body.string.contains(secret))
                #expect((json(response)["items"] as? [Any])?.count == 2)
            }
            try await app.testing().test(.POST, "/api/v1/tokens", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"name": "x", "expiresInDays": 0}"#)) { response in
                #expect(response.status.code == 400 || response.status.code == 422)
            }
            try await app.testing().test(.DELETE, "/api/v1/tokens/\(id)", headers: bearer(token)) { #expect($0.status == .ok) }
            try await app.testing().test(.GET, "/api/v1/me", headers: bearer(secret)) { #expect($0.status == .unauthorized) }
        }
    }

    @Test("Health, the OpenAPI document, metrics (admin token only) and 404s")
    func operational() async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            try await Fixtures.user("erin", roles: ["employee"], on: app)
            try await app.testing().test(.GET, "/healthz") { response in
                #expect(response.status == .ok && response.body.string == #"{"status":"ok"}"#)
                // Each request gets an id of its own, a lower-case UUID, unless a proxy sent a sane one.
                let id = response.headers.first(name: "X-Request-Id") ?? ""
                #expect(UUID(uuidString: id) != nil && id == id.lowercased())
            }
            try await app.testing().test(.GET, "/healthz", headers: ["X-Request-Id": "edge-42"]) { response in
                #expect(response.headers.first(name: "X-Request-Id") == "edge-42")
            }
            try await app.testing().test(.GET, "/healthz", headers: ["X-Request-Id": "<script>"]) { response in
                let id = response.headers.first(name: "X-Request-Id") ?? ""
                #expect(UUID(uuidString: id) != nil && id == id.lowercased())
            }
            try await app.testing().test(.GET, "/api/openapi.json") { response in
                let document = json(response)
                #expect(document["openapi"] as? String == "3.1.0")
                let paths = document["paths"] as? [String: Any] ?? [:]
                #expect(paths.keys.contains("/api/v1/me") && paths.keys.contains("/api/v1/users"))
            }
            try await app.testing().test(.GET, "/metrics", headers: bearer(try await Fixtures.token(for: "erin", on: app))) {
                #expect($0.status == .forbidden)
            }
            try await app.testing().test(.GET, "/api/v1/me", headers: bearer(try await Fixtures.token(for: "ada", on: app))) { _ in }
            try await app.testing().test(.GET, "/metrics", headers: bearer(try await Fixtures.token(for: "ada", on: app))) { response in
                #expect(response.status == .ok)
                #expect(response.body.string.contains("keel_db_up"))
                #expect(response.body.string.contains("http_requests_total"))
            }
            try await app.testing().test(.GET, "/api/v1/nothing-here") { response in
                #expect(response.status == .notFound)
                #expect(problemCode(response) == "route.not_found")
            }
            try await app.testing().test(.GET, "/nothing-here", headers: ["Accept": "text/html"]) { response in
                #expect(response.status == .notFound)
                #expect(response.body.string.contains("There is nothing at this address"))
            }
            // Files are served from /static/ and nowhere else: not the rest of the resource folder, not via "..".
            try await app.testing().test(.GET, "/static/keel.css") { response in
                #expect(response.status == .ok && response.headers.contentType == .css)
                #expect(response.body.string.contains("{"))
            }
            for path in ["/static/missing.css", "/openapi.yaml", "/static/%2E%2E/openapi.yaml", "/static/../openapi.yaml"] {
                try await app.testing().test(.GET, path) { response in
                    #expect(response.status != .ok, "\(path) is served")
                    #expect(!response.body.string.contains("openapi: "), "\(path) shows the API source")
                }
            }
        }
    }
}
