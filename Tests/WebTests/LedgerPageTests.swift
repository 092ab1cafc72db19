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

@Suite("Ledger pages")
struct LedgerPageTests {
    func lines(_ first: (String, String, String), _ second: (String, String, String)) -> [(String, String)] {
        [("lines[0][account]", first.0), ("lines[0][debit]", first.1), ("lines[0][credit]", first.2),
         ("lines[1][account]", second.0), ("lines[1][debit]", second.1), ("lines[1][credit]", second.2),
         ("lines[2][account]", ""), ("lines[2][debit]", ""), ("lines[2][credit]", "")]
    }

    @Test("A manual entry posts from the form; an unbalanced one comes back with the message and nothing posted")
    func manualEntry() async throws {
        try await withTestApp { app in
            try await Fixtures.user("alex", roles: ["accountant"], on: app)
            _ = try await LedgerService(db: app.db, context: app.keelContext).setUpCompany(name: "T", currency: "EUR", by: .system)
            let (cookie, csrf) = try await Fixtures.signIn("alex", on: app)
            let head = [("_csrf", csrf), ("date", "2026-03-02"), ("journal", "GEN"), ("memo", "Petty cash top-up")]
            try await app.testing().test(.POST, "/ledger/entries", headers: formHeaders(cookie: cookie),
                                         body: formBody(head + lines(("1000", "50.00", ""), ("1010", "", "50.00")))) { response in
                #expect(response.status == .ok)
                #expect(response.body.string.contains("Entry GEN-2026-000001 posted."))
            }
            try await app.testing().test(.POST, "/ledger/entries", headers: formHeaders(cookie: cookie),
                                         body: formBody(head + lines(("1000", "50.00", ""), ("1010", "", "49.00")))) { response in
                #expect(response.status == .unprocessableEntity)
                #expect(response.body.string.contains("differ"))
                #expect(response.body.string.contains("value=\"49.00\""))
            }
            try await app.testing().test(.POST, "/ledger/entries", headers: formHeaders(cookie: cookie),
                                         body: formBody(head + lines(("nope", "1.234", ""), ("1010", "", "1.00")))) { response in
                #expect(response.status == .unprocessableEntity)
                #expect(response.body.string.contains("has 2 decimal places"))
            }
            try await app.testing().test(.POST, "/ledger/entries", headers: formHeaders(cookie: cookie),
                                         body: formBody(Array(head.dropFirst()) + lines(("1000", "5.00", ""), ("1010", "", "5.00")))) {
                #expect($0.status == .forbidden)
            }
            let rows = try await LedgerService(db: app.db, context: app.keelContext).entries()
            #expect(rows.count == 1)
            try await app.testing().test(.GET, "/ledger/trial-balance?asOf=2026-03-31&format=csv", headers: ["Cookie": cookie]) { response in
                #expect(response.headers.contentType?.subType == "csv")
                #expect(response.body.string == """
                    account,currency,balance,functional_balance
                    Assets:Current Assets:Bank,EUR,-50.00,-50.00
                    Assets:Current Assets:Cash,EUR,50.00,50.00

                    """)
            }
            try await app.testing().test(.POST, "/ledger/entries/\(rows[0].id)/reverse", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("date", "2026-03-05")])) { response in
                #expect(response.status == .seeOther)
            }
            #expect(try await LedgerService(db: app.db, context: app.keelContext).trialBalance(asOf: CivilDate(2026, 3, 31)).isEmpty)
        }
    }

    @Test("Posting into a closed period from the page shows why; pages ask for setup first")
    func closedPeriodAndSetup() async throws {
        try await withTestApp { app in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            let (cookie, csrf) = try await Fixtures.signIn("ada", on: app)
            try await app.testing().test(.GET, "/ledger/entries", headers: ["Cookie": cookie]) { response in
                #expect(response.body.string.contains("/ledger/setup"))
            }
            try await app.testing().test(.POST, "/ledger/setup", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("name", "Acme"), ("currency", "EURO"),
                                                         ("fiscalYearStartMonth", "1"), ("timeZone", "UTC")])) { response in
                #expect(response.status == .unprocessableEntity)
                #expect(response.body.string.contains("not an active ISO 4217 currency"))
            }
            try await app.testing().test(.POST, "/ledger/setup", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("name", "Acme"), ("currency", "EUR"),
                                                         ("fiscalYearStartMonth", "4"), ("timeZone", "Europe/Berlin")])) {
                #expect($0.status == .seeOther)
            }
            _ = try await LedgerService(db: app.db, context: app.keelContext).closePeriod("2026-03", by: .system)
            try await app.testing().test(.POST, "/ledger/entries", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("date", "2026-03-02"), ("memo", "late"),
                                                         ("lines[0][account]", "1000"), ("lines[0][debit]", "5"),
                                                         ("lines[1][account]", "1010"), ("lines[1][credit]", "5")])) { response in
                #expect(response.status == .unprocessableEntity)
                #expect(response.body.string.contains("is closed"))
            }
        }
    }

    @Test("The entry form saves a draft, which is edited and posted from its own page")
    func draftFromPage() async throws {
        try await withTestApp { app in
            try await Fixtures.user("alex", roles: ["accountant"], on: app)
            let ledger = LedgerService(db: app.db, context: app.keelContext)
            _ = try await ledger.setUpCompany(name: "T", currency: "EUR", by: .system)
            let (cookie, csrf) = try await Fixtures.signIn("alex", on: app)
            let head = [("_csrf", csrf), ("date", "2026-03-02"), ("journal", "GEN"), ("memo", "Petty cash")]
            try await app.testing().test(.POST, "/ledger/entries", headers: formHeaders(cookie: cookie),
                                         body: formBody(head + lines(("1000", "50.00", ""), ("1010", "", "40.00"))
                                                        + [("action", "draft")])) { response in
                #expect(response.status == .ok && response.body.string.contains("Draft saved."))
            }
            let draft = try #require(try await ledger.drafts().first)
            try await app.testing().test(.GET, "/ledger/entries", headers: ["Cookie": cookie]) { response in
                #expect(response.body.string.contains("/ledger/drafts/\(draft.id)"))
            }
            try await app.testing().test(.POST, "/ledger/drafts/\(draft.id)", headers: formHeaders(cookie: cookie),
                                         body: formBody(head + lines(("1000", "50.00", ""), ("1010", "", "40.00"))
                                                        + [("action", "post")])) { response in
                #expect(response.status == .unprocessableEntity && response.body.string.contains("differ"))
            }
            let stillDraft = try await ledger.drafts().count
            #expect(try await ledger.entries().isEmpty && stillDraft == 1)
            try await app.testing().test(.POST, "/ledger/drafts/\(draft.id)", headers: formHeaders(cookie: cookie),
                                         body: formBody(head + lines(("1000", "50.00", ""), ("1010", "", "50.00"))
                                                        + [("action", "post")])) { response in
                #expect(response.status == .ok && response.body.string.contains("Entry GEN-2026-000001 posted."))
            }
            #expect(try await ledger.drafts().isEmpty)
        }
    }
}
