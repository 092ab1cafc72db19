import Fluent
import Foundation
import KeelTesting
import Kernel
import Platform
import Testing
import Vapor
import VaporTesting
@testable import Web

@Suite("Pages: sign-in, CSRF, sessions")
struct SessionAndCSRFTests {
    @Test("Signing in through the form sets an HttpOnly, SameSite=Lax session cookie and opens the dashboard")
    func signIn() async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            var csrf = ""
            try await app.testing().test(.GET, "/login") { response in
                #expect(response.status == .ok)
                let html = response.body.string
                let marker = "name=\"_csrf\" value=\""
                let start = try #require(html.range(of: marker)).upperBound
                csrf = String(html[start...].prefix { $0 != "\"" })
                #expect(response.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
            }
            var cookie = ""
            try await app.testing().test(.POST, "/login", headers: formHeaders(cookie: "keel_csrf=\(csrf)"),
                                         body: formBody([("_csrf", csrf), ("username", "ada"),
                                                         ("password", Fixtures.password), ("next", "/admin/users")])) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers.first(name: .location) == "/admin/users")
                let setCookie = response.headers[.setCookie].first { $0.hasPrefix("keel_session=") } ?? ""
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax"))
                cookie = String(setCookie.prefix { $0 != ";" })
            }
            try await app.testing().test(.GET, "/", headers: ["Cookie": cookie]) { response in
                #expect(response.status == .ok)
                #expect(response.body.string.contains("Welcome, ada"))
            }
        }
    }

    @Test("A wrong password re-renders the form with a message and no session")
    func wrongPassword() async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            try await app.testing().test(.POST, "/login", headers: formHeaders(cookie: "keel_csrf=abc"),
                                         body: formBody([("_csrf", "abc"), ("username", "ada"), ("password", "nope")])) { response in
                #expect(response.status == .unauthorized)
                #expect(response.body.string.contains("The username or password is not correct"))
                #expect(!response.headers[.setCookie].contains { $0.hasPrefix("keel_session=") })
            }
        }
    }

    @Test("A form post without the CSRF token is refused with 403 and changes nothing")
    func csrfRequired() async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            let (cookie, csrf) = try await Fixtures.signIn("ada", on: app)
            let fields = [("username", "mallory"), ("roles[]", "admin"), ("password", "long enough pw")]
            try await app.testing().test(.POST, "/admin/users", headers: formHeaders(cookie: cookie),
                                         body: formBody(fields)) { response in
                #expect(response.status == .forbidden)
                #expect(response.body.string.contains("auth.csrf"))
            }
            try await app.testing().test(.POST, "/admin/users", headers: formHeaders(cookie: cookie),
                                         body: formBody(fields + [("_csrf", "forged")])) { response in
                #expect(response.status == .forbidden)
            }
            let users = try await UserService(db: app.db, context: app.keelContext).list()
            #expect(users.map(\.username) == ["ada"])
            // The same form with the session's token works.
            try await app.testing().test(.POST, "/admin/users", headers: formHeaders(cookie: cookie),
                                         body: formBody(fields + [("_csrf", csrf)])) { response in
                #expect(response.status == .ok)
                #expect(response.body.string.contains("User created"))
            }
        }
    }

    @Test("A disabled user's existing session is rejected at once")
    func disabledSession() async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            try await Fixtures.user("eve", roles: ["employee"], on: app)
            let (cookie, _) = try await Fixtures.signIn("eve", on: app)
            try await app.testing().test(.GET, "/profile", headers: ["Cookie": cookie]) { #expect($0.status == .ok) }
            _ = try await UserService(db: app.db, context: app.keelContext).disable(username: "eve", by: .system)
            try await app.testing().test(.GET, "/profile", headers: ["Cookie": cookie]) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers.first(name: .location)?.hasPrefix("/login") == true)
            }
        }
    }

    @Test("Form errors appear beside the field and nothing is written")
    func formErrors() async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            let (cookie, csrf) = try await Fixtures.signIn("ada", on: app)
            try await app.testing().test(.POST, "/admin/users", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("username", "x"), ("roles[]", "employee")])) { response in
                #expect(response.status == .unprocessableEntity)
                let html = response.body.string
                #expect(html.contains("class=\"field invalid\"") && html.contains("A username has 3 to 40 characters"))
            }
            try await app.testing().test(.POST, "/tokens", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("name", "t"), ("expiresInDays", "soon")])) { response in
                #expect(response.status == .unprocessableEntity)
                #expect(response.body.string.contains("whole number"))
            }
            #expect(try await UserService(db: app.db, context: app.keelContext).list().count == 1)
            #expect(try await AuthService(db: app.db, context: app.keelContext).tokens(username: nil, actor: .system).isEmpty)
        }
    }

    @Test("Every page in the navigation opens for an admin; an employee gets 403 on admin pages")
    func everyPage() async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            try await Fixtures.user("erin", roles: ["employee"], on: app)
            let admin = try await Fixtures.signIn("ada", on: app)
            let everyone = try await Fixtures.principal("ada", on: app)
            for item in Navigation.visible(to: everyone) + [NavItem(title: "user", path: "/admin/users/erin", permission: nil),
                                                           NavItem(title: "new", path: "/admin/users/new", permission: nil)] {
                try await app.testing().test(.GET, item.path, headers: ["Cookie": admin.cookie]) { response in
                    #expect(response.status == .ok, "\(item.path)")
                    #expect(!response.body.string.contains("style=\""), "no inline styles on \(item.path)")
                }
            }
            let employee = try await Fixtures.signIn("erin", on: app)
            for path in ["/admin/users", "/admin/roles", "/audit", "/admin/users/new"] {
                try await app.testing().test(.GET, path, headers: ["Cookie": employee.cookie]) { response in
                    #expect(response.status == .forbidden, "\(path)")
                }
            }
            try await app.testing().test(.GET, "/", headers: ["Cookie": employee.cookie]) { response in
                #expect(!response.body.string.contains("/admin/users\""))
            }
        }
    }
}
