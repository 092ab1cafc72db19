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

@Suite("Recruiting and tasks over HTTP")
struct HiringWebTests {
    @Test("hr opens a job over the API, a candidate is hired from the page, IT finds and closes the laptop task")
    func hireOverHTTP() async throws {
        try await withTestApp { app in
            for (name, roles) in [("hana", ["hr"]), ("ivy", ["it"]), ("erin", ["employee"])] {
                try await Fixtures.user(name, roles: roles, on: app)
            }
            let hr = try await Fixtures.token(for: "hana", on: app)
            try await app.testing().test(.POST, "/api/v1/people/checklists", headers: jsonHeaders(hr), body: ByteBuffer(string: """
                {"code": "ON", "name": "Onboarding", "kind": "onboarding",
                 "items": [{"title": "Laptop", "owner": "it", "dueOffsetDays": -2}, {"title": "Badge", "owner": "facilities", "dueOffsetDays": 0}]}
                """)) { response in
                #expect(response.status == .created, "\(response.body.string)")
            }
            try await app.testing().test(.POST, "/api/v1/people/openings", headers: jsonHeaders(hr),
                                         body: ByteBuffer(string: #"{"code": "DEV-1", "title": "Developer"}"#)) { response in
                #expect(response.status == .created)
            }
            var id = ""
            try await app.testing().test(.POST, "/api/v1/people/candidates", headers: jsonHeaders(hr),
                                         body: ByteBuffer(string: #"{"opening": "DEV-1", "name": "Ada Lovelace", "email": "ada@example.com"}"#)) { response in
                #expect(response.status == .created)
                id = json(response)["id"] as? String ?? ""
            }
            try await app.testing().test(.POST, "/api/v1/people/candidates/\(id)/stage", headers: jsonHeaders(hr),
                                         body: ByteBuffer(string: #"{"stage": "offer", "offerSalary": "70000", "offerStart": "2030-03-01"}"#)) { response in
                #expect(response.status == .ok && json(response)["offerSalary"] as? String == "70000.00")
            }
            let employeeToken = try await Fixtures.token(for: "erin", on: app)
            try await app.testing().test(.GET, "/api/v1/people/candidates", headers: bearer(employeeToken)) { response in
                #expect(response.status == .forbidden)
            }
            let (cookie, csrf) = try await Fixtures.signIn("hana", on: app)
            try await app.testing().test(.GET, "/people/recruiting/DEV-1", headers: ["Cookie": cookie]) { response in
                #expect(response.status == .ok && response.body.string.contains("Ada Lovelace"))
            }
            try await app.testing().test(.POST, "/people/candidates/\(id)/hire", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("hireDate", "2030-03-01"), ("workEmail", "nope")])) { response in
                #expect(response.status == .unprocessableEntity && response.body.string.contains("is not an email address"))
            }
            try await app.testing().test(.POST, "/people/candidates/\(id)/hire", headers: formHeaders(cookie: cookie),
                                         body: formBody([("_csrf", csrf), ("hireDate", "2030-03-01"), ("workEmail", "ada@keel.example")])) { response in
                #expect(response.status == .seeOther || response.status == .found)
            }
            let it = try await Fixtures.token(for: "ivy", on: app)
            var taskID = ""
            try await app.testing().test(.GET, "/api/v1/people/tasks", headers: bearer(it)) { response in
                let items = json(response)["items"] as? [[String: Any]] ?? []
                #expect(items.map { $0["title"] as? String } == ["Laptop"] && items.first?["dueDate"] as? String == "2030-02-27")
                taskID = items.first?["id"] as? String ?? ""
            }
            try await app.testing().test(.POST, "/api/v1/people/tasks/\(taskID)/done", headers: bearer(employeeToken)) { response in
                #expect(response.status == .notFound)
            }
            try await app.testing().test(.POST, "/api/v1/people/tasks/\(taskID)/done", headers: bearer(it)) { response in
                #expect(response.status == .ok && json(response)["status"] as? String == "done")
            }
        }
    }
}
