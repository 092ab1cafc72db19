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

    @Test("A token used a moment ago is answered from memory: changes made here count at once, others within the lifetime")
    func bearerCache() async throws {
        let clock = MutableClock()
        try await withTestDatabase(clock: clock) { db, context in
            var config = context.config
            config.tokenCacheMilliseconds = 60_000
            let keeping = PlatformContext(config: config, clock: clock)
            config.tokenCacheMilliseconds = 0
            let reading = AuthService(db: db, context: PlatformContext(config: config, clock: clock))
            let auth = AuthService(db: db, context: keeping)
            let users = UserService(db: db, context: keeping)
            try await users.create(.init(username: "root", roles: ["admin"], password: "long enough pw"), by: .system)
            try await users.create(.init(username: "hal", roles: ["auditor"], password: "long enough pw"), by: .system)
            let token = try await auth.createToken(username: "hal", name: "feed", scopes: ["*"], expiresInDays: nil,
                                                   by: .system)
            let first = try #require(try await auth.principal(bearer: token.secret))
            #expect(first.roles == ["auditor"] && first.can(Permission("audit", .read)))
            let used = try await auth.tokens(username: "hal", actor: .system)[0].lastUsedAt
            #expect(used.map { abs($0.timeIntervalSince(clock.now())) < 0.01 } == true)

            // Revoked by another process (the CLI, a second server): the kept principal answers until the lifetime
            // ends or something here forgets it; a process that keeps nothing refuses the token at once.
            try await db.sql.raw("UPDATE api_tokens SET revoked_at = \(bind: clock.now())").run()
            #expect(try await auth.principal(bearer: token.secret) == first)
            #expect(try await reading.principal(bearer: token.secret) == nil)
            keeping.bearers.forget()
            #expect(try await auth.principal(bearer: token.secret) == nil)

            // Changes made through this process count at once: roles, disabling, revoking.
            let second = try await auth.createToken(username: "hal", name: "feed 2", scopes: ["*"], expiresInDays: 1,
                                                    by: .system)
            _ = try #require(try await auth.principal(bearer: second.secret))
            _ = try await users.setRoles(username: "hal", roles: ["employee"], by: .system)
            let demoted = try #require(try await auth.principal(bearer: second.secret))
            #expect(demoted.roles == ["employee"] && !demoted.can(Permission("audit", .read)))
            // A kept token's use is still written, at most once a minute.
            clock.advance(by: 61)
            _ = try #require(try await auth.principal(bearer: second.secret))
            let listed = try await auth.tokens(username: "hal", actor: .system).first { $0.name == "feed 2" }
            #expect(listed?.lastUsedAt.map { abs($0.timeIntervalSince(clock.now())) < 0.01 } == true)
            // Expiry counts on every request, kept or not, and the list says so.
            #expect(listed?.state == "active")
            clock.advance(by: 86_400)
            #expect(try await auth.principal(bearer: second.secret) == nil)
            let expired = try await auth.tokens(username: "hal", actor: .system)
            let lapsed = try #require(expired.first { $0.name == "feed 2" })
            #expect(lapsed.expired && lapsed.state == "expired")
            // Revoked and without an expiry: revoked, never expired.
            let revoked = try #require(expired.first { $0.name == "feed" })
            #expect(!revoked.expired && revoked.state == "revoked")
            let third = try await auth.createToken(username: "hal", name: "feed 3", scopes: ["*"], expiresInDays: nil,
                                                   by: .system)
            _ = try #require(try await auth.principal(bearer: third.secret))
            let fourth = try await auth.createToken(username: "hal", name: "feed 4", scopes: ["*"], expiresInDays: nil,
                                                    by: .system)
            _ = try #require(try await auth.principal(bearer: fourth.secret))
            _ = try await auth.revokeToken(id: fourth.token.id, by: .system)
            #expect(try await auth.principal(bearer: fourth.secret) == nil)
            #expect(try await auth.principal(bearer: third.secret) != nil)
            _ = try await users.disable(username: "hal", by: .system)
            #expect(try await auth.principal(bearer: third.secret) == nil)
        }
    }

    @Test("KEEL_TOKEN_CACHE_MS sets how long a token's principal is kept; a bad value names the variable")
    func tokenCacheSetting() throws {
        let base = ["KEEL_DATABASE_URL": "sqlite:///tmp/keel-config-test.sqlite"]
        #expect(try KeelConfig.fromEnvironment(base).tokenCacheMilliseconds == 1_000)
        let off = try KeelConfig.fromEnvironment(base.merging(["KEEL_TOKEN_CACHE_MS": "0"]) { $1 })
        #expect(off.tokenCacheMilliseconds == 0 && PlatformContext(config: off).bearers.lifetime == .zero)
        for bad in ["-1", "60001", "soon"] {
            do {
                _ = try KeelConfig.fromEnvironment(base.merging(["KEEL_TOKEN_CACHE_MS": bad]) { $1 })
                Issue.record("KEEL_TOKEN_CACHE_MS=\(bad) was accepted")
            } catch {
                #expect(error.code == "config.invalid" && error.message.contains("KEEL_TOKEN_CACHE_MS"))
            }
        }
    }

    @Test("The bearer cache keeps nothing read before a forgetting, nothing with no lifetime, nothing past it")
    func bearerCacheRules() async throws {
        let entry = BearerCache.Entry(principal: .system, tokenID: UUID(), expiresAt: nil, lastUsedAt: nil)
        let cache = BearerCache(lifetime: .seconds(60))
        let before = cache.generation
        cache.forget()
        cache.keep("digest", entry, readIn: before)
        #expect(cache.entry("digest") == nil)
        cache.keep("digest", entry, readIn: cache.generation)
        #expect(cache.entry("digest")?.tokenID == entry.tokenID)
        cache.forget()
        #expect(cache.entry("digest") == nil)
        let none = BearerCache(lifetime: .zero)
        none.keep("digest", entry, readIn: none.generation)
        #expect(none.entry("digest") == nil)
        let brief = BearerCache(lifetime: .milliseconds(1))
        brief.keep("digest", entry, readIn: brief.generation)
        try await Task.sleep(for: .milliseconds(5))
        #expect(brief.entry("digest") == nil)
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
