import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import Platform
import SQLKit
import Testing

@Suite("Users")
struct UserServiceTests {
    @Test("Creating a user audits it and publishes user.created; a generated password is returned once")
    func create() async throws {
        try await withTestDatabase { db, context in
            let users = UserService(db: db, context: context)
            let created = try await users.create(.init(username: "Alice", roles: ["accountant", "hr"]), by: .system)
            #expect(created.user.username == "alice" && created.user.roles == ["accountant", "hr"])
            #expect(created.password?.count == 20 && created.user.mustChangePassword)
            let audit = try await AuditChain.list(on: db, filter: .init(entity: "user"))
            #expect(audit.count == 1 && audit[0].action == "user.create" && audit[0].actor == "system")
            #expect(audit[0].after?.contains("\"username\":\"alice\"") == true)
            #expect(audit[0].after?.contains("password") == false)
            #expect(try await Outbox.recent(on: db, type: "user.created").count == 1)
        }
    }

    @Test("Bad input is refused with a specific code and writes nothing")
    func refusesBadInput() async throws {
        try await withTestDatabase { db, context in
            let users = UserService(db: db, context: context)
            try await users.create(.init(username: "bob", roles: ["employee"], password: "long enough pw"), by: .system)
            let cases: [(UserService.NewUser, String)] = [
                (.init(username: "x", roles: ["employee"]), "user.username.invalid"),
                (.init(username: "1abc", roles: ["employee"]), "user.username.invalid"),
                (.init(username: "bad name", roles: ["employee"]), "user.username.invalid"),
                (.init(username: "bob", roles: ["employee"]), "user.username.taken"),
                (.init(username: "carol", roles: []), "user.role.required"),
                (.init(username: "carol", roles: ["wizard"]), "user.role.unknown"),
                (.init(username: "carol", roles: ["employee"], password: "short"), "user.password.too_short"),
                (.init(username: "carol", email: "not-an-email", roles: ["employee"]), "user.email.invalid"),
            ]
            for (input, expected) in cases {
                #expect(await domainErrorCode { _ = try await users.create(input, by: .system) } == expected)
            }
            #expect(try await users.list().map(\.username) == ["bob"])
            #expect(try await AuditChain.list(on: db, filter: .init()).count == 1)
        }
    }

    @Test("Only users:admin may manage users; the last admin cannot be disabled or demoted")
    func permissions() async throws {
        try await withTestDatabase { db, context in
            let users = UserService(db: db, context: context)
            try await users.create(.init(username: "root", roles: ["admin"], password: "long enough pw"), by: .system)
            try await users.create(.init(username: "emma", roles: ["employee"], password: "long enough pw"), by: .system)
            let emma = try await UserService.principal(userID: UUID(uuidString: try await users.find(username: "emma").id)!, on: db)!
            #expect(await domainErrorCode { _ = try await users.create(.init(username: "zed", roles: ["admin"]), by: emma) } == "auth.forbidden")
            #expect(await domainErrorCode { _ = try await users.disable(username: "root", by: .system) } == "user.admin.last")
            #expect(await domainErrorCode { _ = try await users.setRoles(username: "root", roles: ["employee"], by: .system) }
                    == "user.admin.last")
            #expect(await domainErrorCode { _ = try await users.disable(username: "nobody", by: .system) } == "user.not_found")
        }
    }

    @Test("Changing one's own password needs the current one")
    func changePassword() async throws {
        try await withTestDatabase { db, context in
            let users = UserService(db: db, context: context)
            try await users.create(.init(username: "dora", roles: ["employee"], password: "first password"), by: .system)
            let dora = try await UserService.principal(userID: UUID(uuidString: try await users.find(username: "dora").id)!, on: db)!
            #expect(await domainErrorCode { try await users.changeOwnPassword(actor: dora, current: "wrong one!!", new: "second password") }
                    == "user.password.wrong")
            #expect(await domainErrorCode { try await users.changeOwnPassword(actor: dora, current: "first password", new: "short") }
                    == "user.password.too_short")
            try await users.changeOwnPassword(actor: dora, current: "first password", new: "second password")
            let auth = AuthService(db: db, context: context)
            _ = try await auth.signIn(username: "dora", password: "second password", remoteAddress: nil)
        }
    }
}

