import Fluent
import Foundation
import KeelTesting
import Kernel
import Ledger
import Platform
import Testing
import Vapor
import VaporTesting
@testable import Web

@Suite("Products over the API and the pages")
struct ProductWebTests {
    func withCatalog(_ body: (Application, String) async throws -> Void) async throws {
        try await withTestApp { app in
            try await Fixtures.user("alex", roles: ["accountant"], on: app)
            let ledger = LedgerService(db: app.db, context: app.keelContext)
            _ = try await ledger.setUpCompany(name: "T", currency: "EUR", by: .system)
            _ = try await ledger.saveTaxCode(TaxCodeInput(code: "VAT19", name: "VAT 19 %", rate: "19", account: "2100"),
                                             by: .system)
            try await body(app, try await Fixtures.token(for: "alex", on: app))
        }
    }

    @Test("The shop creates a product with prices; the ledger references are checked; a replayed key returns it")
    func api() async throws {
        try await withCatalog { app, token in
            var headers = jsonHeaders(token)
            headers.add(name: "Idempotency-Key", value: "shop-sku-1")
            let body = #"{"sku": "MUG-1", "name": "Mug", "prices": {"EUR": "9.90", "usd": "10.50"}, "incomeAccount": "4000", "taxCode": "VAT19"}"#
            var id = ""
            try await app.testing().test(.POST, "/api/v1/products", headers: headers, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .created, "\(response.body.string)")
                id = json(response)["id"] as? String ?? ""
                #expect((json(response)["prices"] as? [String: String]) == ["EUR": "9.90", "USD": "10.50"])
                #expect(json(response)["unit"] as? String == "pc")
            }
            try await app.testing().test(.POST, "/api/v1/products", headers: headers, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .created && json(response)["id"] as? String == id)
            }
            try await app.testing().test(.POST, "/api/v1/products", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"sku": "X", "name": "X", "incomeAccount": "1010", "taxCode": "VAT7"}"#)) { response in
                #expect(response.status == .unprocessableEntity && problemCode(response) == "catalog.product.invalid")
                let codes = (json(response)["errors"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
                #expect(codes == ["catalog.product.income_account_invalid", "ledger.tax_code.unknown"])
            }
            try await app.testing().test(.GET, "/api/v1/products?q=mug", headers: bearer(token)) { response in
                #expect(json(response)["total"] as? Int == 1)
            }
            try await app.testing().test(.POST, "/api/v1/products/MUG-1/archive", headers: bearer(token)) { response in
                #expect(json(response)["archived"] as? Bool == true)
            }
        }
    }

    @Test("The product form takes prices one per line and shows a bad line beside the box")
    func pages() async throws {
        try await withCatalog { app, _ in
            let (cookie, csrf) = try await Fixtures.signIn("alex", on: app)
            let fields = [("_csrf", csrf), ("sku", "CONS-H"), ("name", "Consulting"), ("kind", "service"),
                          ("taxCode", "VAT19")]
            try await app.testing().test(.POST, "/catalog/products", headers: formHeaders(cookie: cookie),
                                         body: formBody(fields + [("prices", "EUR120")])) { response in
                #expect(response.status == .unprocessableEntity)
                #expect(response.body.string.contains("Price line 1: write a currency and an amount"))
            }
            try await app.testing().test(.POST, "/catalog/products", headers: formHeaders(cookie: cookie),
                                         body: formBody(fields + [("prices", "EUR 120.00\nCHF 130")])) { response in
                #expect(response.headers.first(name: .location) == "/catalog/products/CONS-H?created=1")
            }
            try await app.testing().test(.GET, "/catalog/products", headers: ["Cookie": cookie]) { response in
                #expect(response.body.string.contains("Consulting") && response.body.string.contains("120.00 EUR"))
            }
            try await app.testing().test(.GET, "/catalog/products.csv", headers: ["Cookie": cookie]) { response in
                #expect(response.body.string.contains("CONS-H,Consulting,service,h,,VAT19,,130.00,120.00"))
            }
        }
    }
}
