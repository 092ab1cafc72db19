import Catalog
import Foundation
import Kernel
import Platform

/// Products and services over the API.
extension APIHandler {
    func listProducts(_ input: Operations.ListProducts.Input) async throws -> Operations.ListProducts.Output {
        let query = input.query
        let filter = CatalogService.Filter(
            search: query.q, kind: query.kind.flatMap { Product.Kind(rawValue: $0.rawValue) },
            includeArchived: query.includeArchived ?? false,
            sort: query.sort.flatMap { CatalogService.Filter.Sort(rawValue: $0.rawValue) } ?? .name,
            limit: query.limit ?? 100, offset: query.offset ?? 0)
        let (products, total) = try await request.catalog.products(filter, by: try request.requirePrincipal())
        return .ok(.init(body: .json(.init(items: products.map(\.api), total: total))))
    }

    func createProduct(_ input: Operations.CreateProduct.Input) async throws -> Operations.CreateProduct.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let product = try await request.catalog.create(body.input, idempotencyKey: input.headers.idempotencyKey, by: principal)
        return .created(.init(body: .json(product.api)))
    }

    func getProduct(_ input: Operations.GetProduct.Input) async throws -> Operations.GetProduct.Output {
        .ok(.init(body: .json(try await request.catalog.product(input.path.reference, by: try request.requirePrincipal()).api)))
    }

    func updateProduct(_ input: Operations.UpdateProduct.Input) async throws -> Operations.UpdateProduct.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        return .ok(.init(body: .json(try await request.catalog.update(input.path.reference, body.input, by: principal).api)))
    }

    func setProductArchived(_ input: Operations.SetProductArchived.Input) async throws -> Operations.SetProductArchived.Output {
        let product = try await request.catalog.setArchived(input.path.reference, input.path.action == .archive,
                                                            by: try request.requirePrincipal())
        return .ok(.init(body: .json(product.api)))
    }
}

extension Components.Schemas.ProductInput {
    var input: ProductInput {
        ProductInput(sku: sku, name: name, kind: kind?.rawValue, unit: unit,
                     prices: prices?.additionalProperties ?? [:], incomeAccount: incomeAccount, taxCode: taxCode,
                     description: description)
    }
}

extension Product {
    var api: Components.Schemas.Product {
        .init(id: id, sku: sku, name: name, kind: .init(rawValue: kind.rawValue)!, unit: unit,
              prices: .init(additionalProperties: priceTexts), incomeAccount: incomeAccount,
              taxCode: taxCode, description: description, archived: archived, createdAt: createdAt, updatedAt: updatedAt)
    }
}
