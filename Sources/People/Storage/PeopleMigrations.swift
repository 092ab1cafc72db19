import Fluent
import Foundation
import Kernel
import SQLKit

/// The People area's migrations, in order; names are stable forever.
public enum PeopleMigrations {
    public static var all: [any Migration] { [CreateOrganisation(), CreateEmployees(), CreateLeave(), CreateChecklists(), CreateRecruitment(), CreateCasesAndTime(), CreateDocuments()] }
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

struct CreateLeave: AsyncMigration {
    var name: String { "people.003.leave" }

    func prepare(on db: any Database) async throws {
        try await db.schema("people_leave_types").id()
            .field("code", .string, .required).unique(on: "code")
            .field("name", .string, .required)
            .field("paid", .bool, .required)
            .field("limited", .bool, .required)
            .field("annual_days", .string, .required)
            .field("accrual", .string, .required)
            .field("carry_over_max", .string, .required)
            .field("carry_over_expiry", .string, .required)
            .field("archived", .bool, .required)
            .create()
        try await db.schema("people_holidays").id()
            .field("date", .string, .required)
            .field("name", .string, .required)
            .field("location_id", .uuid, .references("people_locations", "id"))
            .create()
        try await db.sql.create(index: "people_holidays_date").on("people_holidays").column("date").run()
        try await db.schema("people_leave_requests").id()
            .field("employee_id", .uuid, .required, .references("people_employees", "id"))
            .field("type_id", .uuid, .required, .references("people_leave_types", "id"))
            .field("start_date", .string, .required)
            .field("end_date", .string, .required)
            .field("half_start", .bool, .required)
            .field("half_end", .bool, .required)
            .field("days", .string, .required)
            .field("status", .string, .required)
            .field("note", .string)
            .field("decided_by", .string)
            .field("decided_at", .string)
            .field("decision_note", .string)
            .field("created_by", .string, .required)
            .field("created_at", .string, .required)
            .create()
        try await db.sql.create(index: "people_leave_requests_employee").on("people_leave_requests")
            .column("employee_id").column("start_date").run()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("people_leave_requests").delete()
        try await db.schema("people_holidays").delete()
        try await db.schema("people_leave_types").delete()
    }
}

struct CreateChecklists: AsyncMigration {
    var name: String { "people.004.checklists" }

    func prepare(on db: any Database) async throws {
        try await db.schema("people_checklists").id()
            .field("code", .string, .required).unique(on: "code")
            .field("name", .string, .required)
            .field("kind", .string, .required)
            .field("archived", .bool, .required)
            .create()
        try await db.schema("people_checklist_items").id()
            .field("checklist_id", .uuid, .required, .references("people_checklists", "id"))
            .field("position", .int, .required)
            .field("title", .string, .required)
            .field("owner", .string, .required)
            .field("due_offset_days", .int, .required)
            .create()
        try await db.schema("people_tasks").id()
            .field("employee_id", .uuid, .required, .references("people_employees", "id"))
            .field("checklist_id", .uuid, .references("people_checklists", "id"))
            .field("kind", .string, .required)
            .field("title", .string, .required)
            .field("owner", .string, .required)
            .field("due_date", .string, .required)
            .field("status", .string, .required)
            .field("done_by", .string)
            .field("done_at", .string)
            .field("created_at", .string, .required)
            .create()
        try await db.sql.create(index: "people_tasks_open").on("people_tasks").column("status").column("due_date").run()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("people_tasks").delete()
        try await db.schema("people_checklist_items").delete()
        try await db.schema("people_checklists").delete()
    }
}

struct CreateRecruitment: AsyncMigration {
    var name: String { "people.005.recruitment" }

