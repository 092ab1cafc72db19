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

@Suite("Ledger API")
struct LedgerAPITests {
    static func entryJSON(_ amount: String = "119.00", credit: String? = nil, date: String = "2026-03-10",
                          account: String = "1010") -> String {
        """
        {"journal": "SAL", "date": "\(date)", "memo": "Invoice 17", "lines": [
          {"account": "\(account)", "debit": "\(amount)", "currency": "EUR"},
          {"account": "Income:Sales", "credit": "\(credit ?? amount)", "currency": "EUR"}]}
        """
    }

    func withBooks(_ body: (Application, String) async throws -> Void) async throws {
        try await withTestApp { app in
            try await Fixtures.user("alex", roles: ["accountant"], on: app)
            _ = try await LedgerService(db: app.db, context: app.keelContext)
                .setUpCompany(name: "Test", currency: "EUR", by: .system)
            try await body(app, try await Fixtures.token(for: "alex", on: app))
        }
    }

    @Test("Posting over HTTP; the same Idempotency-Key replays, other content is 409, and the books show it once")
    func postAndReplay() async throws {
        try await withBooks { app, token in
            var headers = jsonHeaders(token)
            headers.add(name: "Idempotency-Key", value: "crm-order-9")
            var firstID = ""
            try await app.testing().test(.POST, "/api/v1/ledger/entries", headers: headers,
                                         body: ByteBuffer(string: Self.entryJSON())) { response in
                #expect(response.status == .created, "\(response.body.string)")
                firstID = json(response)["id"] as? String ?? ""
                #expect(json(response)["number"] as? String == "SAL-2026-000001")
            }
            try await app.testing().test(.POST, "/api/v1/ledger/entries", headers: headers,
                                         body: ByteBuffer(string: Self.entryJSON())) { response in
                #expect(json(response)["id"] as? String == firstID && json(response)["replayed"] as? Bool == true)
            }
            try await app.testing().test(.POST, "/api/v1/ledger/entries", headers: headers,
                                         body: ByteBuffer(string: Self.entryJSON("120.00"))) { response in
                #expect(response.status == .conflict)
                #expect(problemCode(response) == "ledger.entry.idempotency_conflict")
            }
            try await app.testing().test(.GET, "/api/v1/ledger/trial-balance?asOf=2026-03-31", headers: bearer(token)) { response in
                let items = json(response)["items"] as? [[String: Any]] ?? []
                #expect(items.count == 2)
                #expect(items.first { $0["code"] as? String == "1010" }?["balance"] as? String == "119.00")
            }
        }
    }

