import Fluent
import Foundation
import Kernel
import SQLKit

/// A signed-in browser session.
public struct SessionInfo: Sendable {
    public let sessionID: UUID
    public let principal: Principal
    public let csrfToken: String
    public let mustChangePassword: Bool
}

/// An API token as listed (the secret itself is shown only once, at creation).
public struct TokenSummary: Sendable, Codable, Equatable {
    public let id: String
    public let name: String
    public let username: String
    public let scopes: [String]
    public let expiresOn: CivilDate?
    public let createdAt: Date
    public let lastUsedAt: Date?
    public let revoked: Bool
    /// Whether its expiry had passed when it was listed (a request with it is then refused).
    public let expired: Bool

    /// What it is: `revoked`, `expired` (and not revoked), or `active`.
    public var state: String { revoked ? "revoked" : expired ? "expired" : "active" }
}

/// Sign-in with throttling, sessions, and API tokens.
public struct AuthService: Sendable {
    public let db: any Database
    public let context: PlatformContext

    public init(db: any Database, context: PlatformContext) {
        self.db = db
        self.context = context
    }

    // MARK: Sign-in

    /// Checks a username and password and opens a session. Failures count per account and per address;
    /// past `loginFailuresMax` each further attempt waits longer (30 s doubling, capped), never forever.
    /// Returns the session cookie's secret value and the session.
    public func signIn(username: String, password: String, remoteAddress: String?) async throws
        -> (token: String, session: SessionInfo) {
        let name = username.trimmingCharacters(in: .whitespaces).lowercased()
        let keys = ["user:\(name)"] + (remoteAddress.map { ["addr:\($0)"] } ?? [])
        try await ensureNotThrottled(keys)
        let user = try await UserModel.query(on: db).filter(\.$username == name).first()
        // Verify against a fixed hash when the user is unknown, so timing does not tell which names exist.
        let ok = await Passwords.verify(password, hash: user?.passwordHash ?? Self.dummyHash)
        guard let user, ok, user.disabledAt == nil else {
            try await recordFailure(keys, username: name, remoteAddress: remoteAddress)
            throw DomainError(.unauthenticated, "auth.invalid_credentials", "The username or password is not correct")
        }
        try await writeTransaction(db) { tx in
            try await LoginFailureModel.query(on: tx).filter(\.$id == "user:\(name)").delete()
        }
        let token = Secrets.random()
        let session = SessionModel()
        session.id = UUID.v7()
        session.tokenHash = Secrets.sha256(token)
        session.userID = user.id!
        session.csrfToken = Secrets.random()
        session.createdAt = context.clock.now()
        session.expiresAt = context.clock.now().addingTimeInterval(Double(context.config.sessionHours) * 3600)
        session.remoteAddress = remoteAddress
        let context = context
        try await writeTransaction(db) { tx in
            try await session.create(on: tx)
            try await context.audit(tx, Self.actor(user), "auth.sign_in", entity: "session",
                                    id: session.id!.lowercaseText, before: nil as SignInAudit?,
                                    after: SignInAudit(username: name, remoteAddress: remoteAddress, failures: nil))
        }
        guard let info = try await self.session(token: token) else {
            throw DomainError(.unauthenticated, "auth.invalid_credentials", "The username or password is not correct")
        }
        return (token, info)
    }

    /// The session for a cookie value, if it exists, has not expired, and its user is still enabled.
    public func session(token: String) async throws -> SessionInfo? {
        guard !token.isEmpty, token.count < 200 else { return nil }
        // Every page asks this: the session, its user and the user's roles in one read.
        let rows = try await db.sql.raw("""
            SELECT s.id AS session_id, s.user_id AS user_id, s.csrf_token AS csrf_token, s.expires_at AS expires_at,
                   u.must_change_password AS must_change_password, \(unsafeRaw: UserService.userColumns)
            FROM sessions s JOIN users u ON u.id = s.user_id \(unsafeRaw: UserService.rolesJoin)
            WHERE s.token_hash = \(bind: Secrets.sha256(token))
            """).all()
        guard let row = rows.first, try row.decode(column: "expires_at", as: Date.self) > context.clock.now(),
              let principal = try UserService.principal(userID: try row.decode(column: "user_id", as: UUID.self),
                                                        rows: rows, tokenScopes: nil) else { return nil }
        return SessionInfo(sessionID: try row.decode(column: "session_id", as: UUID.self), principal: principal,
                           csrfToken: try row.decode(column: "csrf_token", as: String.self),
                           mustChangePassword: try row.decode(column: "must_change_password", as: Bool.self))
    }

