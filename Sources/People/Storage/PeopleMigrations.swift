import Fluent
import Foundation
import Kernel
import SQLKit

/// The People area's migrations, in order; names are stable forever.
public enum PeopleMigrations {
    public static var all: [any Migration] { [CreateOrganisation(), CreateEmployees()] }
}

struct CreateOrganisation: AsyncMigration {
    var name: String { "people.001.organisation" }

    func prepare(on db: any Database) async throws {
        try await db.schema("people_departments").id()
            .field("code", .string, .required).unique(on: "code")
            .field("name", .string, .required)
            .field("parent_id", .uuid, .references("people_departments", "id"))
            .field("archived", .bool, .required)
            .field("created_at", .string, .required)
            .create()
        try await db.schema("people_locations").id()
            .field("code", .string, .required).unique(on: "code")
            .field("name", .string, .required)
            .field("country", .string)
            .field("archived", .bool, .required)
            .field("created_at", .string, .required)
            .create()
        try await db.schema("people_positions").id()
            .field("code", .string, .required).unique(on: "code")
            .field("title", .string, .required)
            .field("department_id", .uuid, .references("people_departments", "id"))
            .field("budgeted_headcount", .int, .required)
            .field("archived", .bool, .required)
            .field("created_at", .string, .required)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("people_positions").delete()
        try await db.schema("people_locations").delete()
        try await db.schema("people_departments").delete()
    }
}

struct CreateEmployees: AsyncMigration {
    var name: String { "people.002.employees" }

    func prepare(on db: any Database) async throws {
        var schema = db.schema("people_employees").id()
            .field("number", .string, .required).unique(on: "number")
            .field("legal_name", .string, .required)
            .field("preferred_name", .string)
            .field("work_email", .string)
            .field("work_phone", .string)
            .field("status", .string, .required)
            .field("hire_date", .string, .required)
            .field("leaving_date", .string)
            .field("user_id", .uuid)
            // Field group personal.
            .field("birth_date", .string)
            .field("national_id", .string)
        for part in ["line1", "line2", "postal_code", "city", "region", "country"] {
            schema = schema.field(.string("home_\(part)"), .string)
        }
        try await schema
            .field("private_email", .string)
            .field("private_phone", .string)
            .field("emergency_contacts", .string, .required)
            // Field group bank.
            .field("iban", .string)
            .field("bic", .string)
            .field("user_disabled", .bool, .required)
            .field("created_by", .string, .required)
            .field("created_at", .string, .required)
            .field("updated_at", .string, .required)
            .create()
        try await db.sql.create(index: "people_employees_user").on("people_employees").column("user_id").run()
        try await db.sql.create(index: "people_employees_name").on("people_employees").column("legal_name").run()
        try await db.schema("people_assignments").id()
            .field("employee_id", .uuid, .required, .references("people_employees", "id"))
            .field("effective_date", .string, .required)
            .field("reason", .string, .required)
            .field("position_id", .uuid, .references("people_positions", "id"))
            .field("department_id", .uuid, .references("people_departments", "id"))
            .field("manager_id", .uuid, .references("people_employees", "id"))
            .field("location_id", .uuid, .references("people_locations", "id"))
            .field("contract_type", .string, .required)
            .field("weekly_hours", .string, .required)
            .field("fte", .string, .required)
            // Field group pay.
            .field("salary", .int64)
            .field("currency", .string)
            .field("pay_frequency", .string)
            .field("note", .string)
            .field("recorded_by", .string, .required)
            .field("recorded_at", .string, .required)
            .unique(on: "employee_id", "effective_date")
            .create()
        try await db.sql.create(index: "people_assignments_manager").on("people_assignments").column("manager_id").run()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("people_assignments").delete()
        try await db.schema("people_employees").delete()
    }
}
