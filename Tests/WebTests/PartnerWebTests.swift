import Fluent
import Foundation
import KeelTesting
import Kernel
import Parties
import Platform
import Testing
import Vapor
import VaporTesting
@testable import Web

@Suite("Partners over the API and the pages")
struct PartnerWebTests {
    static let acme = """
        {"name": "ACME GmbH", "isVendor": true, "taxId": "DE123456789", "currency": "EUR", "paymentTerms": "2/10 net 30",
         "creditLimit": "5000.00", "billingAddress": {"city": "Berlin", "country": "DE"},
         "contacts": [{"name": "Ada", "email": "ada@acme.example"}]}
        """

    @Test("A duplicate merges over the API and the page; a missing duplicate is 422 and the form says so")
    func merge() async throws {
        try await withTestApp { app in
            try await Fixtures.user("alex", roles: ["accountant"], on: app)
            let token = try await Fixtures.token(for: "alex", on: app)
            let parties = PartiesService(db: app.db, context: app.keelContext)
            for (code, email) in [("A1", nil), ("A2", "a2@example.com"), ("A3", nil)] as [(String, String?)] {
                _ = try await parties.create(PartnerInput(code: code, name: "Acme", email: email), by: .system)
            }
            try await app.testing().test(.POST, "/api/v1/partners/A1/merge", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"duplicate": "A2"}"#)) { response in
                #expect(response.status == .ok, "\(response.body.string)")
                #expect(json(response)["code"] as? String == "A1" && json(response)["email"] as? String == "a2@example.com")
            }
            try await app.testing().test(.POST, "/api/v1/partners/A1/merge", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"duplicate": "A2"}"#)) { response in
                #expect(response.status == .unprocessableEntity && problemCode(response) == "parties.merge.duplicate_unknown")
            }
            let (cookie, csrf) = try await Fixtures.signIn("alex", on: app)
            try await app.testing().test(.POST, "/partners/A1/merge", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("duplicate", "A1")])) { response in
                #expect(response.status == .unprocessableEntity && response.body.string.contains("cannot be merged into itself"))
            }
            try await app.testing().test(.POST, "/partners/A1/merge", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("duplicate", "A3")])) { response in
                #expect(response.status == .ok && response.body.string.contains("A3 merged into A1."))
            }
        }
    }

    @Test("The front office creates a customer with an Idempotency-Key; a replay returns it, other content is 409")
    func apiCreate() async throws {
        try await withTestApp { app in
            try await Fixtures.user("alex", roles: ["accountant"], on: app)
            let token = try await Fixtures.token(for: "alex", on: app)
            var headers = jsonHeaders(token)
            headers.add(name: "Idempotency-Key", value: "crm-account-4711")
            var id = ""
            try await app.testing().test(.POST, "/api/v1/partners", headers: headers, body: ByteBuffer(string: Self.acme)) { response in
                #expect(response.status == .created, "\(response.body.string)")
                id = json(response)["id"] as? String ?? ""
                #expect(json(response)["code"] as? String == "P-000001")
                #expect(json(response)["paymentTerms"] as? String == "2/10 net 30")
                #expect(json(response)["creditLimit"] as? String == "5000.00")
            }
            try await app.testing().test(.POST, "/api/v1/partners", headers: headers, body: ByteBuffer(string: Self.acme)) { response in
                #expect(response.status == .created && json(response)["id"] as? String == id)
            }
            try await app.testing().test(.POST, "/api/v1/partners", headers: headers,
                                         body: ByteBuffer(string: #"{"name": "Other"}"#)) { response in
                #expect(response.status == .conflict && problemCode(response) == "request.idempotency_conflict")
            }
            try await app.testing().test(.POST, "/api/v1/partners", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"name": "", "iban": "DE00", "email": "x"}"#)) { response in
                #expect(response.status == .unprocessableEntity && problemCode(response) == "parties.partner.invalid")
                let fields = (json(response)["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
                #expect(Set(fields) == ["name", "iban", "email"])
            }
            try await app.testing().test(.POST, "/api/v1/partners", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"name": "X", "colour": "red"}"#)) { response in
                #expect(response.status == .badRequest)
            }
            try await app.testing().test(.GET, "/api/v1/partners?role=vendor&q=acme", headers: bearer(token)) { response in
                #expect(response.status == .ok && json(response)["total"] as? Int == 1)
            }
            try await app.testing().test(.PUT, "/api/v1/partners/P-000001", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"name": "ACME Holding", "isVendor": true}"#)) { response in
                #expect(response.status == .ok && json(response)["name"] as? String == "ACME Holding")
                #expect((json(response)["contacts"] as? [Any])?.count == 1)
            }
            try await app.testing().test(.POST, "/api/v1/partners/\(id)/archive", headers: bearer(token)) { response in
                #expect(response.status == .ok && json(response)["archived"] as? Bool == true)
            }
            try await app.testing().test(.GET, "/api/v1/partners/nope", headers: bearer(token)) { response in
                #expect(response.status == .notFound && problemCode(response) == "parties.partner.not_found")
            }
            let count = try await PartiesService(db: app.db, context: app.keelContext)
                .partners(.init(includeArchived: true), by: .system).total
            #expect(count == 1)
        }
    }

    @Test("An employee without sales or purchasing rights can neither list nor create partners")
    func forbidden() async throws {
        try await withTestApp { app in
            try await Fixtures.user("emma", roles: ["employee"], on: app)
            let token = try await Fixtures.token(for: "emma", on: app)
            try await app.testing().test(.GET, "/api/v1/partners", headers: bearer(token)) { #expect($0.status == .forbidden) }
            try await app.testing().test(.POST, "/api/v1/partners", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: Self.acme)) { #expect($0.status == .forbidden) }
            let (cookie, _) = try await Fixtures.signIn("emma", on: app)
            try await app.testing().test(.GET, "/partners", headers: ["Cookie": cookie]) { #expect($0.status == .forbidden) }
        }
    }

    @Test("The form creates a partner; a bad IBAN comes back beside its field with what was typed kept")
    func pages() async throws {
        try await withTestApp { app in
            try await Fixtures.user("alex", roles: ["accountant"], on: app)
            let (cookie, csrf) = try await Fixtures.signIn("alex", on: app)
            let fields = [("_csrf", csrf), ("name", "Corner Shop"), ("isCustomer", "on"), ("billingCity", "Lyon"),
                          ("billingCountry", "fr"), ("paymentTerms", "eom+15"),
                          ("contacts", "Chloé; chloe@corner.example; +33 1 23; owner\n\nMarc")]
            try await app.testing().test(.POST, "/partners", headers: formHeaders(cookie: cookie),
                                         body: formBody(fields + [("iban", "FR14 2004 1010 0505 0001 3M02 607")])) { response in
                #expect(response.status == .unprocessableEntity)
                #expect(response.body.string.contains("fails the IBAN check digits"))
                #expect(response.body.string.contains("value=\"Corner Shop\""))
            }
            try await app.testing().test(.POST, "/partners", headers: formHeaders(cookie: cookie),
                                         body: formBody(fields + [("iban", "FR14 2004 1010 0505 0001 3M02 606")])) { response in
                #expect(response.status == .seeOther || response.status == .found, "\(response.body.string)")
                #expect(response.headers.first(name: .location) == "/partners/P-000001?created=1")
            }
            try await app.testing().test(.GET, "/partners/P-000001?created=1", headers: ["Cookie": cookie]) { response in
                #expect(response.body.string.contains("Partner P-000001 created."))
                #expect(response.body.string.contains("FR14 2004 1010 0505 0001 3M02 606"))
            }
            try await app.testing().test(.GET, "/partners?q=corner", headers: ["Cookie": cookie]) { response in
                #expect(response.body.string.contains("Corner Shop") && response.body.string.contains("Lyon"))
            }
            try await app.testing().test(.GET, "/partners.csv", headers: ["Cookie": cookie]) { response in
                #expect(response.headers.contentType?.subType == "csv")
                #expect(response.body.string.contains("P-000001,Corner Shop,yes,no"))
            }
            try await app.testing().test(.POST, "/partners/import", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("csv", "name,email\nGood,g@example.com\nBad,nope\n")])) { response in
                #expect(response.status == .unprocessableEntity)
                #expect(response.body.string.contains("line 3: &apos;nope&apos; is not an email address")
                        || response.body.string.contains("line 3: 'nope' is not an email address"))
            }
            let partner = try await PartiesService(db: app.db, context: app.keelContext).partner("P-000001", by: .system)
            #expect(partner.contacts.map(\.name) == ["Chloé", "Marc"] && partner.contacts[0].role == "owner")
            #expect(partner.billingAddress.country == "FR" && partner.paymentTerms.description == "eom+15")
            #expect(try await PartiesService(db: app.db, context: app.keelContext).partners(.init(), by: .system).total == 1)
        }
    }
}
