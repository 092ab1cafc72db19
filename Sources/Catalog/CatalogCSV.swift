import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

extension CatalogService {
    /// Fixed CSV columns; prices follow as one `price_<CURRENCY>` column per currency (`price_EUR`).
    public static let csvColumns = ["sku", "name", "kind", "unit", "income_account", "tax_code", "description"]

    /// Every product matching `filter` (all pages) as CSV with a header row and a price column per currency used.
    public func csv(_ filter: Filter, by actor: Principal) async throws -> String {
        var all: [Product] = []
        var page = filter
        page.limit = Self.pageLimitMax
        page.offset = 0
        while true {
            let (products, _) = try await products(page, by: actor)
            all += products
            guard products.count == page.limit else { break }
            page.offset += page.limit
        }
        let currencies = Set(all.flatMap(\.prices.keys)).sorted()
        var text = CSVLine.join(Self.csvColumns + currencies.map { "price_\($0)" }) + "\n"
        for product in all {
            text += CSVLine.join([product.sku, product.name, product.kind.rawValue, product.unit,
                                  product.incomeAccount ?? "", product.taxCode ?? "", product.description ?? ""]
                                 + currencies.map { product.priceTexts[$0] ?? "" }) + "\n"
        }
        return text
    }

    /// Imports a products CSV in one transaction: all rows or none, every problem reported by line. A row whose SKU
    /// exists updates the columns the file has (a price column left empty removes that price); any other row
    /// creates a product.
    public func importCSV(_ text: String, by actor: Principal) async throws -> (created: Int, updated: Int) {
        try Self.require(actor, .write)
        // Currency codes in price columns are upper case: price_eur and PRICE_EUR are both price_EUR.
        let rows = try CSVImport.read(
            text, area: "catalog", isColumn: { Self.csvColumns.contains($0) || $0.hasPrefix("price_") },
            columnsHint: Self.csvColumns.joined(separator: ", ") + " and price_<CURRENCY>", required: ["sku", "name"],
            rowsMax: Self.importRowsMax,
            normalize: { $0.hasPrefix("price_") ? "price_" + $0.dropFirst(6).uppercased() : $0 })
        let context = context
        let references = references
        let readRows = rows
        return try await writeTransaction(db) { tx in
            let service = CatalogService(db: tx, context: context, references: references)
            var problems: [DomainError.Item] = []
            var plan: [(existing: Product?, input: ProductInput)] = []
            var firstLine: [String: Int] = [:]
            for row in readRows {
                let sku = String((row.fields["sku"] ?? "").trimmed)
                if let first = firstLine[sku] {
                    problems.append(.init(line: row.line, field: "sku", code: "catalog.csv.sku_repeated",
                                          message: "The SKU '\(sku)' is also on line \(first)"))
                }
                firstLine[sku] = firstLine[sku] ?? row.line
                let existing = try? await service.find(sku, on: tx)
                var input = existing.map(ProductInput.init) ?? ProductInput(sku: sku, name: "")
                for (column, value) in row.fields {
                    switch column {
                    case "sku": input.sku = value
                    case "name": input.name = value
                    case "kind": input.kind = value
                    case "unit": input.unit = value
                    case "income_account": input.incomeAccount = value
                    case "tax_code": input.taxCode = value
                    case "description": input.description = value
                    default:
                        let currency = String(column.dropFirst("price_".count))
                        input.prices[currency] = value.trimmed.isEmpty ? nil : value
                    }
                }
                do {
                    _ = try await service.check(input)
                    plan.append((existing, input))
                } catch let error as DomainError {
                    problems += error.items.map { .init(line: row.line, field: $0.field, code: $0.code, message: $0.message) }
                }
            }
            guard problems.isEmpty else { throw CSVImport.error(problems, area: "catalog") }
            return try await context.applyImport(
                plan, on: tx, by: actor, action: "product.import", entity: "product_import",
                update: { _ = try await service.update($0.id, $1, by: actor) },
                create: { _ = try await service.create($0, by: actor) })
        }
    }
}
