import Fluent
import Foundation

// The platform's own tables. Models are internal: other areas use the services.

final class UserModel: Model, @unchecked Sendable {
    static let schema = "users"
    @ID(key: .id) var id: UUID?
    @Field(key: "username") var username: String
    @Field(key: "display_name") var displayName: String
    @OptionalField(key: "email") var email: String?
    @Field(key: "password_hash") var passwordHash: String
    @OptionalField(key: "disabled_at") var disabledAt: Date?
    @Field(key: "must_change_password") var mustChangePassword: Bool
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    init() {}
}

final class RoleModel: Model, @unchecked Sendable {
    static let schema = "roles"
    @ID(custom: "name", generatedBy: .user) var id: String?
    @Field(key: "description") var summary: String
    /// Space-separated permissions ("ledger:read ledger:write").
    @Field(key: "permissions") var permissions: String
    init() {}
    init(name: String, summary: String, permissions: [String]) {
        self.id = name
        self.summary = summary
        self.permissions = permissions.joined(separator: " ")
    }
}

final class UserRoleModel: Model, @unchecked Sendable {
    static let schema = "user_roles"
    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "role_name") var roleName: String
    init() {}
    init(userID: UUID, roleName: String) {
        self.id = UUID.v7()
        self.userID = userID
        self.roleName = roleName
    }
}

final class SessionModel: Model, @unchecked Sendable {
    static let schema = "sessions"
    @ID(key: .id) var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "user_id") var userID: UUID
    @Field(key: "csrf_token") var csrfToken: String
    @Field(key: "expires_at") var expiresAt: Date
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "remote_address") var remoteAddress: String?
    init() {}
}

final class APITokenModel: Model, @unchecked Sendable {
    static let schema = "api_tokens"
    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "name") var name: String
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "scopes") var scopes: String
    @OptionalField(key: "expires_at") var expiresAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @Field(key: "created_at") var createdAt: Date
    init() {}
}

final class LoginFailureModel: Model, @unchecked Sendable {
    static let schema = "login_failures"
    @ID(custom: "key", generatedBy: .user) var id: String?
    @Field(key: "failures") var failures: Int
    @Field(key: "last_failure_at") var lastFailureAt: Date
    @OptionalField(key: "blocked_until") var blockedUntil: Date?
    init() {}
}

final class AuditRowModel: Model, @unchecked Sendable {
    static let schema = "audit_log"
    @ID(custom: "seq", generatedBy: .user) var id: Int64?
    @Field(key: "at") var at: String
    @Field(key: "actor") var actor: String
    @Field(key: "action") var action: String
    @Field(key: "entity") var entity: String
    @Field(key: "entity_id") var entityID: String
    @OptionalField(key: "before_json") var beforeJSON: String?
    @OptionalField(key: "after_json") var afterJSON: String?
    @Field(key: "prev_hash") var prevHash: String
    @Field(key: "hash") var hash: String
    init() {}
}

final class OutboxModel: Model, @unchecked Sendable {
    static let schema = "outbox_events"
    @ID(key: .id) var id: UUID?
    @Field(key: "event_type") var eventType: String
    @Field(key: "payload") var payload: String
    @Field(key: "occurred_at") var occurredAt: Date
    @Field(key: "attempts") var attempts: Int
    @Field(key: "next_attempt_at") var nextAttemptAt: Date
    @OptionalField(key: "delivered_at") var deliveredAt: Date?
    @OptionalField(key: "failed_at") var failedAt: Date?
    @OptionalField(key: "last_error") var lastError: String?
    init() {}
}

final class SettingModel: Model, @unchecked Sendable {
    static let schema = "settings"
    @ID(custom: "key", generatedBy: .user) var id: String?
    @Field(key: "value") var value: String
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    init() {}
}
