import Foundation
import Kernel

/// Something the company sells or buys: a product (goods) or a service, with its unit and its prices.
public struct Product: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case product, service }

    public let id: String
    /// Unique stock-keeping unit, as the front office refers to the item.
    public let sku: String
    public let name: String
    public let kind: Kind
    /// The unit a quantity counts ("pc", "h", "kg").
    public let unit: String
    /// Unit price per currency, exact, net or gross as the tax code's pricing says.
    public let prices: [String: Decimal]
    /// The income account sales of it are credited to (an account code).
    public let incomeAccount: String?
    /// The tax code its sales use.
    public let taxCode: String?
    public let description: String?
    public let archived: Bool
    public let createdAt: String
    public let updatedAt: String
}

/// What a person or the front office gives to create or change a product; checked by `ProductRules.validate`.
public struct ProductInput: Sendable, Codable, Equatable {
    public var sku: String
    public var name: String
    public var kind: String?
    public var unit: String?
    /// Unit price per currency code, as decimal text ("12.50", "0.0125").
    public var prices: [String: String]
    public var incomeAccount: String?
    public var taxCode: String?
    public var description: String?

    public init(sku: String, name: String, kind: String? = nil, unit: String? = nil, prices: [String: String] = [:],
                incomeAccount: String? = nil, taxCode: String? = nil, description: String? = nil) {
        self.sku = sku
        self.name = name
        self.kind = kind
        self.unit = unit
        self.prices = prices
        self.incomeAccount = incomeAccount
        self.taxCode = taxCode
        self.description = description
    }

    /// A product's fields as input again, so a change can start from what is stored.
    public init(_ product: Product) {
        self.init(sku: product.sku, name: product.name, kind: product.kind.rawValue, unit: product.unit,
                  prices: product.prices.mapValues { "\($0)" }, incomeAccount: product.incomeAccount,
                  taxCode: product.taxCode, description: product.description)
    }
}

/// Checks the references a product makes into other areas (its income account and tax code live in the ledger).
/// The composition root supplies it; the catalog does not read other areas' tables.
public protocol ProductReferences: Sendable {
    /// Problems with the references, each with its field; empty when both are fine or absent.
    func problems(incomeAccount: String?, taxCode: String?) async throws -> [DomainError.Item]
}

extension Product {
    /// A unit price as text with at least the currency's minor digits ("19.90", "0.0125", "100" for JPY).
    public static func priceText(_ price: Decimal, currency: String) -> String {
        let text = "\(price)"
        let exponent = Currency(code: currency)?.exponent ?? 2
        let decimals = text.split(separator: ".", maxSplits: 1).dropFirst().first?.count ?? 0
        guard decimals < exponent else { return text }
        return text + (decimals == 0 ? "." : "") + String(repeating: "0", count: exponent - decimals)
    }

    /// The prices as text per currency (see `priceText`).
    public var priceTexts: [String: String] {
        Dictionary(uniqueKeysWithValues: prices.map { ($0.key, Self.priceText($0.value, currency: $0.key)) })
    }
}