    @Test("Bad entries are refused with their code and field, and change nothing", arguments: [
        (LedgerAPITests.entryJSON("100.00", credit: "99.00"), 422, "ledger.entry.unbalanced"),
        (LedgerAPITests.entryJSON("12.345"), 422, "money.parse.too_many_decimals"),
        (LedgerAPITests.entryJSON(date: "2026-02-30"), 422, "date.invalid"),
        (LedgerAPITests.entryJSON(account: "9999"), 422, "ledger.account.unknown"),
        (LedgerAPITests.entryJSON(account: "1"), 422, "ledger.account.header"),
        (LedgerAPITests.entryJSON("-5.00"), 422, "ledger.line.amount_not_positive"),
        (#"{"date": "2026-03-10", "memo": "x", "lines": [], "extra": 1}"#, 400, "request.malformed"),
        (#"{"date": "2026-03-10", "memo": "x", "lines": "none"}"#, 400, "request.malformed"),
        (#"{"date": "2026-03-10", "memo": "x", "lines": []}"#, 422, "ledger.entry.no_lines"),
    ])
    func refuses(body: String, status: Int, code: String) async throws {
        try await withBooks { app, token in
            try await app.testing().test(.POST, "/api/v1/ledger/entries", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: body)) { response in
                #expect(response.status.code == status, "\(response.body.string)")
                #expect(problemCode(response) == code)
            }
            #expect(try await LedgerService(db: app.db, context: app.keelContext)
                .trialBalance(asOf: CivilDate(2026, 12, 31)).isEmpty)
        }
    }

    @Test("A request that cannot be read is a 400 whose detail names the field, or the parameters", arguments: [
        (HTTPMethod.POST, "/api/v1/ledger/entries",
         #"{"date": "2026-03-10", "memo": "x", "lines": [{"account": "1010", "debit": 5, "currency": "EUR"}]}"#,
         "'lines[0].debit' has the wrong type: expected String."),
        (.POST, "/api/v1/ledger/entries", #"{"date": "2026-03-10", "memo": "x", "lines": [], "extra": 1}"#,
         "'extra' is not valid"),
        (.POST, "/api/v1/ledger/entries", #"{"memo": "x", "lines": []}"#, "'date' is required."),
        (.POST, "/api/v1/ledger/entries", #"{"date": "#, "The body is not valid"),
        (.GET, "/api/v1/ledger/reports/trial-balance", "",
         "A path or query parameter is not valid: Cannot initialize"),
        (.GET, "/api/v1/ledger/general-ledger?account=1010&limit=many", "",
         "A path or query parameter has the wrong type"),
    ])
    func unreadable(method: HTTPMethod, path: String, body: String, detail: String) async throws {
        try await withBooks { app, token in
            try await app.testing().test(method, path, headers: jsonHeaders(token),
                                         body: body.isEmpty ? nil : ByteBuffer(string: body)) { response in
                #expect(response.status == .badRequest, "\(response.body.string)")
                #expect(problemCode(response) == "request.malformed")
                let said = json(response)["detail"] as? String ?? ""
                #expect(said.hasPrefix(detail), "\(said)")
            }
        }
    }

    @Test("Closed periods and archived accounts are refused over the API")
    func closedAndArchived() async throws {
        try await withBooks { app, token in
            let ledger = LedgerService(db: app.db, context: app.keelContext)
            _ = try await ledger.closePeriod("2026-03", by: .system)
            try await app.testing().test(.POST, "/api/v1/ledger/entries", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: Self.entryJSON())) { response in
                #expect(response.status == .unprocessableEntity)
                #expect(problemCode(response) == "ledger.period.closed")
            }
            _ = try await ledger.archiveAccount(code: "1000", by: .system)
            try await app.testing().test(.POST, "/api/v1/ledger/entries", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: Self.entryJSON(date: "2026-04-01", account: "1000"))) { response in
                #expect(problemCode(response) == "ledger.account.archived")
            }
        }
    }

    @Test("A batch reports every bad entry by index and posts nothing")
    func batch() async throws {
        try await withBooks { app, token in
            let body = #"{"entries": [\#(Self.entryJSON()), \#(Self.entryJSON("1.00", credit: "2.00")), \#(Self.entryJSON("1.5x"))]}"#
            try await app.testing().test(.POST, "/api/v1/ledger/entries/batch", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: body)) { response in
                #expect(response.status == .unprocessableEntity)
                let errors = json(response)["errors"] as? [[String: Any]] ?? []
                #expect(errors.map { $0["index"] as? Int } == [2])
            }
            let second = #"{"entries": [\#(Self.entryJSON()), \#(Self.entryJSON("1.00", credit: "2.00"))]}"#
            try await app.testing().test(.POST, "/api/v1/ledger/entries/batch", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: second)) { response in
                let errors = json(response)["errors"] as? [[String: Any]] ?? []
                #expect(errors.map { $0["index"] as? Int } == [1])
                #expect(errors.first?["code"] as? String == "ledger.entry.unbalanced")
            }
            let good = #"{"entries": [\#(Self.entryJSON()), \#(Self.entryJSON("2.00"))]}"#
            try await app.testing().test(.POST, "/api/v1/ledger/entries/batch", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: good)) { response in
                #expect(response.status == .created)
                #expect((json(response)["items"] as? [Any])?.count == 2)
            }
        }
    }

    @Test("Without a company the ledger says so; an employee may not read it")
    func guards() async throws {
        try await withTestApp { app in
            try await Fixtures.user("alex", roles: ["accountant"], on: app)
            try await Fixtures.user("erin", roles: ["employee"], on: app)
            try await app.testing().test(.GET, "/api/v1/ledger/accounts", headers: bearer(try await Fixtures.token(for: "alex", on: app))) {
                #expect($0.status == .conflict && problemCode($0) == "ledger.company.missing")
            }
            try await app.testing().test(.GET, "/api/v1/ledger/accounts", headers: bearer(try await Fixtures.token(for: "erin", on: app))) {
                #expect($0.status == .forbidden)
            }
        }
    }

    @Test("Statements, ledger detail, entries, periods and the year-end close over HTTP")
    func reportsAndPeriods() async throws {
        try await withBooks { app, token in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            let admin = try await Fixtures.token(for: "ada", on: app)
            var entryID = ""
            try await app.testing().test(.POST, "/api/v1/ledger/entries", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: Self.entryJSON("500.00", date: "2025-03-10"))) { response in
                entryID = json(response)["id"] as? String ?? ""
            }
            try await app.testing().test(.GET, "/api/v1/ledger/reports/balance-sheet?asOf=2025-12-31&compare=true",
                                         headers: bearer(token)) { response in
                #expect(response.status == .ok, "\(response.body.string)")
                #expect(json(response)["columns"] as? [String] == ["2025-12-31", "2024-12-31"])
                let rows = json(response)["rows"] as? [[String: Any]] ?? []
                #expect(rows.first { $0["label"] as? String == "Total assets" }?["amounts"] as? [String] == ["500.00", "0.00"])
            }
            try await app.testing().test(.GET, "/api/v1/ledger/reports/income-statement?from=2025-01-01&to=2025-12-31",
                                         headers: bearer(token)) { response in
                let rows = json(response)["rows"] as? [[String: Any]] ?? []
                #expect(rows.first { $0["label"] as? String == "Net income" }?["amounts"] as? [String] == ["500.00"])
            }
            try await app.testing().test(.GET, "/api/v1/ledger/reports/cash-flow?from=2025-12-31&to=2025-01-01",
                                         headers: bearer(token)) { response in
                #expect(response.status == .unprocessableEntity && problemCode(response) == "ledger.report.range_invalid")
            }
            try await app.testing().test(.GET, "/api/v1/ledger/reports/profit?from=2025-01-01", headers: bearer(token)) { response in
                #expect(response.status == .badRequest)
            }
            try await app.testing().test(.GET, "/api/v1/ledger/general-ledger?account=1010&from=2025-01-01&to=2025-12-31",
                                         headers: bearer(token)) { response in
                #expect(json(response)["closing"] as? String == "500.00" && json(response)["count"] as? Int == 1)
            }
            try await app.testing().test(.GET, "/api/v1/ledger/entries?journal=SAL", headers: bearer(token)) { response in
                #expect((json(response)["items"] as? [[String: Any]])?.first?["amount"] as? String == "500.00")
            }
            try await app.testing().test(.GET, "/api/v1/ledger/entries/\(entryID)", headers: bearer(token)) { response in
                let lines = json(response)["lines"] as? [[String: Any]] ?? []
                #expect(lines.first?["code"] as? String == "1010" && lines.first?["debit"] as? String == "500.00")
            }
            try await app.testing().test(.GET, "/api/v1/ledger/entries/nope", headers: bearer(token)) { response in
                #expect(response.status == .notFound && problemCode(response) == "ledger.entry.not_found")
            }
            // Only an admin reopens or locks; the accountant closes and closes the year.
            try await app.testing().test(.POST, "/api/v1/ledger/year-end-close", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"date": "2025-12-31"}"#)) { response in
                #expect(response.status == .created, "\(response.body.string)")
                #expect(json(response)["earnings"] as? String == "500.00")
            }
            try await app.testing().test(.POST, "/api/v1/ledger/entries", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: Self.entryJSON(date: "2025-06-01"))) { response in
                #expect(response.status == .unprocessableEntity && problemCode(response) == "ledger.period.closed")
            }
            try await app.testing().test(.POST, "/api/v1/ledger/periods/2025-06/reopen", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"reason": "Late invoice"}"#)) { response in
                #expect(response.status == .forbidden && problemCode(response) == "ledger.period.reopen_forbidden")
            }
            try await app.testing().test(.POST, "/api/v1/ledger/periods/2025-06/reopen", headers: jsonHeaders(admin),
                                         body: ByteBuffer(string: "{}")) { response in
                #expect(problemCode(response) == "ledger.period.reason_required")
            }
            // The body is optional: none at all is fine.
            try await app.testing().test(.POST, "/api/v1/ledger/periods/2025-06/lock", headers: bearer(admin)) { response in
                #expect(response.status == .ok && json(response)["state"] as? String == "locked", "\(response.body.string)")
            }
            try await app.testing().test(.POST, "/api/v1/ledger/periods/2025-06/reopen", headers: jsonHeaders(admin),
                                         body: ByteBuffer(string: #"{"reason": "Late invoice"}"#)) { response in
                #expect(response.status == .conflict && problemCode(response) == "ledger.period.locked")
            }
            try await app.testing().test(.GET, "/api/v1/ledger/periods", headers: bearer(token)) { response in
                let items = json(response)["items"] as? [[String: Any]] ?? []
                #expect(items.count == 12 && items.filter { $0["state"] as? String == "locked" }.count == 1)
            }
            try await app.testing().test(.POST, "/api/v1/ledger/entries/\(entryID)/reverse", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"date": "2026-01-05"}"#)) { response in
                #expect(response.status == .created && json(response)["number"] as? String == "SAL-2026-000001")
            }
        }
    }

    @Test("Accounts are added and archived over HTTP by a ledger admin; an archived account takes no postings")
    func accounts() async throws {
        try await withBooks { app, token in
            try await Fixtures.user("ada", roles: ["admin"], on: app)
            let admin = try await Fixtures.token(for: "ada", on: app)
            let body = #"{"code": "6150", "fullName": "Expenses:Marketing", "subtype": "none"}"#
            try await app.testing().test(.POST, "/api/v1/ledger/accounts", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: body)) { response in
                #expect(response.status == .forbidden)
            }
            try await app.testing().test(.POST, "/api/v1/ledger/accounts", headers: jsonHeaders(admin),
                                         body: ByteBuffer(string: #"{"code": "6150", "fullName": "Expenses:Marketing", "subtype": "shiny"}"#)) { response in
                #expect(problemCode(response) == "ledger.account.subtype_unknown")
            }
            try await app.testing().test(.POST, "/api/v1/ledger/accounts", headers: jsonHeaders(admin),
                                         body: ByteBuffer(string: body)) { response in
                #expect(response.status == .created && json(response)["fullName"] as? String == "Expenses:Marketing")
            }
            try await app.testing().test(.POST, "/api/v1/ledger/accounts/6150/archive", headers: bearer(admin)) { response in
                #expect(json(response)["archived"] as? Bool == true)
            }
            try await app.testing().test(.POST, "/api/v1/ledger/entries", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: Self.entryJSON(account: "6150"))) { response in
                #expect(response.status == .unprocessableEntity && problemCode(response) == "ledger.account.archived")
            }
        }
    }

    @Test("Drafts over HTTP: saved unbalanced, refused on posting with the reason, posted once fixed")
    func drafts() async throws {
        try await withBooks { app, token in
            var id = ""
            try await app.testing().test(.POST, "/api/v1/ledger/drafts", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: Self.entryJSON("100.00", credit: "90.00"))) { response in
                #expect(response.status == .created, "\(response.body.string)")
                id = json(response)["id"] as? String ?? ""
                let entry = json(response)["entry"] as? [String: Any]
                #expect((entry?["lines"] as? [[String: Any]])?.last?["credit"] as? String == "90.00")
            }
            try await app.testing().test(.POST, "/api/v1/ledger/drafts/\(id)/post", headers: bearer(token)) { response in
                #expect(response.status == .unprocessableEntity && problemCode(response) == "ledger.entry.unbalanced")
            }
            try await app.testing().test(.PUT, "/api/v1/ledger/drafts/\(id)", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: Self.entryJSON("100.00"))) { response in
                #expect(response.status == .ok)
            }
            try await app.testing().test(.POST, "/api/v1/ledger/drafts/\(id)/post", headers: bearer(token)) { response in
                #expect(response.status == .created && json(response)["number"] as? String == "SAL-2026-000001")
            }
            try await app.testing().test(.GET, "/api/v1/ledger/drafts/\(id)", headers: bearer(token)) { response in
                #expect(response.status == .notFound && problemCode(response) == "ledger.draft.not_found")
            }
            try await app.testing().test(.GET, "/api/v1/ledger/drafts", headers: bearer(token)) { response in
                #expect((json(response)["items"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test("Rates over HTTP all or nothing by index; revaluation posts the difference")
    func ratesAndRevaluation() async throws {
        try await withBooks { app, token in
            let usd = #"{"date": "2026-03-10", "memo": "USD", "lines": [{"account": "1010", "debit": "1000.00", "currency": "USD", "functionalAmount": "920.00"}, {"account": "4100", "credit": "920.00", "currency": "EUR"}]}"#
            try await app.testing().test(.POST, "/api/v1/ledger/entries", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: usd)) { #expect($0.status == .created) }
            try await app.testing().test(.POST, "/api/v1/ledger/rates", headers: jsonHeaders(token), body: ByteBuffer(string:
                #"{"items": [{"currency": "USD", "date": "2026-03-31", "rate": "0.95"}, {"currency": "XYZ", "date": "2026-03-31", "rate": "1"}]}"#)) { response in
                #expect(response.status == .unprocessableEntity)
                let errors = json(response)["errors"] as? [[String: Any]] ?? []
                #expect(errors.count == 1 && errors.first?["index"] as? Int == 1)
            }
            try await app.testing().test(.POST, "/api/v1/ledger/rates", headers: jsonHeaders(token), body: ByteBuffer(string:
                #"{"items": [{"currency": "USD", "date": "2026-03-31", "rate": "0.95"}]}"#)) { response in
                #expect(response.status == .created && json(response)["recorded"] as? Int == 1)
            }
            try await app.testing().test(.POST, "/api/v1/ledger/revaluation", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"date": "2026-03-31"}"#)) { response in
                #expect(response.status == .created && json(response)["difference"] as? String == "30.00")
            }
            try await app.testing().test(.GET, "/api/v1/ledger/rates?currency=USD", headers: bearer(token)) { response in
                #expect((json(response)["items"] as? [[String: Any]])?.first?["rate"] as? String == "0.95")
            }
        }
    }
}
