import Fluent
import Foundation
import KeelTesting
import Kernel
import People
import Platform
import Testing
import Vapor
import VaporTesting
@testable import Web

@Suite("Leave over HTTP")
struct PeopleLeaveWebTests {
    @Test("An employee asks over the API; they may not approve it; their manager approves on the leave page")
    func askAndApprove() async throws {
        try await withTestApp { app in
            let people = PeopleService(db: app.db, context: app.keelContext)
            for (name, roles) in [("mark", ["employee"]), ("erin", ["employee"]), ("hana", ["hr"])] {
                try await Fixtures.user(name, roles: roles, on: app)
            }
            let mark = try await people.hire(HireInput(legalName: "Mark Manager", hireDate: "2024-01-01", user: "mark",
                                                       job: AssignmentInput()), by: .system)
            let erin = try await people.hire(HireInput(legalName: "Erin Report", hireDate: "2024-02-01", user: "erin",
                                                       job: AssignmentInput(manager: mark.number)), by: .system)
            let hana = try await Fixtures.token(for: "hana", on: app)
            try await app.testing().test(.POST, "/api/v1/people/leave/types", headers: jsonHeaders(hana),
                                         body: ByteBuffer(string: #"{"code": "VAC", "name": "Vacation", "annualDays": "30"}"#)) { response in
                #expect(response.status == .created, "\(response.body.string)")
            }
            try await app.testing().test(.POST, "/api/v1/people/holidays", headers: jsonHeaders(hana),
                                         body: ByteBuffer(string: #"{"csv": "date,name\n2030-01-01,New Year\n"}"#)) { response in
                #expect(response.status == .ok && json(response)["added"] as? Int == 1)
            }
            let token = try await Fixtures.token(for: "erin", on: app)
            var id = ""
            try await app.testing().test(.POST, "/api/v1/people/leave/requests", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"type": "VAC", "start": "2029-12-31", "end": "2030-01-04", "halfStart": true}"#)) { response in
                #expect(response.status == .unprocessableEntity && problemCode(response) == "people.leave.crosses_year")
            }
            try await app.testing().test(.POST, "/api/v1/people/leave/requests", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: #"{"type": "VAC", "start": "2030-01-01", "end": "2030-01-04", "halfEnd": true}"#)) { response in
                #expect(response.status == .created, "\(response.body.string)")
                #expect(json(response)["days"] as? String == "2.5" && json(response)["employee"] as? String == erin.number)
                id = json(response)["id"] as? String ?? ""
            }
            try await app.testing().test(.POST, "/api/v1/people/leave/requests/\(id)/approve", headers: jsonHeaders(token),
                                         body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .forbidden && problemCode(response) == "people.leave.not_approver")
            }
            try await app.testing().test(.GET, "/api/v1/people/employees/\(erin.number)/leave-balances?year=2030", headers: bearer(token)) { response in
                let items = json(response)["items"] as? [[String: Any]] ?? []
                #expect(items.first?["pending"] as? String == "2.5" && items.first?["available"] as? String == "27.5")
            }
            let (cookie, csrf) = try await Fixtures.signIn("mark", on: app)
            try await app.testing().test(.GET, "/people/leave", headers: ["Cookie": cookie]) { response in
                #expect(response.status == .ok && response.body.string.contains("To decide")
                        && response.body.string.contains("Erin Report"))
            }
            try await app.testing().test(.POST, "/people/leave/\(id)/approve", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf)])) { response in
                #expect(response.status == .ok && response.body.string.contains("is approved"))
            }
            try await app.testing().test(.GET, "/people/leave/calendar?month=2030-01", headers: ["Cookie": cookie]) { response in
                #expect(response.status == .ok && response.body.string.contains("cal-leave"))
            }
            try await app.testing().test(.GET, "/people/leave/calendar?month=nope", headers: ["Cookie": cookie]) { response in
                #expect(response.status == .unprocessableEntity)
            }
        }
    }
}
