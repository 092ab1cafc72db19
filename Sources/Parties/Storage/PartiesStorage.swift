import Fluent
import Foundation
import Kernel
import SQLKit

/// The Parties area's migrations, in order; names are stable forever.
public enum PartiesMigrations {
    public static var all: [any Migration] { [CreatePartners()] }
}

struct CreatePartners: AsyncMigration {
    var name: String { "parties.001.partners" }

    func prepare(on db: any Database) async throws {
        var schema = db.schema("partners").id()
            .field("code", .string, .required).unique(on: "code")
            .field("name", .string, .required)
            .field("is_customer", .bool, .required)
            .field("is_vendor", .bool, .required)
            .field("tax_id", .string)
            .field("email", .string)
            .field("phone", .string)
            .field("currency", .string)
            .field("payment_terms", .string, .required)
            .field("credit_limit", .int64)
        for prefix in ["billing", "shipping"] {
            for part in ["line1", "line2", "postal_code", "city", "region", "country"] {
                schema = schema.field(.string("\(prefix)_\(part)"), .string)
            }
        }
        try await schema
            .field("iban", .string)
            .field("bic", .string)
            .field("notes", .string)
            .field("archived", .bool, .required)
            .field("created_by", .string, .required)
            .field("created_at", .string, .required)
            .field("updated_at", .string, .required)
            .create()
        try await db.sql.create(index: "partners_name").on("partners").column("name").run()
        try await db.schema("partner_contacts").id()
            .field("partner_id", .uuid, .required, .references("partners", "id"))
            .field("position", .int, .required)
            .field("name", .string, .required)
            .field("email", .string)
            .field("phone", .string)
            .field("role", .string)
            .unique(on: "partner_id", "position")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("partner_contacts").delete()
        try await db.schema("partners").delete()
    }
}

/// Reads and writes partner rows with SQLKit: one shape for the list, the detail, the API and the CSV.
enum PartnerRows {
    static let addressParts = ["line1", "line2", "postal_code", "city", "region", "country"]

    static func values(_ valid: PartnerRules.Valid, code: String) -> [(String, any Encodable & Sendable)] {
        var values: [(String, any Encodable & Sendable)] = [
            ("code", code), ("name", valid.name), ("is_customer", valid.isCustomer), ("is_vendor", valid.isVendor),
            ("tax_id", valid.taxID), ("email", valid.email), ("phone", valid.phone), ("currency", valid.currency?.code),
            ("payment_terms", valid.paymentTerms.description), ("credit_limit", valid.creditLimit),
            ("iban", valid.iban), ("bic", valid.bic), ("notes", valid.notes),
        ]
        for (prefix, address) in [("billing", valid.billingAddress), ("shipping", valid.shippingAddress)] {
            let parts = [address.line1, address.line2, address.postalCode, address.city, address.region, address.country]
            for (part, value) in zip(addressParts, parts) { values.append(("\(prefix)_\(part)", value)) }
        }
        return values
    }

    static func partner(_ row: any SQLRow, contacts: [Contact]) throws -> Partner {
        func text(_ column: String) throws -> String? { try row.decode(column: column, as: String?.self) }
        func address(_ prefix: String) throws -> Address {
            Address(line1: try text("\(prefix)_line1"), line2: try text("\(prefix)_line2"),
                    postalCode: try text("\(prefix)_postal_code"), city: try text("\(prefix)_city"),
                    region: try text("\(prefix)_region"), country: try text("\(prefix)_country"))
        }
        return Partner(
            id: try row.decode(column: "id", as: UUID.self).lowercaseText,
            code: try row.decode(column: "code", as: String.self), name: try row.decode(column: "name", as: String.self),
            isCustomer: try row.decode(column: "is_customer", as: Bool.self),
            isVendor: try row.decode(column: "is_vendor", as: Bool.self),
            taxID: try text("tax_id"), email: try text("email"), phone: try text("phone"),
            currency: try text("currency").flatMap(Currency.init(code:)),
            paymentTerms: (try? PaymentTerms.parse(try row.decode(column: "payment_terms", as: String.self))) ?? .net30,
            creditLimit: try row.decode(column: "credit_limit", as: Int64?.self),
            billingAddress: try address("billing"), shippingAddress: try address("shipping"),
            iban: try text("iban"), bic: try text("bic"), notes: try text("notes"), contacts: contacts,
            archived: try row.decode(column: "archived", as: Bool.self),
            createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self))
    }

    static func contacts(of ids: [UUID], on db: any Database) async throws -> [UUID: [Contact]] {
        guard !ids.isEmpty else { return [:] }
        var result: [UUID: [Contact]] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            let rows = try await db.sql.select().columns("partner_id", "name", "email", "phone", "role")
                .from("partner_contacts").where("partner_id", .in, SQLBind.group(chunk))
                .orderBy("partner_id").orderBy("position").all()
            for row in rows {
                result[try row.decode(column: "partner_id", as: UUID.self), default: []].append(Contact(
                    name: try row.decode(column: "name", as: String.self),
                    email: try row.decode(column: "email", as: String?.self),
                    phone: try row.decode(column: "phone", as: String?.self),
                    role: try row.decode(column: "role", as: String?.self)))
            }
        }
        return result
    }

    static func replaceContacts(of id: UUID, with contacts: [Contact], on db: any Database) async throws {
        try await db.sql.delete(from: "partner_contacts").where("partner_id", .equal, id).run()
        guard !contacts.isEmpty else { return }
        var insert = db.sql.insert(into: "partner_contacts").columns("id", "partner_id", "position", "name", "email",
                                                                     "phone", "role")
        for (position, contact) in contacts.enumerated() {
            insert = insert.values(SQLBind(UUID.v7()), SQLBind(id), SQLBind(position), SQLBind(contact.name),
                                   SQLBind(contact.email), SQLBind(contact.phone), SQLBind(contact.role))
        }
        try await insert.run()
    }
}
