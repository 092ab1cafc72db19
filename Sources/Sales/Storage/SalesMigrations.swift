import Fluent
import Foundation
import Kernel
import SQLKit

/// The Sales area's migrations, in order; names are stable forever.
public enum SalesMigrations {
    public static var all: [any Migration] { [CreateSalesDocuments(), IndexAllocationDates(), CreateDunning()] }
}

struct CreateSalesDocuments: AsyncMigration {
    var name: String { "sales.001.documents" }

    func prepare(on db: any Database) async throws {
        try await db.schema("sales_orders").id()
            .field("number", .string, .required).unique(on: "number")
            .field("status", .string, .required)
            .field("customer_id", .uuid, .required)
            .field("customer_code", .string, .required)
            .field("customer_name", .string, .required)
            .field("currency", .string, .required)
            .field("order_date", .string, .required)
            .field("payment_terms", .string, .required)
            .field("reference", .string)
            .field("notes", .string)
            .field("billing_kind", .string, .required)
            .field("billing_interval", .string, .required)
            .field("billing_start", .string, .required)
            .field("billing_periods", .int)
            .field("billing_timing", .string, .required)
            .field("billed_periods", .int, .required)
            .field("ends_on", .string)
            .field("net", .int64, .required)
            .field("tax", .int64, .required)
            .field("gross", .int64, .required)
            .field("created_by", .string, .required)
            .field("created_at", .string, .required)
            .field("updated_at", .string, .required)
            .create()
        try await db.sql.create(index: "sales_orders_status").on("sales_orders").column("status").run()
        try await db.sql.create(index: "sales_orders_customer").on("sales_orders").column("customer_id").run()

        try await db.schema("sales_invoices").id()
            .field("number", .string).unique(on: "number")
            .field("kind", .string, .required)
            .field("status", .string, .required)
            .field("customer_id", .uuid, .required)
            .field("customer_code", .string, .required)
            .field("customer_name", .string, .required)
            .field("customer_address", .string)
            .field("customer_tax_id", .string)
            .field("order_id", .uuid, .references("sales_orders", "id"))
            .field("period_no", .int)
            .field("period_start", .string)
            .field("period_end", .string)
            .unique(on: "order_id", "period_no")
            .field("currency", .string, .required)
            .field("issue_date", .string, .required)
            .field("due_date", .string, .required)
            .field("payment_terms", .string, .required)
            .field("net", .int64, .required)
            .field("tax", .int64, .required)
            .field("gross", .int64, .required)
            .field("allocated", .int64, .required)
            .field("credited_invoice_id", .uuid, .references("sales_invoices", "id"))
            .field("entry_id", .string)
            .field("entry_number", .string)
            .field("reference", .string)
            .field("notes", .string)
            .field("tax_summary", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .string, .required)
            .field("updated_at", .string, .required)
            .create()
        try await db.sql.create(index: "sales_invoices_customer").on("sales_invoices").column("customer_id").run()
        try await db.sql.create(index: "sales_invoices_due").on("sales_invoices").column("status").column("due_date").run()
        try await db.sql.create(index: "sales_invoices_issue").on("sales_invoices").column("issue_date").run()

        // Order and invoice lines share one shape; `document_id` is the order's or the invoice's id.
        try await db.schema("sales_document_lines").id()
            .field("document_id", .uuid, .required)
            .field("line_no", .int, .required)
            .field("sku", .string)
            .field("description", .string, .required)
            .field("quantity", .string, .required)
            .field("unit_price", .string, .required)
            .field("tax_code", .string, .required)
            .field("account", .string, .required)
            .field("dimensions", .string, .required)
            .field("net", .int64, .required)
            .field("tax", .int64, .required)
            .field("gross", .int64, .required)
            .unique(on: "document_id", "line_no")
            .create()

        try await db.schema("sales_receipts").id()
            .field("number", .string, .required).unique(on: "number")
            .field("kind", .string, .required)
            .field("customer_id", .uuid, .required)
            .field("customer_code", .string, .required)
            .field("customer_name", .string, .required)
            .field("date", .string, .required)
            .field("amount", .int64, .required)
            .field("currency", .string, .required)
            .field("method", .string, .required)
            .field("account", .string, .required)
            .field("reference", .string)
            .field("allocated", .int64, .required)
            .field("entry_id", .string, .required)
            .field("entry_number", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .string, .required)
            .create()
        try await db.sql.create(index: "sales_receipts_customer").on("sales_receipts").column("customer_id").run()

        try await db.schema("sales_allocations").id()
            .field("customer_id", .uuid, .required)
            .field("target_kind", .string, .required)
            .field("target_id", .uuid, .required)
            .field("source_kind", .string, .required)
            .field("source_id", .uuid, .required)
            .field("date", .string, .required)
            .field("amount", .int64, .required)
            .field("currency", .string, .required)
            .field("reversal_of", .uuid)
            .field("reversed_by", .uuid)
            .field("created_by", .string, .required)
            .field("created_at", .string, .required)
            .create()
        try await db.sql.create(index: "sales_allocations_target").on("sales_allocations").column("target_id").column("date").run()
        try await db.sql.create(index: "sales_allocations_source").on("sales_allocations").column("source_id").column("date").run()
    }

    func revert(on db: any Database) async throws {
        for table in ["sales_allocations", "sales_receipts", "sales_document_lines", "sales_invoices", "sales_orders"] {
            try await db.schema(table).delete()
        }
    }
}

/// Lets the aging find the latest allocation date at once (to skip re-summing allocations when none is later).
struct IndexAllocationDates: AsyncMigration {
    var name: String { "sales.002.allocation_dates" }

    func prepare(on db: any Database) async throws {
        try await db.sql.create(index: "sales_allocations_date").on("sales_allocations").column("date").run()
    }

    func revert(on db: any Database) async throws {
        try await db.sql.drop(index: "sales_allocations_date").run()
    }
}

/// Reminders sent for overdue invoices: one row per invoice and level, from a dunning run.
struct CreateDunning: AsyncMigration {
    var name: String { "sales.003.dunning" }

    func prepare(on db: any Database) async throws {
        try await db.schema("sales_dunning").id()
            .field("invoice_id", .uuid, .required, .references("sales_invoices", "id"))
            .field("customer_id", .uuid, .required)
            .field("level", .int, .required)
            .field("date", .string, .required)
            .field("open", .int64, .required)
            .field("currency", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .string, .required)
            .unique(on: "invoice_id", "level")
            .create()
    }

    func revert(on db: any Database) async throws { try await db.schema("sales_dunning").delete() }
}