@Suite("Sign-in, sessions and tokens")
struct AuthServiceTests {
    @Test("A session ends when it expires; one whose user must change the password says so")
    func sessionExpiry() async throws {
        let clock = MutableClock()
        try await withTestDatabase(clock: clock) { db, context in
            let auth = AuthService(db: db, context: context)
            let created = try await UserService(db: db, context: context)
                .create(.init(username: "hal", roles: ["employee"]), by: .system)
            let (cookie, _) = try await auth.signIn(username: "hal", password: try #require(created.password),
                                                    remoteAddress: nil)
            #expect(try await auth.session(token: cookie)?.mustChangePassword == true)
            clock.advance(by: Double(context.config.sessionHours) * 3600 - 1)
            #expect(try await auth.session(token: cookie) != nil)
            clock.advance(by: 2)
            #expect(try await auth.session(token: cookie) == nil)
        }
    }

    @Test("A disabled user's session and token stop working at once")
    func disabledUser() async throws {
        try await withTestDatabase { db, context in
            let users = UserService(db: db, context: context)
            let auth = AuthService(db: db, context: context)
            try await users.create(.init(username: "root", roles: ["admin"], password: "long enough pw"), by: .system)
            try await users.create(.init(username: "eve", roles: ["employee", "auditor"], password: "long enough pw"),
                                   by: .system)
            let (cookie, opened) = try await auth.signIn(username: "eve", password: "long enough pw", remoteAddress: "10.0.0.1")
            let token = try await auth.createToken(username: "eve", name: "script", scopes: ["audit:read"],
                                                   expiresInDays: 5, by: .system)
            // The session and the token are each read with their user and roles in one query: every field counts.
            let session = try #require(try await auth.session(token: cookie))
            #expect(session.sessionID == opened.sessionID && session.csrfToken == opened.csrfToken)
            #expect(!session.mustChangePassword && session.principal.tokenScopes == nil)
            #expect(session.principal == opened.principal && session.principal.roles == ["employee", "auditor"])
            #expect(session.principal.can(Permission("audit", .read)) && !session.principal.can(Permission("users", .admin)))
            let viaToken = try #require(try await auth.principal(bearer: token.secret))
            #expect(viaToken.username == "eve" && viaToken.roles == ["employee", "auditor"])
            #expect(viaToken.tokenScopes == ["audit:read"] && viaToken.can(Permission("audit", .read)))
            #expect(viaToken.permissions == session.principal.permissions)
            _ = try await users.disable(username: "eve", by: .system)
            #expect(try await auth.session(token: cookie) == nil)
            #expect(try await auth.principal(bearer: token.secret) == nil)
            #expect(await domainErrorCode { _ = try await auth.signIn(username: "eve", password: "long enough pw", remoteAddress: nil) }
                    == "auth.invalid_credentials")
        }
    }

    @Test("Repeated failures back off per account and address, then expire instead of locking forever")
    func throttling() async throws {
        let clock = MutableClock()
        try await withTestDatabase(clock: clock) { db, context in
            let auth = AuthService(db: db, context: context)
            try await UserService(db: db, context: context)
                .create(.init(username: "fay", roles: ["employee"], password: "long enough pw"), by: .system)
            for _ in 0..<context.config.loginFailuresMax {
                #expect(await domainErrorCode { _ = try await auth.signIn(username: "fay", password: "nope nope nope", remoteAddress: "10.9.9.9") }
                        == "auth.invalid_credentials")
            }
            // Even the right password waits now, from any address.
            #expect(await domainErrorCode { _ = try await auth.signIn(username: "fay", password: "long enough pw", remoteAddress: "10.1.1.1") }
                    == "auth.throttled")
            clock.advance(by: 31)
            _ = try await auth.signIn(username: "fay", password: "long enough pw", remoteAddress: "10.1.1.1")
        }
    }

    @Test("Sign-in, a failed sign-in and sign-out are in the audit log, with the address and never the password")
    func signInAudit() async throws {
        try await withTestDatabase { db, context in
            let auth = AuthService(db: db, context: context)
            try await UserService(db: db, context: context)
                .create(.init(username: "gus", roles: ["employee"], password: "long enough pw"), by: .system)
            #expect(await domainErrorCode {
                _ = try await auth.signIn(username: "Gus ", password: "wrong password", remoteAddress: "10.0.0.7")
            } == "auth.invalid_credentials")
            let (token, session) = try await auth.signIn(username: "gus", password: "long enough pw", remoteAddress: "10.0.0.7")
            try await auth.signOut(token: token)
            #expect(try await auth.session(token: token) == nil)
            let records = try await AuditChain.list(on: db, filter: AuditFilter(limit: 3))
            #expect(records.map(\.action) == ["auth.sign_out", "auth.sign_in", "auth.sign_in_failed"])
            #expect(records.map(\.actor) == ["gus", "gus", "anonymous"])
            #expect(records[0].entityID == session.sessionID.uuidString.lowercased() && records[1].entityID == records[0].entityID)
            #expect(records[2].after == #"{"failures":1,"remoteAddress":"10.0.0.7","username":"gus"}"#)
            #expect(records.allSatisfy { !($0.after ?? "").contains("password") })
            #expect(try await AuditVerifier.verify(on: db, headPath: context.config.auditHeadPath).isIntact)
        }
    }

    @Test("Tokens: stored hashed, scoped, expiring, revocable; bad input is refused")
    func tokens() async throws {
        let clock = MutableClock()
        try await withTestDatabase(clock: clock) { db, context in
            let auth = AuthService(db: db, context: context)
            try await UserService(db: db, context: context)
                .create(.init(username: "gus", roles: ["auditor"], password: "long enough pw"), by: .system)
            let created = try await auth.createToken(username: "gus", name: "reader", scopes: ["audit:read"],
                                                     expiresInDays: 1, by: .system)
            let stored = try await db.sql.raw("SELECT token_hash FROM api_tokens").first()!.decode(column: "token_hash", as: String.self)
            #expect(stored == Secrets.sha256(created.secret) && !stored.contains(created.secret))
            let principal = try await auth.principal(bearer: created.secret)!
            #expect(principal.can(Permission("audit", .read)) && !principal.can(Permission("ledger", .read)))
            clock.advance(by: 86_401)
            #expect(try await auth.principal(bearer: created.secret) == nil)
            let second = try await auth.createToken(username: "gus", name: "again", scopes: [], expiresInDays: nil, by: .system)
            _ = try await auth.revokeToken(id: second.token.id, by: .system)
            #expect(try await auth.principal(bearer: second.secret) == nil)
            #expect(await domainErrorCode { _ = try await auth.createToken(username: "gus", name: "", scopes: [], expiresInDays: nil, by: .system) }
                    == "token.name.invalid")
            #expect(await domainErrorCode { _ = try await auth.createToken(username: "gus", name: "x", scopes: ["root"], expiresInDays: nil, by: .system) }
                    == "token.scope.invalid")
            #expect(await domainErrorCode { _ = try await auth.createToken(username: "gus", name: "x", scopes: [], expiresInDays: 0, by: .system) }
                    == "token.expiry.invalid")
            #expect(try await auth.principal(bearer: "keel_forged") == nil)
        }
    }

    @Test("A role's permissions are read from its row on every request, even after the role's text changes")
    func rolePermissionsFollowTheRow() async throws {
        try await withTestDatabase { db, context in
            let users = UserService(db: db, context: context)
            try await users.create(.init(username: "emma", roles: ["employee"], password: "long enough pw"), by: .system)
            let id = UUID(uuidString: try await users.find(username: "emma").id)!
            let before = try await UserService.principal(userID: id, on: db)!
            #expect(!before.permissions.contains(Permission("ledger", .admin)))
            let text = try await db.sql.raw("SELECT permissions FROM roles WHERE name = 'employee'").first()!
                .decode(column: "permissions", as: String.self)
            try await db.sql.raw("UPDATE roles SET permissions = \(bind: text + " ledger:admin not-a-permission") WHERE name = 'employee'").run()
            let after = try await UserService.principal(userID: id, on: db)!
            #expect(after.permissions == before.permissions.union([Permission("ledger", .admin)]))
            #expect(RolePermissions.parse("ledger:read sales:write bogus") == [Permission("ledger", .read), Permission("sales", .write)])
            #expect(RolePermissions.parse("") == [])
        }
    }
}