    public func signOut(token: String) async throws {
        let context = context
        try await writeTransaction(db) { tx in
            guard let session = try await SessionModel.query(on: tx).filter(\.$tokenHash == Secrets.sha256(token)).first(),
                  let user = try await UserModel.find(session.userID, on: tx) else { return }
            try await session.delete(on: tx)
            try await context.audit(tx, Self.actor(user), "auth.sign_out", entity: "session",
                                    id: session.id!.lowercaseText, before: nil as SignInAudit?,
                                    after: SignInAudit(username: user.username, remoteAddress: session.remoteAddress,
                                                       failures: nil))
        }
    }

    /// What the audit log keeps of a sign-in, a failed one, and a sign-out (never the password).
    struct SignInAudit: Codable, Sendable {
        let username: String
        let remoteAddress: String?
        let failures: Int?
    }

    /// Who a sign-in or sign-out is recorded as: the user, by name (their roles do not matter to the record).
    static func actor(_ user: UserModel) -> Principal {
        Principal(userID: user.id?.uuidString, username: user.username, roles: [], permissions: [])
    }

    static let dummyHash = "$2b$04$C6UzMDM.H6dfI/f/IKxGhuFCpmUzHh4B1W.Z3Gz9xZ1NhTrQ5hU2C"

    private func ensureNotThrottled(_ keys: [String]) async throws {
        let now = context.clock.now()
        let rows = try await LoginFailureModel.query(on: db).filter(\.$id ~~ keys).all()
        if let until = rows.compactMap(\.blockedUntil).filter({ $0 > now }).max() {
            let seconds = Int(until.timeIntervalSince(now).rounded(.up))
            throw DomainError(.rateLimited, "auth.throttled",
                              "Too many failed sign-ins. Try again in \(seconds) seconds.")
        }
    }

    /// Counts a failed sign-in against the account and the address, and records it in the audit log as made by
    /// "anonymous" (whoever typed the name is not known to be its owner).
    private func recordFailure(_ keys: [String], username: String, remoteAddress: String?) async throws {
        let now = context.clock.now()
        let config = context.config
        let context = context
        try await writeTransaction(db) { tx in
            var accountFailures: Int?
            for key in keys {
                let row = try await LoginFailureModel.find(key, on: tx) ?? {
                    let fresh = LoginFailureModel()
                    fresh.id = key
                    fresh.failures = 0
                    return fresh
                }()
                // Failures older than a day are forgiven.
                if row.failures > 0, now.timeIntervalSince(row.lastFailureAt) > 86_400 { row.failures = 0 }
                row.failures += 1
                row.lastFailureAt = now
                if row.failures >= config.loginFailuresMax {
                    let exponent = min(row.failures - config.loginFailuresMax, 16)
                    let delay = min(Double(config.loginBackoffSecondsMax), 30 * pow(2, Double(exponent)))
                    row.blockedUntil = now.addingTimeInterval(delay)
                }
                try await row.save(on: tx)
                if key.hasPrefix("user:") { accountFailures = row.failures }
            }
            let anonymous = Principal(userID: nil, username: "anonymous", roles: [], permissions: [])
            // The name as typed, cut short: it is whatever a stranger sent.
            let typed = String(username.prefix(40))
            try await context.audit(tx, anonymous, "auth.sign_in_failed", entity: "login", id: typed,
                                    before: nil as SignInAudit?,
                                    after: SignInAudit(username: typed, remoteAddress: remoteAddress,
                                                       failures: accountFailures))
        }
    }

    // MARK: API tokens

    public static let tokenPrefix = "keel_"
    public static let tokenNameLengthMax = 80
    public static let tokenDaysMax = 3650

