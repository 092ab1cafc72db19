import Fluent
import Foundation
import Kernel
import NIOConcurrencyHelpers
import SQLKit

/// A user as shown in lists, the API and the audit log (never with the password hash).
public struct UserSummary: Sendable, Codable, Equatable {
    public let id: String
    public let username: String
    public let displayName: String
    public let email: String?
    public let roles: [String]
    public let disabled: Bool
    public let mustChangePassword: Bool
}

/// Users and roles: the use cases behind the admin pages, the API and `keel user`.
public struct UserService: Sendable {
    public let db: any Database
    public let context: PlatformContext

    public init(db: any Database, context: PlatformContext) {
        self.db = db
        self.context = context
    }

    public struct NewUser: Sendable {
        public var username: String
        public var displayName: String
        public var email: String?
        public var roles: [String]
        /// `nil` generates a password, returned once.
        public var password: String?

        public init(username: String, displayName: String? = nil, email: String? = nil, roles: [String],
                    password: String? = nil) {
            self.username = username
            self.displayName = displayName ?? username
            self.email = email
            self.roles = roles
            self.password = password
        }
    }

    /// Creates a user. Returns the user and, when no password was given, the generated one (shown once).
    @discardableResult
    public func create(_ input: NewUser, by actor: Principal) async throws -> (user: UserSummary, password: String?) {
        try require(actor, Permission("users", .admin))
        let username = input.username.trimmingCharacters(in: .whitespaces).lowercased()
        try Self.validateUsername(username)
        let displayName = input.displayName.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(displayName.count) else {
            throw DomainError.invalid("user.display_name.invalid", "A display name has 1 to 100 characters",
                                      field: "displayName")
        }
        if let email = input.email, !email.isEmpty, !Self.looksLikeEmail(email) {
            throw DomainError.invalid("user.email.invalid", "'\(email)' is not an e-mail address", field: "email")
        }
        let roles = try await validRoles(input.roles)
        let generated = input.password == nil ? Passwords.generate() : nil
        let password = input.password ?? generated!
        try Passwords.validate(password)
        let hash = try await Passwords.hash(password, cost: context.config.bcryptCost)
        let summary = try await writeTransaction(db) { tx -> UserSummary in
            if try await UserModel.query(on: tx).filter(\.$username == username).first() != nil {
                throw DomainError.conflict("user.username.taken", "A user named '\(username)' already exists",
                                           field: "username")
            }
            let user = UserModel()
            user.id = UUID.v7()
            user.username = username
            user.displayName = displayName
            user.email = input.email.flatMap { $0.isEmpty ? nil : $0 }
            user.passwordHash = hash
            user.mustChangePassword = generated != nil
            user.createdBy = actor.username
            try await user.create(on: tx)
            for role in roles { try await UserRoleModel(userID: user.id!, roleName: role).create(on: tx) }
            let summary = try await Self.summary(of: user, on: tx)
            try await context.audit(tx, actor, "user.create", entity: "user", id: summary.id,
                                    before: nil as UserSummary?, after: summary)
            try await context.publish("user.created", summary, on: tx)
            return summary
        }
        return (summary, generated)
    }

    public func list() async throws -> [UserSummary] {
        let users = try await UserModel.query(on: db).sort(\.$username).all()
        let links = try await UserRoleModel.query(on: db).all()
        let rolesByUser = Dictionary(grouping: links, by: \.userID).mapValues { $0.map(\.roleName).sorted() }
        return users.map { Self.summary(of: $0, roles: rolesByUser[$0.id!] ?? []) }
    }

    public func find(username: String) async throws -> UserSummary {
        try await Self.summary(of: try model(username), on: db)
    }

    public func find(id: String) async throws -> UserSummary? {
        guard let uuid = UUID(uuidString: id), let user = try await UserModel.find(uuid, on: db) else { return nil }
        return try await Self.summary(of: user, on: db)
    }

    /// Disables a user: their sessions end now and their API tokens stop working.
    public func disable(username: String, by actor: Principal) async throws -> UserSummary {
        try require(actor, Permission("users", .admin))
        return try await change(username, by: actor, action: "user.disable") { user, tx in
            if user.id?.uuidString == actor.userID {
                throw DomainError.invalid("user.disable.self", "You cannot disable your own account")
            }
            if try await Self.isLastActiveAdmin(user, on: tx) {
                throw DomainError.conflict("user.admin.last", "'\(user.username)' is the last active admin")
            }
            user.disabledAt = context.clock.now()
            try await SessionModel.query(on: tx).filter(\.$userID == user.id!).delete()
        }
    }

    public func enable(username: String, by actor: Principal) async throws -> UserSummary {
        try require(actor, Permission("users", .admin))
        return try await change(username, by: actor, action: "user.enable") { user, _ in user.disabledAt = nil }
    }

