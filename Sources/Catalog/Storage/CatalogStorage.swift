import Fluent
import Foundation
import Kernel
import SQLKit

/// The Catalog area's migrations, in order; names are stable forever.
public enum CatalogMigrations {
    public static var all: [any Migration] { [CreateProducts()] }
}

struct CreateProducts: AsyncMigration {
    var name: String { "catalog.001.products" }

    func prepare(on db: any Database) async throws {
        try await db.schema("products").id()
            .field("sku", .string, .required).unique(on: "sku")
            .field("name", .string, .required)
            .field("kind", .string, .required)
            .field("unit", .string, .required)
            .field("income_account", .string)
            .field("tax_code", .string)
            .field("description", .string)
            .field("archived", .bool, .required)
            .field("created_by", .string, .required)
            .field("created_at", .string, .required)
            .field("updated_at", .string, .required)
            .create()
        try await db.sql.create(index: "products_name").on("products").column("name").run()
        // Unit prices as exact decimal text, one row per currency.
        try await db.schema("product_prices").id()
            .field("product_id", .uuid, .required, .references("products", "id"))
            .field("currency", .string, .required)
            .field("price", .string, .required)
            .unique(on: "product_id", "currency")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("product_prices").delete()
        try await db.schema("products").delete()
    }
}

enum ProductRows {
    static func product(_ row: any SQLRow, prices: [String: Decimal]) throws -> Product {
        Product(id: try row.decode(column: "id", as: UUID.self).lowercaseText,
                sku: try row.decode(column: "sku", as: String.self), name: try row.decode(column: "name", as: String.self),
                kind: Product.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .product,
                unit: try row.decode(column: "unit", as: String.self), prices: prices,
                incomeAccount: try row.decode(column: "income_account", as: String?.self),
                taxCode: try row.decode(column: "tax_code", as: String?.self),
                description: try row.decode(column: "description", as: String?.self),
                archived: try row.decode(column: "archived", as: Bool.self),
                createdAt: try row.decode(column: "created_at", as: String.self),
                updatedAt: try row.decode(column: "updated_at", as: String.self))
    }

    static func prices(of ids: [UUID], on db: any Database) async throws -> [UUID: [String: Decimal]] {
        var result: [UUID: [String: Decimal]] = [:]
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            for row in try await db.sql.select().columns("product_id", "currency", "price").from("product_prices")
                .where("product_id", .in, SQLBind.group(chunk)).all() {
                let text = try row.decode(column: "price", as: String.self)
                result[try row.decode(column: "product_id", as: UUID.self), default: [:]][
                    try row.decode(column: "currency", as: String.self)] =
                    Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) ?? 0
            }
        }
        return result
    }

    static func replacePrices(of id: UUID, with prices: [String: Decimal], on db: any Database) async throws {
        try await db.sql.delete(from: "product_prices").where("product_id", .equal, id).run()
        guard !prices.isEmpty else { return }
        var insert = db.sql.insert(into: "product_prices").columns("id", "product_id", "currency", "price")
        for (currency, price) in prices.sorted(by: { $0.key < $1.key }) {
            insert = insert.values(SQLBind(UUID.v7()), SQLBind(id), SQLBind(currency), SQLBind("\(price)"))
        }
        try await insert.run()
    }
}
