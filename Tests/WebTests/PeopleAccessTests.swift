import Fluent
import Foundation
import KeelTesting
import Kernel
import Ledger
import People
import Platform
import Testing
import Vapor
import VaporTesting
@testable import Web

/// The access rules of ARCHITECTURE.md on every People route: each viewer, on their own record, a report's and
/// someone else's, gets exactly what they may, and planted canary values never appear where they must not.
@Suite("People access on every route")
struct PeopleAccessTests {
    struct Canary {
        let employee: String
        let group: FieldGroup
        /// The forms the value takes in pages, JSON and CSV.
        let forms: [String]
    }

    @Test("admin, hr, payroll, a manager, an employee and an auditor see what they may and no canary leaks")
    func walk() async throws {
        try await withTestApp { app in
            let people = PeopleService(db: app.db, context: app.keelContext)
            let ledger = LedgerService(db: app.db, context: app.keelContext)
            _ = try await ledger.setUpCompany(name: "Keel Demo GmbH", currency: "EUR", by: .system)
            _ = try await people.createDepartment(code: "ENG", name: "Engineering", parent: nil, by: .system)
            for (name, roles) in [("ada", ["admin"]), ("hana", ["hr"]), ("paul", ["payroll"]), ("mark", ["employee"]),
                                  ("erin", ["employee"]), ("olga", ["employee"]), ("aude", ["auditor"])] {
                try await Fixtures.user(name, roles: roles, on: app)
            }
            let mark = try await people.hire(HireInput(legalName: "Mark Manager", hireDate: "2024-01-01", user: "mark",
                                                       personal: PersonalInput(nationalID: "CANARY-NID-MARK"),
                                                       job: AssignmentInput(department: "ENG", salary: "76543.21")), by: .system)
            let erin = try await people.hire(HireInput(
                legalName: "Erin Report", hireDate: "2024-02-01", user: "erin",
                personal: PersonalInput(nationalID: "CANARY-NID-ERIN"), bank: BankInput(iban: "DE89 3704 0044 0532 0130 00"),
                job: AssignmentInput(department: "ENG", manager: mark.number, salary: "98765.43")), by: .system)
            let olga = try await people.hire(HireInput(
                legalName: "Olga Other", hireDate: "2024-03-01", user: "olga",
                personal: PersonalInput(nationalID: "CANARY-NID-OLGA"), bank: BankInput(iban: "GB29 NWBK 6016 1331 9268 19"),
                job: AssignmentInput(department: "ENG", salary: "87654.32")), by: .system)
            let canaries = [
                Canary(employee: mark.id, group: .personal, forms: ["CANARY-NID-MARK"]),
                Canary(employee: mark.id, group: .pay, forms: ["76543.21", "76,543.21"]),
                Canary(employee: erin.id, group: .personal, forms: ["CANARY-NID-ERIN"]),
                Canary(employee: erin.id, group: .bank, forms: ["DE89370400440532013000", "DE89 3704 0044"]),
                Canary(employee: erin.id, group: .pay, forms: ["98765.43", "98,765.43"]),
                Canary(employee: olga.id, group: .personal, forms: ["CANARY-NID-OLGA"]),
                Canary(employee: olga.id, group: .bank, forms: ["GB29NWBK60161331926819", "GB29 NWBK"]),
                Canary(employee: olga.id, group: .pay, forms: ["87654.32", "87,654.32"]),
                Canary(employee: erin.id, group: .cases, forms: ["CANARY-CASE-ERIN", "CANARY-DOC-HR", "CANARY-CONTENT-HR"]),
                Canary(employee: erin.id, group: .personal, forms: ["CANARY-DOC-PERSONAL", "CANARY-CONTENT-P"]),
            ]
            let hana = try await Fixtures.principal("hana", on: app)
            _ = try await people.openCase(employee: erin.number, kind: .grievance, title: "CANARY-CASE-ERIN", parties: nil,
                                          openedOn: nil, by: hana)
            let personalDoc = try await people.attachDocument(erin.number, title: "CANARY-DOC-PERSONAL", kind: .contract,
                                                              confidentiality: .personal, filename: "contract.txt",
                                                              contentType: "text/plain", data: Data("CANARY-CONTENT-P".utf8), by: hana)
            let hrDoc = try await people.attachDocument(erin.number, title: "CANARY-DOC-HR", kind: .letter, confidentiality: .hr,
                                                        filename: "warning.txt", contentType: "text/plain",
                                                        data: Data("CANARY-CONTENT-HR".utf8), by: hana)
            let generalDoc = try await people.attachDocument(erin.number, title: "Team handbook receipt", kind: .other,
                                                             confidentiality: .general, filename: "receipt.txt",
                                                             contentType: "text/plain", data: Data("general".utf8), by: hana)
            let everyone = [mark, erin, olga]
            let pageRoutes = ["/people", "/people.csv", "/people/org-chart", "/people/organisation", "/people/me", "/audit",
                              "/people/leave", "/people/leave/calendar", "/people/leave/settings", "/people/tasks",
                              "/people/checklists", "/people/recruiting", "/people/timesheets", "/people/training",
                              "/people/cases"]
                + everyone.map { "/people/\($0.number)" }
                + [personalDoc, hrDoc, generalDoc].map { "/people/\(erin.number)/documents/\($0.id)" }
            let apiRoutes = ["/api/v1/people/employees", "/api/v1/people/me", "/api/v1/people/positions",
                             "/api/v1/people/tasks?status=all", "/api/v1/people/leave/requests", "/api/v1/people/candidates",
                             "/api/v1/people/cases", "/api/v1/people/timesheets", "/api/v1/people/trainings"]
                + everyone.flatMap { ["/api/v1/people/employees/\($0.number)", "/api/v1/people/employees/\($0.number)/history",
                                      "/api/v1/people/employees/\($0.number)/documents"] }
                + [personalDoc, hrDoc].map { "/api/v1/people/employees/\(erin.number)/documents/\($0.id)" }

            for username in ["ada", "hana", "paul", "mark", "erin", "olga", "aude"] {
                let principal = try await Fixtures.principal(username, on: app)
                let viewer = try await people.viewer(principal)
                let (cookie, _) = try await Fixtures.signIn(username, on: app)
                let token = try await Fixtures.token(for: username, on: app)
                var seen = ""
                for route in pageRoutes {
                    try await app.testing().test(.GET, route, headers: ["Cookie": cookie]) { response in
                        #expect(response.status.code < 500, "\(username) \(route): \(response.status)")
                        seen += response.body.string
                    }
                }
                for route in apiRoutes {
                    try await app.testing().test(.GET, route, headers: bearer(token)) { response in
                        #expect(response.status.code < 500, "\(username) \(route): \(response.status)")
                        seen += response.body.string
                    }
                }
                // No canary the viewer may not see appears anywhere; those they may see appear where the record shows.
                for canary in canaries {
                    let allowed = viewer.groups(of: canary.employee).contains(canary.group)
                    for form in canary.forms where !allowed {
                        #expect(!seen.contains(form), "\(username) saw \(canary.group.rawValue) value \(form)")
                    }
                }
                // Whom they may open at all.
                for employee in everyone {
                    try await app.testing().test(.GET, "/api/v1/people/employees/\(employee.number)",
                                                 headers: bearer(token)) { response in
                        let expected: HTTPResponseStatus = viewer.canSee(employee.id) ? .ok : .notFound
                        #expect(response.status == expected, "\(username) -> \(employee.number)")
                        if expected == .ok {
                            let groups = viewer.groups(of: employee.id)
                            let body = json(response)
                            #expect((body["personal"] != nil) == groups.contains(.personal), "\(username) personal")
                            #expect(((body["job"] as? [String: Any])?["salary"] != nil) == groups.contains(.pay), "\(username) pay")
                            #expect((body["bank"] != nil) == groups.contains(.bank), "\(username) bank")
                        }
                    }
                }
            }

            // The expected shape of the rules, spelled out, so a change to PeopleViewer cannot pass silently.
            func groups(_ username: String, _ employee: Employee) async throws -> Set<FieldGroup>? {
                let viewer = try await people.viewer(try await Fixtures.principal(username, on: app))
                return viewer.canSee(employee.id) ? viewer.groups(of: employee.id) : nil
            }
            #expect(try await groups("ada", erin) == [])
            #expect(try await groups("aude", erin) == [])
            #expect(try await groups("hana", erin) == [.personal, .bank, .pay, .cases])
            #expect(try await groups("paul", erin) == [.bank, .pay])
            #expect(try await groups("mark", erin) == [])
            #expect(try await groups("mark", olga) == nil)
            #expect(try await groups("erin", erin) == [.personal, .bank, .pay])
            #expect(try await groups("erin", mark) == nil)
            #expect(try await groups("olga", erin) == nil)

            // Writes: only people:write hires and changes; a manager may not; the employee edits their own contacts.
            let (markCookie, markCSRF) = try await Fixtures.signIn("mark", on: app)
            try await app.testing().test(.POST, "/people/\(erin.number)/changes", headers: formHeaders(cookie: markCookie),
                                         body: formBody([("_csrf", markCSRF), ("effectiveDate", "2025-01-01"), ("salary", "1")])) { response in
                #expect(response.status == .forbidden)
            }
            let erinToken = try await Fixtures.token(for: "erin", on: app)
            try await app.testing().test(.PUT, "/api/v1/people/employees/\(erin.number)/contacts", headers: jsonHeaders(erinToken),
                                         body: ByteBuffer(string: #"{"privatePhone": "+49 170 1234"}"#)) { response in
                #expect(response.status == .ok && response.body.string.contains("+49 170 1234"))
            }
            try await app.testing().test(.PUT, "/api/v1/people/employees/\(olga.number)/contacts", headers: jsonHeaders(erinToken),
                                         body: ByteBuffer(string: #"{"privatePhone": "+49 170 1234"}"#)) { response in
                #expect(response.status == .notFound)
            }
            let hanaToken = try await Fixtures.token(for: "hana", on: app)
            try await app.testing().test(.POST, "/api/v1/people/employees/\(erin.number)/changes", headers: jsonHeaders(hanaToken),
                                         body: ByteBuffer(string: #"{"effectiveDate": "2025-01-01", "reason": "raise", "job": {"salary": "101000"}}"#)) { response in
                #expect(response.status == .ok, "\(response.body.string)")
                #expect((json(response)["job"] as? [String: Any])?["salary"] as? String == "101000.00")
            }
        }
    }
}