    /// Sets a new generated password (returned once), ends the user's sessions, and asks for a change at sign-in.
    public func resetPassword(username: String, by actor: Principal) async throws -> String {
        try require(actor, Permission("users", .admin))
        let password = Passwords.generate()
        let hash = try await Passwords.hash(password, cost: context.config.bcryptCost)
        _ = try await change(username, by: actor, action: "user.reset_password") { user, tx in
            user.passwordHash = hash
            user.mustChangePassword = true
            try await SessionModel.query(on: tx).filter(\.$userID == user.id!).delete()
        }
        return password
    }

    /// Replaces a user's roles.
    public func setRoles(username: String, roles: [String], by actor: Principal) async throws -> UserSummary {
        try require(actor, Permission("users", .admin))
        let roles = try await validRoles(roles)
        return try await change(username, by: actor, action: "user.set_roles") { user, tx in
            if !roles.contains("admin"), try await Self.isLastActiveAdmin(user, on: tx) {
                throw DomainError.conflict("user.admin.last",
                                           "'\(user.username)' is the last active admin; keep the admin role")
            }
            try await UserRoleModel.query(on: tx).filter(\.$userID == user.id!).delete()
            for role in roles { try await UserRoleModel(userID: user.id!, roleName: role).create(on: tx) }
        }
    }

    /// A user changes their own password, proving they know the current one.
    public func changeOwnPassword(actor: Principal, current: String, new: String) async throws {
        guard let id = actor.userID, let uuid = UUID(uuidString: id),
              let user = try await UserModel.find(uuid, on: db) else {
            throw DomainError(.unauthenticated, "auth.required", "Sign in first")
        }
        guard await Passwords.verify(current, hash: user.passwordHash) else {
            throw DomainError.invalid("user.password.wrong", "The current password is not correct",
                                      field: "currentPassword")
        }
        try Passwords.validate(new, field: "newPassword")
        guard new != current else {
            throw DomainError.invalid("user.password.unchanged", "Choose a password different from the current one",
                                      field: "newPassword")
        }
        let hash = try await Passwords.hash(new, cost: context.config.bcryptCost)
        _ = try await change(user.username, by: actor, action: "user.change_password") { user, _ in
            user.passwordHash = hash
            user.mustChangePassword = false
        }
    }

    /// Builds the principal for a user id: roles and the union of their permissions.
    public static func principal(userID: UUID, on db: any Database, tokenScopes: Set<String>? = nil)
        async throws -> Principal? {
        // Every request asks this: one read of the user with its roles, as plain rows (no model decoding).
        let rows = try await db.sql.raw("""
            SELECT \(unsafeRaw: userColumns) FROM users u \(unsafeRaw: rolesJoin) WHERE u.id = \(bind: userID)
            """).all()
        return try principal(userID: userID, rows: rows, tokenScopes: tokenScopes)
    }

    /// The user's columns that `principal(userID:rows:tokenScopes:)` reads, from `users u` joined with its roles
    /// by `rolesJoin`; sign-in checks select them beside their session's or token's own.
    static let userColumns = """
        u.username AS username, u.disabled_at AS disabled_at, ur.role_name AS role, r.permissions AS permissions
        """
    static let rolesJoin = "LEFT JOIN user_roles ur ON ur.user_id = u.id LEFT JOIN roles r ON r.name = ur.role_name"

    /// The principal from rows of one user joined with its roles (one row per role, or one with no role), which
    /// carry the columns `username`, `disabled_at`, `role` and `permissions`; `nil` if there are none or the user
    /// is disabled. Sign-in checks read the user this way in the same query as their token or session.
    static func principal(userID: UUID, rows: [any SQLRow], tokenScopes: Set<String>?) throws -> Principal? {
        guard let first = rows.first, try first.decode(column: "disabled_at", as: Date?.self) == nil else { return nil }
        var roleNames = Set<String>()
        var permissions = Set<Permission>()
        for row in rows {
            guard let role = try row.decode(column: "role", as: String?.self) else { continue }
            roleNames.insert(role)
            let granted = RolePermissions.parse(try row.decode(column: "permissions", as: String?.self) ?? "")
            // Most users have one role: its parsed set is shared as it is rather than rehashed into a new one.
            if permissions.isEmpty { permissions = granted } else { permissions.formUnion(granted) }
        }
        return Principal(userID: userID.uuidString, username: try first.decode(column: "username", as: String.self),
                         roles: roleNames, permissions: permissions, tokenScopes: tokenScopes)
    }

    public static func roles(on db: any Database) async throws -> [(name: String, summary: String, permissions: [String])] {
        try await RoleModel.query(on: db).sort(\.$id).all().map {
            ($0.id!, $0.summary, $0.permissions.split(separator: " ").map(String.init))
        }
    }

