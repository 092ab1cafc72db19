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

@Suite("Tax codes over the API and the pages")
struct TaxWebTests {
    @Test("An admin sets up tax codes; the front office computes a mixed-rate document per line, then per document")
    func apiVectors() async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            _ = try await LedgerService(db: app.db, context: app.keelContext).setUpCompany(name: "T", currency: "EUR", by: .system)
            let token = try await Fixtures.token(for: "ada", on: app)
            for (code, body) in [("VAT19", #"{"name": "VAT 19 %", "rate": "19", "account": "2100"}"#),
                                 ("VAT7G", #"{"name": "VAT 7 % incl.", "rate": "7", "pricesIncludeTax": true, "account": "2100"}"#),
                                 ("RC", #"{"name": "Reverse charge", "kind": "reverse_charge", "rate": "0", "note": "VAT due by the recipient"}"#)] {
                try await app.testing().test(.PUT, "/api/v1/ledger/tax-codes/\(code)", headers: jsonHeaders(token),
                                             body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .ok, "\(response.body.string)")
                }
            }
            try await app.testing().test(.PUT, "/api/v1/ledger/tax-codes/BAD", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"name": "Bad", "kind": "exempt", "rate": "5"}"#)) { response in
                #expect(response.status == .unprocessableEntity && problemCode(response) == "ledger.tax_code.invalid")
                let fields = (json(response)["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
                #expect(Set(fields) == ["rate", "note"])
            }
            let document = #"""
                {"currency": "EUR", "lines": [{"amount": "0.03", "taxCode": "VAT19"}, {"amount": "0.03", "taxCode": "VAT19"},
                 {"amount": "0.03", "taxCode": "VAT19"}, {"amount": "10.70", "taxCode": "VAT7G"}, {"amount": "500.00", "taxCode": "RC"}]}
                """#
            try await app.testing().test(.POST, "/api/v1/ledger/tax/compute", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: document)) { response in
                #expect(response.status == .ok, "\(response.body.string)")
                #expect(json(response)["rounding"] as? String == "line")
                #expect(json(response)["tax"] as? String == "0.73")        // 3 x 0.01 + 0.70
                let summary = json(response)["summary"] as? [[String: Any]] ?? []
                #expect(summary.map { $0["taxCode"] as? String } == ["VAT19", "VAT7G", "RC"])
                #expect(summary.last?["note"] as? String == "VAT due by the recipient")
                #expect(json(response)["gross"] as? String == "510.82")   // 0.12 + 10.70 (gross already) + 500.00
            }
            try await app.testing().test(.PUT, "/api/v1/ledger/tax-rounding", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"rounding": "document"}"#)) { #expect($0.status == .noContent) }
            try await app.testing().test(.POST, "/api/v1/ledger/tax/compute", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: document)) { response in
                #expect(json(response)["tax"] as? String == "0.72")        // 0.09 x 19 % = 0.0171 -> 0.02
            }
            try await app.testing().test(.POST, "/api/v1/ledger/tax/compute", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"currency": "EUR", "lines": [{"amount": "1.234", "taxCode": "VAT19"}, {"amount": "1", "taxCode": "NOPE"}]}"#)) { response in
                #expect(response.status == .unprocessableEntity && problemCode(response) == "ledger.tax.invalid")
            }
            try await app.testing().test(.GET, "/api/v1/ledger/tax-codes", headers: bearer(token)) { response in
                #expect(json(response)["rounding"] as? String == "document")
                let items = json(response)["items"] as? [[String: Any]] ?? []
                #expect(items.map { $0["code"] as? String } == ["RC", "VAT19", "VAT7G"])
                #expect(items.last?["pricesIncludeTax"] as? Bool == true && items.last?["rate"] as? String == "7")
            }
        }
    }

    @Test("The tax-code form saves a code and shows a refused one beside its field; a non-admin only reads")
    func pages() async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            try await Fixtures.user("alex", roles: ["accountant"], on: app)
            _ = try await LedgerService(db: app.db, context: app.keelContext).setUpCompany(name: "T", currency: "EUR", by: .system)
            let (cookie, csrf) = try await Fixtures.signIn("ada", on: app)
            try await app.testing().test(.POST, "/ledger/tax-codes", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("code", "VAT19"), ("name", "VAT 19 %"),
                                                         ("kind", "standard"), ("rate", "19"), ("account", "")])) { response in
                #expect(response.status == .unprocessableEntity)
                #expect(response.body.string.contains("names the account its tax is posted to"))
            }
            try await app.testing().test(.POST, "/ledger/tax-codes", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("code", "VAT19"), ("name", "VAT 19 %"),
                                                         ("kind", "standard"), ("rate", "19"), ("account", "2100")])) { response in
                #expect(response.status == .ok && response.body.string.contains("Tax code VAT19 saved."))
            }
            let (readerCookie, _) = try await Fixtures.signIn("alex", on: app)
            try await app.testing().test(.GET, "/ledger/tax-codes", headers: ["Cookie": readerCookie]) { response in
                #expect(response.status == .ok && response.body.string.contains("VAT 19 %"))
                #expect(!response.body.string.contains("Save tax code"))
            }
        }
    }
}
