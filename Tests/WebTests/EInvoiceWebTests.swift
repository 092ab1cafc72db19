import Fluent
import Foundation
import KeelTesting
import Kernel
import Ledger
import Parties
import Platform
import Testing
import Vapor
import VaporTesting
@testable import Web

@Suite("Company details and e-invoices over HTTP")
struct EInvoiceWebTests {
    @Test("An admin fills in the company; an issued invoice then downloads as CII and UBL from the API and the page")
    func downloads() async throws {
        try await withTestApp { app in
            let ledger = LedgerService(db: app.db, context: app.keelContext)
            _ = try await ledger.setUpCompany(name: "Keel Demo GmbH", currency: "EUR", by: .system)
            _ = try await ledger.saveTaxCode(TaxCodeInput(code: "VAT19", name: "VAT 19 %", rate: "19", account: "2100"),
                                             by: .system)
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            try await Fixtures.user("sam", roles: ["accountant"], on: app)
            let admin = try await Fixtures.token(for: "ada", on: app)
            let clerk = try await Fixtures.token(for: "sam", on: app)

            _ = try await PartiesService(db: app.db, context: app.keelContext).create(
                PartnerInput(code: "NW", name: "Northwind", taxID: "FR40303265045", billingAddress: Address(country: "FR")),
                by: .system)
            let invoice = """
                {"customer": "NW", "issueDate": "2026-03-02", "lines": [{"description": "Work", "quantity": "1", "unitPrice": "100", "taxCode": "VAT19"}]}
                """
            var number = ""
            try await app.testing().test(.POST, "/api/v1/sales/invoices", headers: jsonHeaders(clerk),
                                         body: ByteBuffer(string: invoice)) { response in
                #expect(response.status == .created, "\(response.body.string)")
                number = json(response)["id"] as? String ?? ""
            }
            try await app.testing().test(.POST, "/api/v1/sales/invoices/\(number)/issue", headers: bearer(clerk)) { response in
                #expect(response.status == .ok)
                number = json(response)["number"] as? String ?? ""
            }
            // Without the company's country and VAT number there is no e-invoice, and the answer says why.
            try await app.testing().test(.GET, "/api/v1/sales/invoices/\(number)/e-invoice", headers: bearer(clerk)) { response in
                #expect(response.status == .conflict && problemCode(response) == "sales.einvoice.incomplete")
                #expect(response.body.string.contains("seller_country_missing") && response.body.string.contains("seller_vat_missing"))
            }

            let details = """
                {"address": {"line1": "Hauptstraße 1", "postalCode": "10115", "city": "Berlin", "country": "DE"},
                 "taxId": "DE123456789", "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX"}
                """
            try await app.testing().test(.PUT, "/api/v1/company/details", headers: jsonHeaders(clerk),
                                         body: ByteBuffer(string: details)) { response in
                #expect(response.status == .forbidden)
            }
            try await app.testing().test(.PUT, "/api/v1/company/details", headers: jsonHeaders(admin),
                                         body: ByteBuffer(string: details.replacingOccurrences(of: "0130 00", with: "0130 01"))) { response in
                #expect(response.status == .unprocessableEntity && problemCode(response) == "ledger.company.details_invalid")
            }
            try await app.testing().test(.PUT, "/api/v1/company/details", headers: jsonHeaders(admin),
                                         body: ByteBuffer(string: details)) { response in
                #expect(response.status == .ok, "\(response.body.string)")
                let saved = json(response)["details"] as? [String: Any]
                #expect(saved?["iban"] as? String == "DE89370400440532013000")
            }
            try await app.testing().test(.GET, "/api/v1/company", headers: bearer(clerk)) { response in
                #expect(json(response)["name"] as? String == "Keel Demo GmbH")
                #expect((json(response)["details"] as? [String: Any])?["taxId"] as? String == "DE123456789")
            }

            try await app.testing().test(.GET, "/api/v1/sales/invoices/\(number)/e-invoice", headers: bearer(clerk)) { response in
                #expect(response.status == .ok)
                #expect(response.headers.contentType?.description.hasPrefix("application/xml") == true)
                #expect(response.body.string.contains("<rsm:CrossIndustryInvoice"))
            }
            try await app.testing().test(.GET, "/api/v1/sales/invoices/\(number)/e-invoice?syntax=ubl", headers: bearer(clerk)) { response in
                #expect(response.status == .ok && response.body.string.contains("<cbc:ID>\(number)</cbc:ID>"))
            }
            try await app.testing().test(.GET, "/api/v1/sales/invoices/\(number)/e-invoice?syntax=pdf", headers: bearer(clerk)) { response in
                #expect(response.status == .badRequest)
            }

            // The pages: the invoice links both files and prints the company; the company form keeps a bad entry.
            let (cookie, csrf) = try await Fixtures.signIn("ada", on: app)
            try await app.testing().test(.GET, "/sales/invoices/\(number)", headers: ["Cookie": cookie]) { response in
                let page = response.body.string
                #expect(page.contains("/sales/invoices/\(number)/e-invoice?syntax=cii") && page.contains("syntax=ubl"))
                #expect(page.contains("DE89 3704 0044 0532 0130 00") && page.contains("VAT id DE123456789"))
            }
            try await app.testing().test(.GET, "/sales/invoices/\(number)/e-invoice?syntax=ubl", headers: ["Cookie": cookie]) { response in
                #expect(response.status == .ok && response.body.string.contains("urn:fdc:peppol.eu:2017:poacc:billing:3.0"))
                #expect(response.headers.first(name: .contentDisposition) == "attachment; filename=\"\(number).ubl.xml\"")
            }
            try await app.testing().test(.POST, "/admin/company", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("addressCountry", "Germany"), ("taxId", "DE123456789"),
                                                         ("iban", "")])) { response in
                #expect(response.status == .unprocessableEntity)
                #expect(response.body.string.contains("is not a country code") && response.body.string.contains("value=\"Germany\""))
            }
            #expect(try await ledger.companyDetails().address.country == "DE")
            try await app.testing().test(.POST, "/admin/company", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("addressCountry", "de"), ("addressCity", "Bonn"),
                                                         ("taxId", "DE123456789")])) { response in
                #expect(response.status == .ok && response.body.string.contains("Company details saved."))
            }
            #expect(try await ledger.companyDetails().address.city == "Bonn")
            #expect(try await ledger.companyDetails().iban == nil)
        }
    }
}
