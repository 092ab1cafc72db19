import Foundation
import Kernel

/// Checks a product as given and brings its fields to their stored form; every problem is reported with its field.
public enum ProductRules {
    public static let skuLengthMax = 40
    public static let nameLengthMax = 200
    public static let unitLengthMax = 20
    public static let descriptionLengthMax = 4_000
    /// Unit prices carry at most this many decimals (fractions of a cent for per-unit pricing).
    public static let priceScaleMax = 6

    public struct Valid: Sendable, Equatable {
        public var sku: String
        public var name: String
        public var kind: Product.Kind
        public var unit: String
        public var prices: [String: Decimal]
        public var incomeAccount: String?
        public var taxCode: String?
        public var description: String?
    }

    public static func validate(_ input: ProductInput) throws(DomainError) -> Valid {
        var problems: [DomainError.Item] = []
        func fail(_ field: String, _ code: String, _ message: String) {
            problems.append(.init(field: field, code: code, message: message))
        }
        let sku = String(input.sku.trimmed)
        if sku.isEmpty || sku.count > skuLengthMax || !sku.unicodeScalars.allSatisfy({
            ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) }) {
            fail("sku", "catalog.product.sku_invalid",
                 "A SKU has 1 to \(skuLengthMax) letters, digits, dashes, dots or underscores")
        }
        let name = String(input.name.trimmed)
        if name.isEmpty || name.count > nameLengthMax {
            fail("name", "catalog.product.name_invalid", "A product has a name of 1 to \(nameLengthMax) characters")
        }
        let kindText = input.kind.nonBlank ?? "product"
        let kind = Product.Kind(rawValue: kindText.lowercased())
        if kind == nil { fail("kind", "catalog.product.kind_unknown", "'\(kindText)' is not a kind; use product or service") }
        let unit = input.unit.nonBlank ?? (kind == .service ? "h" : "pc")
        if unit.count > unitLengthMax { fail("unit", "catalog.product.unit_invalid", "A unit has at most \(unitLengthMax) characters") }
        var prices: [String: Decimal] = [:]
        for (code, text) in input.prices.sorted(by: { $0.key < $1.key }) {
            let field = "prices.\(code)"
            guard let currency = Currency(code: code.uppercased()) else {
                fail(field, "catalog.product.currency_unknown", "'\(code)' is not an ISO 4217 currency")
                continue
            }
            guard let price = try? Decimals.parse(text, field: field) else {
                fail(field, "catalog.product.price_invalid", "'\(text)' is not a price like 12.50")
                continue
            }
            if price < 0 { fail(field, "catalog.product.price_negative", "A unit price is 0 or more") }
            if scale(of: price) > priceScaleMax {
                fail(field, "catalog.product.price_precision", "A unit price has at most \(priceScaleMax) decimals")
            }
            prices[currency.code] = price
        }
        let description = input.description.nonBlank
        if let description, description.count > descriptionLengthMax {
            fail("description", "catalog.product.description_too_long",
                 "A description has at most \(descriptionLengthMax) characters")
        }
        guard problems.isEmpty, let kind else {
            throw DomainError(.invalid, "catalog.product.invalid", problems[0].message, field: problems[0].field,
                              items: problems)
        }
        return Valid(sku: sku, name: name, kind: kind, unit: unit, prices: prices,
                     incomeAccount: input.incomeAccount.nonBlank, taxCode: input.taxCode.nonBlank,
                     description: description)
    }

    /// Decimals after the point of an exact decimal.
    static func scale(of value: Decimal) -> Int { max(0, -value.exponent) }
}