    /// Creates a token for `username` (yourself, or anyone with `tokens:admin`). Scopes are permissions
    /// ("users:read"), "area:*" or "*"; a token never grants more than its user has.
    /// Returns the secret (shown once) and the stored summary.
    public func createToken(username: String, name: String, scopes: [String], expiresInDays: Int?,
                            by actor: Principal) async throws -> (secret: String, token: TokenSummary) {
        let owner = try await UserService(db: db, context: context).find(username: username)
        try requireOwnOrAdmin(ownerID: owner.id, actor: actor)
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...Self.tokenNameLengthMax).contains(trimmed.count) else {
            throw DomainError.invalid("token.name.invalid", "A token name has 1 to \(Self.tokenNameLengthMax) characters",
                                      field: "name")
        }
        let scopeList = scopes.isEmpty ? ["*"] : scopes
        for scope in scopeList where !Self.isValidScope(scope) {
            throw DomainError.invalid("token.scope.invalid",
                                      "'\(scope)' is not a scope; use area:action (users:read), area:* or *",
                                      field: "scopes")
        }
        if let days = expiresInDays, !(1...Self.tokenDaysMax).contains(days) {
            throw DomainError.invalid("token.expiry.invalid", "A token expires in 1 to \(Self.tokenDaysMax) days",
                                      field: "expiresInDays")
        }
        let secret = Self.tokenPrefix + Secrets.random()
        let row = APITokenModel()
        row.id = UUID.v7()
        row.userID = UUID(uuidString: owner.id)!
        row.name = trimmed
        row.tokenHash = Secrets.sha256(secret)
        row.scopes = scopeList.joined(separator: " ")
        row.expiresAt = expiresInDays.map { context.clock.now().addingTimeInterval(Double($0) * 86_400) }
        row.createdAt = context.clock.now()
        let summary = try await writeTransaction(db) { tx -> TokenSummary in
            try await row.create(on: tx)
            let summary = row.summary(username: owner.username, now: row.createdAt)
            try await context.audit(tx, actor, "token.create", entity: "api_token", id: summary.id,
                                    before: nil as TokenSummary?, after: summary)
            return summary
        }
        return (secret, summary)
    }

    public func revokeToken(id: String, by actor: Principal) async throws -> TokenSummary {
        guard let uuid = UUID(uuidString: id), let row = try await APITokenModel.find(uuid, on: db) else {
            throw DomainError.notFound("token.not_found", "No API token has the id '\(id)'")
        }
        try requireOwnOrAdmin(ownerID: row.userID.lowercaseText, actor: actor)
        let owner = try await UserModel.find(row.userID, on: db)?.username ?? "?"
        return try await writeTransaction(db) { tx in
            let now = context.clock.now()
            let before = row.summary(username: owner, now: now)
            if row.revokedAt == nil { row.revokedAt = now }
            try await row.save(on: tx)
            context.bearers.forgetAfterCommit()
            let after = row.summary(username: owner, now: now)
            try await context.audit(tx, actor, "token.revoke", entity: "api_token", id: after.id,
                                    before: before, after: after)
            return after
        }
    }

    /// Tokens of one user, or of everyone for a `tokens:admin` holder asking with `username == nil`.
    public func tokens(username: String?, actor: Principal) async throws -> [TokenSummary] {
        var query = APITokenModel.query(on: db).sort(\.$id, .descending)
        if let username {
            let owner = try await UserService(db: db, context: context).find(username: username)
            try requireOwnOrAdmin(ownerID: owner.id, actor: actor)
            query = query.filter(\.$userID == UUID(uuidString: owner.id)!)
        } else {
            try require(actor, Permission("tokens", .admin))
        }
        let rows = try await query.all()
        let now = context.clock.now()
        let names = Dictionary(uniqueKeysWithValues: try await UserModel.query(on: db).all().map { ($0.id!, $0.username) })
        return rows.map { $0.summary(username: names[$0.userID] ?? "?", now: now) }
    }

    /// The principal kept for a token (`BearerCache`) when answering needs nothing from the database: kept, not
    /// expired, and its use written less than a minute ago. `nil` means: ask `principal(bearer:)`.
    public static func keptPrincipal(bearer secret: String, context: PlatformContext) -> Principal? {
        guard secret.hasPrefix(tokenPrefix), secret.count < 200,
              let kept = context.bearers.entry(Secrets.sha256(secret)) else { return nil }
        let now = context.clock.now()
        if let expires = kept.expiresAt, expires <= now { return nil }
        guard let used = kept.lastUsedAt, now.timeIntervalSince(used) <= 60 else { return nil }
        return kept.principal
    }

    /// The principal behind a bearer token: `nil` if unknown, revoked, expired, or its user is disabled. A token used
    /// a moment ago is answered from `BearerCache` (see there for how changes reach it); otherwise, and once a minute
    /// when its use is written, it is read again.
    public func principal(bearer secret: String) async throws -> Principal? {
        if let kept = Self.keptPrincipal(bearer: secret, context: context) { return kept }
        guard secret.hasPrefix(Self.tokenPrefix), secret.count < 200 else { return nil }
        let digest = Secrets.sha256(secret)
        let now = context.clock.now()
        let bearers = context.bearers
        let generation = bearers.generation
        // Every API request asks this: the token, its user and the user's roles in one read, as plain rows.
        let rows = try await db.sql.raw("""
            SELECT t.id AS token_id, t.user_id AS user_id, t.scopes AS scopes, t.expires_at AS expires_at,
                   t.revoked_at AS revoked_at, t.last_used_at AS last_used_at, \(unsafeRaw: UserService.userColumns)
            FROM api_tokens t JOIN users u ON u.id = t.user_id \(unsafeRaw: UserService.rolesJoin)
            WHERE t.token_hash = \(bind: digest)
            """).all()
        guard let row = rows.first, try row.decode(column: "revoked_at", as: Date?.self) == nil else { return nil }
        let expires = try row.decode(column: "expires_at", as: Date?.self)
        if let expires, expires <= now { return nil }
        let scopes = Set(try row.decode(column: "scopes", as: String.self).split(separator: " ").map(String.init))
        guard let principal = try UserService.principal(userID: try row.decode(column: "user_id", as: UUID.self),
                                                        rows: rows, tokenScopes: scopes) else { return nil }
        let entry = BearerCache.Entry(principal: principal, tokenID: try row.decode(column: "token_id", as: UUID.self),
                                      expiresAt: expires, lastUsedAt: try row.decode(column: "last_used_at", as: Date?.self))
        bearers.keep(digest, entry, readIn: generation)
        try await noteUse(of: entry, digest: digest, at: now)
        return principal
    }

    /// Writes when a token was last used, at most once a minute per token, and notes it in the kept entry.
    private func noteUse(of token: BearerCache.Entry, digest: String, at now: Date) async throws {
        guard token.lastUsedAt.map({ now.timeIntervalSince($0) > 60 }) ?? true else { return }
        // A write: through the writer, so it queues behind posting rather than polling SQLite's lock.
        let id = token.tokenID
        try await writeTransaction(db) { tx in
            try await tx.sql.update("api_tokens").set("last_used_at", to: now).where("id", .equal, id).run()
        }
        context.bearers.used(digest, at: now)
    }

    static func isValidScope(_ scope: String) -> Bool {
        if scope == "*" { return true }
        let parts = scope.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let areas = Set(Permission.areas + ["fields.personal", "fields.bank", "fields.pay", "fields.cases"])
        return areas.contains(String(parts[0]))
            && (parts[1] == "*" || Permission.Action(rawValue: String(parts[1])) != nil)
    }

    private func requireOwnOrAdmin(ownerID: String, actor: Principal) throws(DomainError) {
        if actor.userID?.lowercased() == ownerID.lowercased() { return }
        try require(actor, Permission("tokens", .admin))
    }
}

extension APITokenModel {
    /// The token as listed at `now`; expired as the request path decides it (`expiresAt <= now`).
    func summary(username: String, now: Date) -> TokenSummary {
        TokenSummary(id: id!.lowercaseText, name: name, username: username,
                     scopes: scopes.split(separator: " ").map(String.init),
                     expiresOn: expiresAt.map { CivilDate(instant: $0, timeZone: TimeZone(identifier: "UTC")!) },
                     createdAt: createdAt, lastUsedAt: lastUsedAt, revoked: revokedAt != nil,
                     expired: expiresAt.map { $0 <= now } ?? false)
    }
}