    public func hasActiveAdmin() async throws -> Bool {
        let admins = try await UserRoleModel.query(on: db).filter(\.$roleName == "admin").all().map(\.userID)
        guard !admins.isEmpty else { return false }
        return try await UserModel.query(on: db).filter(\.$id ~~ admins).filter(\.$disabledAt == nil).count() > 0
    }

    // MARK: Helpers

    private func change(_ username: String, by actor: Principal, action: String,
                        _ mutate: @escaping @Sendable (UserModel, any Database) async throws -> Void)
        async throws -> UserSummary {
        try await writeTransaction(db) { tx in
            let user = try await model(username, on: tx)
            let before = try await Self.summary(of: user, on: tx)
            try await mutate(user, tx)
            try await user.save(on: tx)
            // Whatever changed (state, roles, password) may change what the user's tokens stand for.
            context.bearers.forgetAfterCommit()
            let after = try await Self.summary(of: user, on: tx)
            try await context.audit(tx, actor, action, entity: "user", id: after.id, before: before, after: after)
            if action == "user.disable" { try await context.publish("user.disabled", after, on: tx) }
            return after
        }
    }

    private func model(_ username: String, on database: (any Database)? = nil) async throws -> UserModel {
        let name = username.trimmingCharacters(in: .whitespaces).lowercased()
        guard let user = try await UserModel.query(on: database ?? db).filter(\.$username == name).first() else {
            throw DomainError.notFound("user.not_found", "No user is named '\(username)'")
        }
        return user
    }

    private func validRoles(_ requested: [String]) async throws -> [String] {
        let wanted = Array(Set(requested.map { $0.trimmingCharacters(in: .whitespaces).lowercased() })).sorted()
        guard !wanted.isEmpty else {
            throw DomainError.invalid("user.role.required", "Give the user at least one role", field: "roles")
        }
        let known = Set(try await RoleModel.query(on: db).all().compactMap(\.id))
        if let unknown = wanted.first(where: { !known.contains($0) }) {
            throw DomainError.invalid("user.role.unknown",
                                      "'\(unknown)' is not a role; roles are \(known.sorted().joined(separator: ", "))",
                                      field: "roles")
        }
        return wanted
    }

    static func isLastActiveAdmin(_ user: UserModel, on db: any Database) async throws -> Bool {
        guard user.disabledAt == nil else { return false }
        let adminIDs = try await UserRoleModel.query(on: db).filter(\.$roleName == "admin").all().map(\.userID)
        guard adminIDs.contains(user.id!) else { return false }
        let active = try await UserModel.query(on: db).filter(\.$id ~~ adminIDs).filter(\.$disabledAt == nil).count()
        return active <= 1
    }

    static func validateUsername(_ username: String) throws(DomainError) {
        let allowed = username.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || "._-".contains($0) }
        guard (3...40).contains(username.count), allowed, username.first?.isLetter == true else {
            throw .invalid("user.username.invalid",
                           "A username has 3 to 40 characters: letters, digits, '.', '_' or '-', starting with a letter",
                           field: "username")
        }
    }

    static func looksLikeEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@")
        return parts.count == 2 && parts[1].contains(".") && !text.contains(" ") && text.count <= 200
    }

    static func summary(of user: UserModel, on db: any Database) async throws -> UserSummary {
        let roles = try await UserRoleModel.query(on: db).filter(\.$userID == user.id!).all().map(\.roleName).sorted()
        return summary(of: user, roles: roles)
    }

    static func summary(of user: UserModel, roles: [String]) -> UserSummary {
        UserSummary(id: user.id!.lowercaseText, username: user.username, displayName: user.displayName,
                    email: user.email, roles: roles, disabled: user.disabledAt != nil,
                    mustChangePassword: user.mustChangePassword)
    }
}

/// Throws `auth.forbidden` unless the principal holds the permission.
public func require(_ actor: Principal, _ permission: Permission) throws(DomainError) {
    guard actor.can(permission) else {
        throw .forbidden("auth.forbidden", "You need the '\(permission)' permission for this")
    }
}

/// A role's permissions text parsed once per process: every request's principal reads its roles, and parsing the
/// admin role's fifty-odd permissions each time showed in the request profile. Keyed by the text itself, so an
/// edited role is simply another key; the cache is dropped when it holds more texts than roles could plausibly have.
enum RolePermissions {
    private static let parsed = NIOLockedValueBox<[String: Set<Permission>]>([:])
    static let textsMax = 256

    static func parse(_ text: String) -> Set<Permission> {
        if let known = parsed.withLockedValue({ $0[text] }) { return known }
        let permissions = Set(text.split(separator: " ").compactMap { Permission(String($0)) })
        parsed.withLockedValue { cache in
            if cache.count >= textsMax { cache.removeAll() }
            cache[text] = permissions
        }
        return permissions
    }
}
