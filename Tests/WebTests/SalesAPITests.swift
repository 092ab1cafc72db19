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

@Suite("Order to cash over HTTP")
struct SalesAPITests {
    static let order = """
        {"newCustomer": {"name": "Northwind Traders", "code": "NW", "paymentTerms": "net 14"},
         "orderDate": "2025-12-20", "reference": "CRM-4711", "confirm": true,
         "billing": {"kind": "recurring", "interval": "month", "start": "2026-01-01", "periods": 3, "timing": "advance"},
         "lines": [{"description": "Keel hosting", "quantity": "1", "unitPrice": "100.00", "taxCode": "VAT19"}]}
        """

    @Test("Subscription -> jobs at each month -> 3 invoices -> partial payment -> aging = ledger -> credit note clears it")
    func endToEnd() async throws {
        try await withTestApp { app in
            let ledger = LedgerService(db: app.db, context: app.keelContext)
            _ = try await ledger.setUpCompany(name: "Keel Demo GmbH", currency: "EUR", by: .system)
            _ = try await ledger.saveTaxCode(TaxCodeInput(code: "VAT19", name: "VAT 19 %", rate: "19", account: "2100"),
                                             by: .system)
            try await Fixtures.user("sam", roles: ["accountant"], on: app)
            let token = try await Fixtures.token(for: "sam", on: app)
            var headers = jsonHeaders(token)
            headers.add(name: "Idempotency-Key", value: "crm-order-4711")

            var orderID = ""
            try await app.testing().test(.POST, "/api/v1/sales/orders", headers: headers, body: ByteBuffer(string: Self.order)) { response in
                #expect(response.status == .created, "\(response.body.string)")
                orderID = json(response)["id"] as? String ?? ""
                #expect(json(response)["status"] as? String == "confirmed" && json(response)["gross"] as? String == "119.00")
                #expect((json(response)["schedule"] as? [[String: Any]])?.count == 3)
            }
            try await app.testing().test(.POST, "/api/v1/sales/orders", headers: headers, body: ByteBuffer(string: Self.order)) { response in
                #expect(response.status == .created && json(response)["id"] as? String == orderID)
            }
            try await app.testing().test(.POST, "/api/v1/sales/orders", headers: headers,
                                         body: ByteBuffer(string: Self.order.replacingOccurrences(of: "CRM-4711", with: "CRM-1"))) { response in
                #expect(response.status == .conflict && problemCode(response) == "request.idempotency_conflict")
            }

            // keel jobs run at each month's first day.
            for (day, expected) in [("2026-01-01", 1), ("2026-01-01", 0), ("2026-02-01", 1), ("2026-03-01", 1), ("2026-03-02", 0)] {
                let outcomes = try await ScheduledJobs.run(app, asOf: try CivilDate.parse(day))
                #expect(outcomes.first { $0.job == "sales.billing" }?.count == expected, "\(day)")
            }
            var numbers: [String] = []
            try await app.testing().test(.GET, "/api/v1/sales/invoices?customer=NW&kind=invoice", headers: bearer(token)) { response in
                #expect(json(response)["total"] as? Int == 3)
                numbers = ((json(response)["items"] as? [[String: Any]]) ?? []).compactMap { $0["number"] as? String }.sorted()
            }
            #expect(numbers == ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"])
            for (sort, expected) in [("oldest", numbers), ("newest", numbers.reversed()), ("due", numbers), ("number", numbers)] {
                try await app.testing().test(.GET, "/api/v1/sales/invoices?customer=NW&kind=invoice&sort=\(sort)",
                                             headers: bearer(token)) { response in
                    let got = ((json(response)["items"] as? [[String: Any]]) ?? []).compactMap { $0["number"] as? String }
                    #expect(got == Array(expected), "sort=\(sort)")
                }
            }
            try await app.testing().test(.GET, "/api/v1/sales/invoices?sort=sideways", headers: bearer(token)) { response in
                #expect(response.status == .badRequest)
            }

            try await app.testing().test(.POST, "/api/v1/sales/receipts", headers: jsonHeaders(token), body: ByteBuffer(string: """
                {"customer": "NW", "date": "2026-03-10", "amount": "150.00", "reference": "SEPA-77"}
                """)) { response in
                #expect(response.status == .created, "\(response.body.string)")
                #expect(json(response)["allocated"] as? String == "150.00")
                #expect((json(response)["allocations"] as? [[String: Any]])?.count == 2)
            }
            try await app.testing().test(.GET, "/api/v1/sales/aging?asOf=2026-03-10", headers: bearer(token)) { response in
                let row = (json(response)["rows"] as? [[String: Any]])?.first ?? [:]
                #expect(row["total"] as? String == "207.00" && row["days1to30"] as? String == "88.00"
                        && row["current"] as? String == "119.00", "\(response.body.string)")
            }
            try await app.testing().test(.GET, "/api/v1/sales/dunning?asOf=2026-03-10", headers: bearer(token)) { response in
                let items = json(response)["items"] as? [[String: Any]] ?? []
                #expect(items.map { "\($0["invoice"] ?? "") \($0["level"] ?? "")" } == ["INV-2026-000002 2"], "\(response.body.string)")
            }
            try await app.testing().test(.GET, "/api/v1/ledger/trial-balance?asOf=2026-03-10", headers: bearer(token)) { response in
                let rows = json(response)["items"] as? [[String: Any]] ?? []
                let receivable = rows.first { $0["code"] as? String == "1100" }
                #expect(receivable?["balance"] as? String == "207.00", "\(response.body.string)")
            }

            // Credit notes clear the rest.
            try await app.testing().test(.POST, "/api/v1/sales/invoices/\(numbers[2])/credit-notes", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"date": "2026-03-12", "reason": "Service ended"}"#)) { response in
                #expect(response.status == .created && json(response)["number"] as? String == "CN-2026-000001")
            }
            try await app.testing().test(.POST, "/api/v1/sales/invoices/\(numbers[1])/credit-notes", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"date": "2026-03-12", "lines": [{"line": 1, "amount": "88.00"}]}"#)) { response in
                #expect(response.status == .created && json(response)["tax"] as? String == "14.05", "\(response.body.string)")
            }
            try await app.testing().test(.GET, "/api/v1/sales/aging?asOf=2026-03-12", headers: bearer(token)) { response in
                #expect((json(response)["rows"] as? [[String: Any]])?.isEmpty == true, "\(response.body.string)")
            }
            try await app.testing().test(.GET, "/api/v1/sales/invoices/\(numbers[1])", headers: bearer(token)) { response in
                #expect(json(response)["state"] as? String == "paid" && json(response)["open"] as? String == "0.00")
            }
            try await app.testing().test(.GET, "/api/v1/sales/customers/NW/statement?from=2026-01-01&to=2026-03-31",
                                         headers: bearer(token)) { response in
                #expect(json(response)["closing"] as? String == "0.00" && (json(response)["lines"] as? [Any])?.count == 6)
            }
            // The lists download as CSV for someone signed in on the pages.
            let (cookie, _) = try await Fixtures.signIn("sam", on: app)
            for (path, header, rows) in [("/sales/orders.csv", "number,status,order_date", 1),
                                         ("/sales/invoices.csv?kind=invoice", "number,kind,state", 3),
                                         ("/sales/receipts.csv", "number,kind,date", 1),
                                         ("/sales/customers/NW/statement.csv?from=2026-01-01&to=2026-03-31", "date,kind,number", 8),
                                         ("/ledger/tax-codes.csv", "code,name,kind,rate", 1)] {
                try await app.testing().test(.GET, path, headers: ["Cookie": cookie]) { response in
                    let lines = response.body.string.split(separator: "\n")
                    #expect(response.status == .ok && lines.first?.hasPrefix(header) == true && lines.count == rows + 1,
                            "\(path): \(response.body.string)")
                }
            }
            try await app.testing().test(.GET, "/sales/aging.csv?asOf=2026-03-10", headers: ["Cookie": cookie]) { response in
                let lines = response.body.string.split(separator: "\n")
                #expect(response.status == .ok && lines.first == "customer,customer_name,currency,current,days_1_30,days_31_60,days_61_90,over_90,credit,total")
                #expect(lines.count >= 2 && lines.contains { $0.hasPrefix("NW,") })
            }
        }
    }

    @Test("A draft invoice is written on its page; a bad line is named and nothing is saved; then it is issued")
    func draftInvoicePage() async throws {
        try await withTestApp { app in
            let ledger = LedgerService(db: app.db, context: app.keelContext)
            _ = try await ledger.setUpCompany(name: "Keel Demo GmbH", currency: "EUR", by: .system)
            _ = try await ledger.saveTaxCode(TaxCodeInput(code: "VAT19", name: "VAT 19 %", rate: "19", account: "2100"),
                                             by: .system)
            _ = try await PartiesService(db: app.db, context: app.keelContext)
                .create(PartnerInput(code: "NW", name: "Northwind"), by: .system)
            try await Fixtures.user("sam", roles: ["accountant"], on: app)
            let (cookie, csrf) = try await Fixtures.signIn("sam", on: app)
            try await app.testing().test(.GET, "/sales/invoices/new", headers: ["Cookie": cookie]) { response in
                #expect(response.status == .ok && response.body.string.contains("Save draft"))
                #expect(!response.body.string.contains("Confirm now"))
            }
            let bad = [("_csrf", csrf), ("customer", "NW"), ("orderDate", "2026-03-02"), ("notes", "Thanks"),
                       ("description[]", "Consulting"), ("quantity[]", "two"), ("unitPrice[]", "100"), ("taxCode[]", "VAT19")]
            try await app.testing().test(.POST, "/sales/invoices", headers: formHeaders(cookie: cookie), body: formBody(bad)) { response in
                #expect(response.status == .unprocessableEntity && response.body.string.contains("Line 1"))
                #expect(response.body.string.contains("value=\"two\""))
            }
            let token = try await Fixtures.token(for: "sam", on: app)
            try await app.testing().test(.GET, "/api/v1/sales/invoices", headers: bearer(token)) { response in
                #expect(json(response)["total"] as? Int == 0)
            }
            var location = ""
            let good = bad.map { $0.0 == "quantity[]" ? ("quantity[]", "2") : $0 }
            try await app.testing().test(.POST, "/sales/invoices", headers: formHeaders(cookie: cookie), body: formBody(good)) { response in
                #expect(response.status == .seeOther || response.status == .found)
                location = response.headers.first(name: .location) ?? ""
            }
            try await app.testing().test(.GET, location, headers: ["Cookie": cookie]) { response in
                let page = response.body.string
                #expect(page.contains("Invoice (draft)") && page.contains("Issue and post") && page.contains("238.00"))
            }
        }
    }

    @Test("Bad orders are 422 with the line named; unknown documents 404; a reader may not write")
    func refusals() async throws {
        try await withTestApp { app in
            _ = try await LedgerService(db: app.db, context: app.keelContext).setUpCompany(name: "T", currency: "EUR", by: .system)
            try await Fixtures.user("sam", roles: ["accountant"], on: app)
            try await Fixtures.user("ava", roles: ["auditor"], on: app)
            let token = try await Fixtures.token(for: "sam", on: app)
            try await app.testing().test(.POST, "/api/v1/sales/orders", headers: jsonHeaders(token), body: ByteBuffer(string: """
                {"newCustomer": {"name": "X"}, "lines": [{"description": "a", "unitPrice": "1"}, {"description": "b", "quantity": "x", "unitPrice": "1"}]}
                """)) { response in
                #expect(response.status == .unprocessableEntity && problemCode(response) == "sales.lines.invalid")
                let fields = (json(response)["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
                #expect(fields == ["lines[1].quantity"], "\(response.body.string)")
            }
            try await app.testing().test(.POST, "/api/v1/sales/orders", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"customer": "C1", "lines": [], "surprise": 1}"#)) { response in
                #expect(response.status == .badRequest, "\(response.body.string)")
            }
            try await app.testing().test(.GET, "/api/v1/sales/invoices/INV-2026-999999", headers: bearer(token)) { response in
                #expect(response.status == .notFound && problemCode(response) == "sales.invoice.not_found")
            }
            let reader = try await Fixtures.token(for: "ava", on: app)
            try await app.testing().test(.POST, "/api/v1/sales/receipts", headers: jsonHeaders(reader),
                                         body: ByteBuffer(string: #"{"customer": "C1", "amount": "1"}"#)) { response in
                #expect(response.status == .forbidden)
            }
            // Nothing was written by the refused requests: the new customer of the bad order does not exist.
            try await app.testing().test(.GET, "/api/v1/partners", headers: bearer(token)) { response in
                #expect(json(response)["total"] as? Int == 0)
            }
        }
    }
}
