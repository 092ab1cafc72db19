import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// The Catalog area's public face: products and services with their units and prices, shared by sales,
/// purchasing and inventory. Reading takes read on one of those areas; changing takes write on one of them.
public struct CatalogService: Sendable {
    public let db: any Database
    public let context: PlatformContext
    public let references: any ProductReferences

    public static let pageLimitMax = 500
    public static let importRowsMax = 10_000
    static let areas = ["sales", "purchasing", "inventory"]

    public init(db: any Database, context: PlatformContext, references: any ProductReferences) {
        self.db = db
        self.context = context
        self.references = references
    }

    static func require(_ actor: Principal, _ action: Permission.Action) throws(DomainError) {
        if areas.contains(where: { actor.can(Permission($0, action)) }) { return }
        throw DomainError(.forbidden, "auth.forbidden", "You may not \(action == .read ? "see" : "change") the catalog")
    }

    /// Which products to list.
    public struct Filter: Sendable {
        public enum Sort: String, Sendable, CaseIterable { case name, sku, created }
        public var search: String?
        public var kind: Product.Kind?
        public var includeArchived: Bool
        public var sort: Sort
        public var limit: Int
        public var offset: Int

        public init(search: String? = nil, kind: Product.Kind? = nil, includeArchived: Bool = false, sort: Sort = .name,
                    limit: Int = 100, offset: Int = 0) {
            self.search = search
            self.kind = kind
            self.includeArchived = includeArchived
            self.sort = sort
            self.limit = limit
            self.offset = offset
        }
    }

    /// Products matching `filter` (SKU or name containing the search text), with the total count.
    public func products(_ filter: Filter, by actor: Principal) async throws -> (products: [Product], total: Int) {
        try Self.require(actor, .read)
        try Paging.check(limit: filter.limit, offset: filter.offset, limitMax: Self.pageLimitMax, noun: "products",
                         codePrefix: "catalog.list")
        func filtered(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
            var query = query
            if !filter.includeArchived { query = query.where("archived", .equal, false) }
            if let kind = filter.kind { query = query.where("kind", .equal, kind.rawValue) }
            if let search = filter.search?.trimmed, !search.isEmpty {
                let pattern = "%" + search.lowercased().replacing("%", with: "").replacing("_", with: "") + "%"
                query = query.where { group in
                    group.where(SQLFunction("LOWER", args: SQLIdentifier("sku")), .like, SQLBind(pattern))
                        .orWhere(SQLFunction("LOWER", args: SQLIdentifier("name")), .like, SQLBind(pattern))
                }
            }
            return query
        }
        let total = try await filtered(db.sql.select().column(SQLRaw("COUNT(*)"), as: "n").from("products")).first()?
            .decode(column: "n", as: Int.self) ?? 0
        let order: (String, SQLDirection) = switch filter.sort {
        case .name: ("name", .ascending)
        case .sku: ("sku", .ascending)
        case .created: ("created_at", .descending)
        }
        let rows = try await filtered(db.sql.select().column("*").from("products"))
            .orderBy(order.0, order.1).orderBy("id").limit(filter.limit).offset(filter.offset).all()
        let ids = try rows.map { try $0.decode(column: "id", as: UUID.self) }
        let prices = try await ProductRows.prices(of: ids, on: db)
        return (try zip(rows, ids).map { try ProductRows.product($0, prices: prices[$1] ?? [:]) }, total)
    }

    /// One product by id or SKU.
    public func product(_ reference: String, by actor: Principal) async throws -> Product {
        try Self.require(actor, .read)
        return try await find(reference, on: db)
    }

    func find(_ reference: String, on db: any Database) async throws -> Product {
        let query = db.sql.select().column("*").from("products")
        guard let row = try await (UUID(uuidString: reference).map { query.where("id", .equal, $0) }
            ?? query.where("sku", .equal, reference)).first() else {
            throw DomainError.notFound("catalog.product.not_found", "There is no product '\(reference)'")
        }
        let id = try row.decode(column: "id", as: UUID.self)
        return try ProductRows.product(row, prices: try await ProductRows.prices(of: [id], on: db)[id] ?? [:])
    }

