import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import Catalog
import Platform
import SQLKit
import Testing

/// References as the ledger would answer them: accounts 4000 and 4100, tax codes VAT19 and VAT7.
struct StubReferences: ProductReferences {
    func problems(incomeAccount: String?, taxCode: String?) async throws -> [DomainError.Item] {
        var problems: [DomainError.Item] = []
        if let incomeAccount, !["4000", "4100"].contains(incomeAccount) {
            problems.append(.init(field: "incomeAccount", code: "ledger.account.unknown", message: "no \(incomeAccount)"))
        }
        if let taxCode, !["VAT19", "VAT7"].contains(taxCode) {
            problems.append(.init(field: "taxCode", code: "ledger.tax_code.unknown", message: "no \(taxCode)"))
        }
        return problems
    }
}

@Suite("Catalog")
struct CatalogTests {
    static let clerk = Principal(userID: nil, username: "clerk", roles: [], permissions: [Permission("inventory", .write),
                                                                                         Permission("inventory", .read)])
    static let outsider = Principal(userID: nil, username: "emma", roles: ["employee"], permissions: [])

    @Test("Products are checked as a whole: SKU, name, kind, unit, prices per currency")
    func rules() throws {
        let valid = try ProductRules.validate(ProductInput(sku: " WID-1 ", name: "Widget", prices: ["eur": "12.50",
                                                                                                  "USD": "0.000125"]))
        #expect(valid.sku == "WID-1" && valid.kind == .product && valid.unit == "pc")
        #expect(valid.prices == ["EUR": Decimal(string: "12.5")!, "USD": Decimal(string: "0.000125")!])
        #expect(try ProductRules.validate(ProductInput(sku: "S", name: "Consulting", kind: "service")).unit == "h")
        do {
            _ = try ProductRules.validate(ProductInput(sku: "a b", name: "", kind: "gadget", unit: String(repeating: "u", count: 21),
                                                       prices: ["XXX": "1", "EUR": "-1", "USD": "1.0000001", "GBP": "ten"]))
            Issue.record("an invalid product was accepted")
        } catch {
            #expect(Set(error.items.compactMap(\.field)) == ["sku", "name", "kind", "unit", "prices.XXX", "prices.EUR",
                                                             "prices.USD", "prices.GBP"])
        }
    }

    @Test("Prices print with at least the currency's minor digits and keep finer fractions")
    func priceText() {
        #expect(Product.priceText(Decimal(string: "19.9")!, currency: "EUR") == "19.90")
        #expect(Product.priceText(Decimal(string: "120")!, currency: "EUR") == "120.00")
        #expect(Product.priceText(Decimal(string: "0.0125")!, currency: "EUR") == "0.0125")
        #expect(Product.priceText(Decimal(string: "500")!, currency: "JPY") == "500")
        #expect(Product.priceText(Decimal(string: "1.5")!, currency: "KWD") == "1.500")
    }

    @Test("A product is created, found, changed with its prices, archived; bad references and a taken SKU change nothing")
    func lifecycle() async throws {
        try await withTestDatabase { db, context in
            let catalog = CatalogService(db: db, context: context, references: StubReferences())
            let widget = try await catalog.create(ProductInput(sku: "WID-1", name: "Widget", prices: ["EUR": "12.50"],
                                                               incomeAccount: "4000", taxCode: "VAT19"),
                                                  idempotencyKey: "shop-1", by: Self.clerk)
            #expect(widget.prices == ["EUR": Decimal(string: "12.5")!] && widget.taxCode == "VAT19")
            #expect(try await catalog.create(ProductInput(sku: "WID-1", name: "Widget", prices: ["EUR": "12.50"],
                                                          incomeAccount: "4000", taxCode: "VAT19"),
                                             idempotencyKey: "shop-1", by: Self.clerk) == widget)
            #expect(try await catalog.product("WID-1", by: Self.clerk) == widget)
            let changed = try await catalog.update("WID-1", ProductInput(sku: "WID-1", name: "Widget, blue",
                                                                         prices: ["EUR": "13", "USD": "14.20"],
                                                                         incomeAccount: "4100", taxCode: "VAT7"), by: Self.clerk)
            #expect(changed.prices.count == 2 && changed.name == "Widget, blue" && changed.taxCode == "VAT7")
            #expect(await domainErrorCode {
                _ = try await catalog.create(ProductInput(sku: "WID-2", name: "X", incomeAccount: "9999", taxCode: "NOPE"),
                                             by: Self.clerk)
            } == "catalog.product.invalid")
            #expect(await domainErrorCode { _ = try await catalog.create(ProductInput(sku: "WID-1", name: "Again"), by: Self.clerk) }
                    == "catalog.product.sku_taken")
            #expect(await domainErrorCode { _ = try await catalog.products(.init(), by: Self.outsider) } == "auth.forbidden")
            _ = try await catalog.setArchived("WID-1", true, by: Self.clerk)
            #expect(try await catalog.products(.init(), by: Self.clerk).total == 0)
            #expect(try await catalog.products(.init(search: "blue", includeArchived: true), by: Self.clerk).total == 1)
            let actions = try await AuditChain.list(on: db, filter: AuditFilter(entity: "product")).map(\.action)
            #expect(actions == ["product.archive", "product.update", "product.create"])
        }
    }

    @Test("CSV export reads back; an update by CSV keeps the columns the file leaves out; a bad row imports nothing")
    func csv() async throws {
        try await withTestDatabase { db, context in
            let catalog = CatalogService(db: db, context: context, references: StubReferences())
            _ = try await catalog.create(ProductInput(sku: "A", name: "Apple, red", prices: ["EUR": "0.45", "USD": "0.5"],
                                                      incomeAccount: "4000", taxCode: "VAT7"), by: Self.clerk)
            _ = try await catalog.create(ProductInput(sku: "S", name: "Setup", kind: "service", prices: ["EUR": "90"]),
                                         by: Self.clerk)
            let text = try await catalog.csv(.init(), by: Self.clerk)
            #expect(text.hasPrefix("sku,name,kind,unit,income_account,tax_code,description,price_EUR,price_USD\n"))
            #expect(text.contains("A,\"Apple, red\",product,pc,4000,VAT7,,0.45,0.50\n"))
            #expect(try await catalog.importCSV(text, by: Self.clerk) == (created: 0, updated: 2))
            #expect(try await catalog.importCSV("sku,name,price_eur\nA,Apple,0.49\nB,Banana,0.3\n", by: Self.clerk)
                    == (created: 1, updated: 1))
            let apple = try await catalog.product("A", by: Self.clerk)
            #expect(apple.name == "Apple" && apple.taxCode == "VAT7" && apple.prices["EUR"] == Decimal(string: "0.49")!)
            #expect(apple.prices["USD"] == Decimal(string: "0.5")!)
            do {
                _ = try await catalog.importCSV("sku,name,tax_code\nC,Cherry,VAT19\nD,,VAT99\nC,Cherry again,\n", by: Self.clerk)
                Issue.record("an invalid CSV was imported")
            } catch let error as DomainError {
                #expect(error.code == "catalog.csv.invalid")
                #expect(error.items.map(\.line) == [3, 3, 4] && error.items.map(\.field) == ["name", "taxCode", "sku"])
            }
            #expect(try await catalog.products(.init(), by: Self.clerk).total == 3)
        }
    }
}
