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

@Suite("Report and period pages")
struct ReportPageTests {
    func withBooks(_ body: (Application, String, String) async throws -> Void) async throws {
        try await withTestApp { app in
            try await Fixtures.user("alex", roles: ["accountant"], on: app)
            let ledger = LedgerService(db: app.db, context: app.keelContext)
            _ = try await ledger.setUpCompany(name: "T", currency: "EUR", by: .system)
            _ = try await ledger.post(batch: [
                ProposedEntry(date: CivilDate(2025, 3, 1), memo: "Sale", lines: [
                    ProposedLine(account: "1010", debit: 120_000, currency: .eur),
                    ProposedLine(account: "4000", credit: 120_000, currency: .eur)]),
                ProposedEntry(date: CivilDate(2025, 4, 1), memo: "Rent", lines: [
                    ProposedLine(account: "6100", debit: 20_000, currency: .eur),
                    ProposedLine(account: "1010", credit: 20_000, currency: .eur)]),
            ], by: .system)
            let (cookie, csrf) = try await Fixtures.signIn("alex", on: app)
            try await body(app, cookie, csrf)
        }
    }

    @Test("Statements render with their comparison, download as CSV, and refuse a bad date beside its field")
    func statements() async throws {
        try await withBooks { app, cookie, _ in
            try await app.testing().test(.GET, "/ledger/reports/balance-sheet?asOf=2025-12-31&compare=1",
                                         headers: ["Cookie": cookie]) { response in
                #expect(response.status == .ok)
                let html = response.body.string
                #expect(html.contains("2024-12-31") && html.contains("Total liabilities and equity"))
                #expect(html.contains("1,000.00"))
                #expect(html.contains("/ledger/general-ledger?account=1010&from=2025-01-01&to=2025-12-31"))
            }
            try await app.testing().test(.GET, "/ledger/reports/income-statement?from=2025-01-01&to=2025-12-31&format=csv",
                                         headers: ["Cookie": cookie]) { response in
                #expect(response.headers.contentType?.subType == "csv")
                #expect(response.body.string.contains("total,0,,,Net income,1000.00\n"))
            }
            try await app.testing().test(.GET, "/ledger/reports/cash-flow?from=2025-13-01", headers: ["Cookie": cookie]) { response in
                #expect(response.status == .unprocessableEntity)
                #expect(response.body.string.contains("is not a day of the calendar"))
            }
            try await app.testing().test(.GET, "/ledger/reports", headers: ["Cookie": cookie]) { response in
                #expect(response.status == .ok)
                #expect(response.body.string.contains("<svg class=\"chart\""))
            }
        }
    }

    @Test("The general ledger pages through lines with the running balance and names an unknown account")
    func generalLedger() async throws {
        try await withBooks { app, cookie, _ in
            try await app.testing().test(.GET, "/ledger/general-ledger?account=1010&from=2025-01-01&to=2025-12-31",
                                         headers: ["Cookie": cookie]) { response in
                let html = response.body.string
                #expect(html.contains("Opening balance") && html.contains("Closing balance") && html.contains("1,000.00"))
            }
            try await app.testing().test(.GET, "/ledger/general-ledger?account=1010&from=2025-01-01&to=2025-12-31&format=csv",
                                         headers: ["Cookie": cookie]) { response in
                #expect(response.body.string.hasSuffix(",Closing balance,,EUR,,,,1000.00\n"))
            }
            try await app.testing().test(.GET, "/ledger/general-ledger?account=9999&from=2025-01-01",
                                         headers: ["Cookie": cookie]) { response in
                #expect(response.status == .unprocessableEntity && response.body.string.contains("There is no account"))
            }
        }
    }

    @Test("Periods close from the page; the year-end close posts and closes; an accountant may not reopen")
    func periods() async throws {
        try await withBooks { app, cookie, csrf in
            try await app.testing().test(.POST, "/ledger/periods/2025-03/close", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf)])) { response in
                #expect(response.status == .seeOther)
            }
            try await app.testing().test(.POST, "/ledger/year-end-close", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("date", "2025-06-30")])) { response in
                #expect(response.status == .unprocessableEntity && response.body.string.contains("ends on 2025-12-31"))
            }
            try await app.testing().test(.POST, "/ledger/year-end-close", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("date", "2025-12-31")])) { response in
                #expect(response.status == .ok)
                #expect(response.body.string.contains("CLS-2025-000001") && response.body.string.contains("1,000.00"))
            }
            try await app.testing().test(.POST, "/ledger/periods/2025-03/reopen", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("reason", "Late invoice")])) { response in
                #expect(response.status == .forbidden)
            }
            let periods = try await LedgerService(db: app.db, context: app.keelContext).periods()
            #expect(periods.count == 12 && periods.allSatisfy { $0.state == .closed })
        }
    }

    @Test("Rates are added one by one or pasted as CSV; a bad row is named by its line")
    func rates() async throws {
        try await withBooks { app, cookie, csrf in
            try await app.testing().test(.POST, "/ledger/rates/import", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("csv", "date,currency,rate\n2026-01-31,USD,0.91\n2026-02-31,USD,0.9\n")])) { response in
                #expect(response.status == .unprocessableEntity && response.body.string.contains("line 3:"))
            }
            try await app.testing().test(.POST, "/ledger/rates", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("currency", "usd"), ("date", "2026-01-31"), ("rate", "0.91")])) { response in
                #expect(response.status == .ok && response.body.string.contains("Rate for USD saved."))
                #expect(response.body.string.contains("0.91"))
            }
        }
    }

    @Test("Budget figures import from the page; budget vs actual and activity by dimension render")
    func budgets() async throws {
        try await withBooks { app, cookie, csrf in
            try await app.testing().test(.POST, "/ledger/budgets", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("csv", "account,month,amount\n4000,2025-03,900.00\n1010,2025-03,1\n")])) { response in
                #expect(response.status == .unprocessableEntity && response.body.string.contains("line 3:"))
            }
            try await app.testing().test(.POST, "/ledger/budgets", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("csv", "account,month,amount\n4000,2025-03,900.00\n")])) { response in
                #expect(response.status == .seeOther)
            }
            try await app.testing().test(.GET, "/ledger/reports/budget-vs-actual?from=2025-01-01&to=2025-12-31",
                                         headers: ["Cookie": cookie]) { response in
                #expect(response.status == .ok && response.body.string.contains("900.00")
                        && response.body.string.contains("1,200.00") && response.body.string.contains("300.00"))
            }
            try await app.testing().test(.GET, "/ledger/reports/dimensions?from=2025-01-01&to=2025-12-31&key=project",
                                         headers: ["Cookie": cookie]) { response in
                #expect(response.status == .ok && response.body.string.contains("(no project)"))
            }
        }
    }
}