    /// Checks a product's fields and its references into the ledger; every problem comes back at once.
    func check(_ input: ProductInput) async throws -> ProductRules.Valid {
        var problems: [DomainError.Item] = []
        var valid: ProductRules.Valid?
        do { valid = try ProductRules.validate(input) } catch { problems = error.items }
        problems += try await references.problems(incomeAccount: input.incomeAccount.nonBlank,
                                                  taxCode: input.taxCode.nonBlank)
        guard problems.isEmpty, let valid else {
            throw DomainError(.invalid, "catalog.product.invalid", problems[0].message, field: problems[0].field,
                              items: problems)
        }
        return valid
    }

    /// Creates a product. With an idempotency key, a repeat of the same request by the same user returns the first
    /// result; the key with other content is a 409.
    public func create(_ input: ProductInput, idempotencyKey: String? = nil, by actor: Principal) async throws -> Product {
        try Self.require(actor, .write)
        let valid = try await check(input)
        let context = context
        let references = references
        return try await Idempotency.run(db, actor: actor, scope: "catalog.product.create", key: idempotencyKey,
                                         request: input, clock: context.clock) { tx in
            let service = CatalogService(db: tx, context: context, references: references)
            try await service.requireFreeSKU(valid.sku, except: nil)
            let id = UUID.v7()
            let now = RFC3339.format(context.clock.now())
            let values: [(String, any Encodable & Sendable)] = Self.values(valid) + [
                ("id", id), ("archived", false), ("created_by", actor.username), ("created_at", now), ("updated_at", now)]
            try await tx.sql.insert(into: "products").columns(values.map(\.0)).values(values.map { SQLBind($0.1) }).run()
            try await ProductRows.replacePrices(of: id, with: valid.prices, on: tx)
            let product = try await service.find(id.uuidString, on: tx)
            try await context.audit(tx, actor, "product.create", entity: "product", id: product.id,
                                    before: nil as Product?, after: product)
            return product
        }.value
    }

    /// Replaces a product's fields and prices; its SKU may change if no other product has the new one.
    public func update(_ reference: String, _ input: ProductInput, by actor: Principal) async throws -> Product {
        try Self.require(actor, .write)
        let valid = try await check(input)
        let context = context
        let references = references
        return try await writeTransaction(db) { tx in
            let service = CatalogService(db: tx, context: context, references: references)
            let before = try await service.find(reference, on: tx)
            try await service.requireFreeSKU(valid.sku, except: before.id)
            let id = UUID(uuidString: before.id)!
            var update = tx.sql.update("products")
            for (column, value) in Self.values(valid) { update = update.set(column, to: value) }
            try await update.set("updated_at", to: RFC3339.format(context.clock.now())).where("id", .equal, id).run()
            try await ProductRows.replacePrices(of: id, with: valid.prices, on: tx)
            let after = try await service.find(before.id, on: tx)
            try await context.audit(tx, actor, "product.update", entity: "product", id: after.id, before: before, after: after)
            return after
        }
    }

    /// Archives a product (kept on old documents, not offered for new ones) or restores it.
    public func setArchived(_ reference: String, _ archived: Bool, by actor: Principal) async throws -> Product {
        try Self.require(actor, .write)
        let context = context
        let references = references
        return try await writeTransaction(db) { tx in
            let service = CatalogService(db: tx, context: context, references: references)
            let before = try await service.find(reference, on: tx)
            guard before.archived != archived else { return before }
            try await tx.sql.update("products").set("archived", to: archived)
                .set("updated_at", to: RFC3339.format(context.clock.now()))
                .where("id", .equal, UUID(uuidString: before.id)!).run()
            let after = try await service.find(before.id, on: tx)
            try await context.audit(tx, actor, archived ? "product.archive" : "product.restore", entity: "product",
                                    id: after.id, before: before, after: after)
            return after
        }
    }

    static func values(_ valid: ProductRules.Valid) -> [(String, any Encodable & Sendable)] {
        [("sku", valid.sku), ("name", valid.name), ("kind", valid.kind.rawValue), ("unit", valid.unit),
         ("income_account", valid.incomeAccount), ("tax_code", valid.taxCode), ("description", valid.description)]
    }

    func requireFreeSKU(_ sku: String, except id: String?) async throws {
        let rows = try await db.sql.select().column("id").from("products").where("sku", .equal, sku).all()
        if try rows.contains(where: { try $0.decode(column: "id", as: UUID.self).lowercaseText != id }) {
            throw DomainError(.conflict, "catalog.product.sku_taken", "Another product has the SKU '\(sku)'", field: "sku")
        }
    }
}
