import Fluent
import SQLKit

/// The platform's migrations, in order. Names are stable forever: they are what the database remembers.
public enum PlatformMigrations {
    public static var all: [any Migration] {
        [CreateUsers(), CreateSessions(), CreateAudit(), CreateOutbox(), CreateSequences(), CreateSettings(),
         SeedRoles(), CreateIdempotencyKeys(), CreateWebhooks()]
    }
}

struct CreateUsers: AsyncMigration {
    var name: String { "platform.001.users" }
    func prepare(on db: any Database) async throws {
        try await db.schema("users").id()
            .field("username", .string, .required).unique(on: "username")
            .field("display_name", .string, .required)
            .field("email", .string)
            .field("password_hash", .string, .required)
            .field("disabled_at", .datetime)
            .field("must_change_password", .bool, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await db.schema("roles")
            .field("name", .string, .identifier(auto: false))
            .field("description", .string, .required)
            .field("permissions", .string, .required)
            .create()
        try await db.schema("user_roles").id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("role_name", .string, .required, .references("roles", "name"))
            .unique(on: "user_id", "role_name")
            .create()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("user_roles").delete()
        try await db.schema("roles").delete()
        try await db.schema("users").delete()
    }
}

struct CreateSessions: AsyncMigration {
    var name: String { "platform.002.sessions" }
    func prepare(on db: any Database) async throws {
        try await db.schema("sessions").id()
            .field("token_hash", .string, .required).unique(on: "token_hash")
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("csrf_token", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("created_at", .datetime, .required)
            .field("remote_address", .string)
            .create()
        try await db.schema("api_tokens").id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("token_hash", .string, .required).unique(on: "token_hash")
            .field("scopes", .string, .required)
            .field("expires_at", .datetime)
            .field("revoked_at", .datetime)
            .field("last_used_at", .datetime)
            .field("created_at", .datetime, .required)
            .create()
        try await db.schema("login_failures")
            .field("key", .string, .identifier(auto: false))
            .field("failures", .int, .required)
            .field("last_failure_at", .datetime, .required)
            .field("blocked_until", .datetime)
            .create()
    }
    func revert(on db: any Database) async throws {
        for table in ["login_failures", "api_tokens", "sessions"] { try await db.schema(table).delete() }
    }
}

struct CreateAudit: AsyncMigration {
    var name: String { "platform.003.audit" }
    func prepare(on db: any Database) async throws {
        try await db.schema("audit_log")
            .field("seq", .int64, .identifier(auto: false))
            .field("at", .string, .required)
            .field("actor", .string, .required)
            .field("action", .string, .required)
            .field("entity", .string, .required)
            .field("entity_id", .string, .required)
            .field("before_json", .string)
            .field("after_json", .string)
            .field("prev_hash", .string, .required)
            .field("hash", .string, .required)
            .create()
        try await db.sql.create(index: "audit_log_entity").on("audit_log").column("entity").column("entity_id").run()
        try await db.sql.create(index: "audit_log_actor").on("audit_log").column("actor").run()
        // One row that every appender locks and advances: it orders concurrent writers on PostgreSQL.
        try await db.schema("audit_head")
            .field("id", .int, .identifier(auto: false))
            .field("seq", .int64, .required)
            .field("hash", .string, .required)
            .create()
        try await db.sql.insert(into: "audit_head").columns("id", "seq", "hash")
            .values(SQLLiteral.numeric("1"), SQLLiteral.numeric("0"), SQLBind(AuditChain.genesisHash)).run()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("audit_head").delete()
        try await db.schema("audit_log").delete()
    }
}

struct CreateOutbox: AsyncMigration {
    var name: String { "platform.004.outbox" }
    func prepare(on db: any Database) async throws {
        try await db.schema("outbox_events").id()
            .field("event_type", .string, .required)
            .field("payload", .string, .required)
            .field("occurred_at", .datetime, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("delivered_at", .datetime)
            .field("failed_at", .datetime)
            .field("last_error", .string)
            .create()
        try await db.sql.create(index: "outbox_pending").on("outbox_events")
            .column("delivered_at").column("failed_at").column("next_attempt_at").run()
    }
    func revert(on db: any Database) async throws { try await db.schema("outbox_events").delete() }
}

struct CreateSequences: AsyncMigration {
    var name: String { "platform.005.sequences" }
    func prepare(on db: any Database) async throws {
        try await db.schema("document_sequences").id()
            .field("series", .string, .required)
            .field("year", .int, .required)
            .field("next_value", .int64, .required)
            .unique(on: "series", "year")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("document_sequences").delete() }
}

struct CreateSettings: AsyncMigration {
    var name: String { "platform.006.settings" }
    func prepare(on db: any Database) async throws {
        try await db.schema("settings")
            .field("key", .string, .identifier(auto: false))
            .field("value", .string, .required)
            .field("updated_at", .datetime)
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("settings").delete() }
}

struct SeedRoles: AsyncMigration {
    var name: String { "platform.007.seed_roles" }
    func prepare(on db: any Database) async throws {
        for role in Roles.seeded {
            try await RoleModel(name: role.name, summary: role.summary,
                                permissions: role.permissions.map(\.description).sorted()).create(on: db)
        }
    }
    func revert(on db: any Database) async throws {
        try await RoleModel.query(on: db).filter(\.$id ~~ Roles.seeded.map(\.name)).delete()
    }
}