    func prepare(on db: any Database) async throws {
        try await db.schema("people_openings").id()
            .field("code", .string, .required).unique(on: "code")
            .field("title", .string, .required)
            .field("position_id", .uuid, .references("people_positions", "id"))
            .field("status", .string, .required)
            .field("created_at", .string, .required)
            .create()
        try await db.schema("people_candidates").id()
            .field("opening_id", .uuid, .required, .references("people_openings", "id"))
            .field("name", .string, .required)
            .field("email", .string)
            .field("phone", .string)
            .field("stage", .string, .required)
            .field("notes", .string)
            .field("offer_salary", .int64)
            .field("offer_start", .string)
            .field("employee_id", .uuid, .references("people_employees", "id"))
            .field("applied_at", .string, .required)
            .field("stage_changed_at", .string, .required)
            .field("anonymised_at", .string)
            .create()
        try await db.schema("people_interviews").id()
            .field("candidate_id", .uuid, .required, .references("people_candidates", "id"))
            .field("date", .string, .required)
            .field("interviewers", .string, .required)
            .field("score", .int)
            .field("notes", .string)
            .field("recorded_by", .string, .required)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("people_interviews").delete()
        try await db.schema("people_candidates").delete()
        try await db.schema("people_openings").delete()
    }
}

struct CreateCasesAndTime: AsyncMigration {
    var name: String { "people.006.cases_time_training" }

    func prepare(on db: any Database) async throws {
        try await db.schema("people_cases").id()
            .field("number", .string, .required).unique(on: "number")
            .field("employee_id", .uuid, .required, .references("people_employees", "id"))
            .field("kind", .string, .required)
            .field("title", .string, .required)
            .field("parties", .string)
            .field("opened_on", .string, .required)
            .field("closed_on", .string)
            .field("outcome", .string)
            .field("status", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .string, .required)
            .create()
        try await db.schema("people_case_notes").id()
            .field("case_id", .uuid, .required, .references("people_cases", "id"))
            .field("at", .string, .required)
            .field("author", .string, .required)
            .field("text", .string, .required)
            .create()
        try await db.schema("people_timesheets").id()
            .field("employee_id", .uuid, .required, .references("people_employees", "id"))
            .field("week_start", .string, .required)
            .field("status", .string, .required)
            .field("lines", .string, .required)
            .field("submitted_at", .string)
            .field("decided_by", .string)
            .field("decided_at", .string)
            .field("decision_note", .string)
            .field("updated_at", .string, .required)
            .unique(on: "employee_id", "week_start")
            .create()
        try await db.schema("people_courses").id()
            .field("code", .string, .required).unique(on: "code")
            .field("title", .string, .required)
            .field("validity_months", .int)
            .field("mandatory_positions", .string, .required)
            .field("archived", .bool, .required)
            .create()
        try await db.schema("people_course_sessions").id()
            .field("course_id", .uuid, .required, .references("people_courses", "id"))
            .field("date", .string, .required)
            .field("place", .string)
            .field("capacity", .int, .required)
            .create()
        try await db.schema("people_enrolments").id()
            .field("session_id", .uuid, .required, .references("people_course_sessions", "id"))
            .field("employee_id", .uuid, .required, .references("people_employees", "id"))
            .field("status", .string, .required)
            .field("completed_on", .string)
            .field("expires_on", .string)
            .field("expiry_notified", .bool, .required)
            .unique(on: "session_id", "employee_id")
            .create()
    }

    func revert(on db: any Database) async throws {
        for table in ["people_enrolments", "people_course_sessions", "people_courses", "people_timesheets",
                      "people_case_notes", "people_cases"] {
            try await db.schema(table).delete()
        }
    }
}

struct CreateDocuments: AsyncMigration {
    var name: String { "people.007.documents" }

    func prepare(on db: any Database) async throws {
        try await db.schema("people_documents").id()
            .field("employee_id", .uuid, .required, .references("people_employees", "id"))
            .field("title", .string, .required)
            .field("kind", .string, .required)
            .field("confidentiality", .string, .required)
            .field("filename", .string, .required)
            .field("content_type", .string, .required)
            .field("size", .int, .required)
            .field("sha256", .string, .required)
            // Base64, so both databases store it as text.
            .field("content", .string, .required)
            .field("uploaded_by", .string, .required)
            .field("uploaded_at", .string, .required)
            .create()
        try await db.sql.create(index: "people_documents_employee").on("people_documents").column("employee_id").run()
    }

    func revert(on db: any Database) async throws { try await db.schema("people_documents").delete() }
}
