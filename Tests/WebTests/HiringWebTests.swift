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

    @Test("hr attaches a file on the record page (multipart, CSRF inside) and downloads it as an attachment")
    func documentUpload() async throws {
        try await withTestApp { app in
            try await Fixtures.user("hana", roles: ["hr"], on: app)
            let employee = try await PeopleService(db: app.db, context: app.keelContext)
                .hire(HireInput(legalName: "Erin Report", hireDate: "2024-02-01", job: AssignmentInput()), by: .system)
            let (cookie, csrf) = try await Fixtures.signIn("hana", on: app)
            let boundary = "KeelBoundary42"
            func part(_ name: String, _ value: String) -> String {
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
            }
            let body = part("_csrf", csrf) + part("title", "Signed contract") + part("kind", "contract")
                + part("confidentiality", "personal")
                + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"contract.txt\"\r\n"
                + "Content-Type: text/plain\r\n\r\nI agree.\r\n--\(boundary)--\r\n"
            let headers: HTTPHeaders = ["Cookie": cookie, "Content-Type": "multipart/form-data; boundary=\(boundary)"]
            try await app.testing().test(.POST, "/people/\(employee.number)/documents", headers: headers,
                                         body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok, "\(response.body.string.prefix(300))")
                #expect(response.body.string.contains("Signed contract attached."))
            }
            let documents = try await PeopleService(db: app.db, context: app.keelContext)
                .documents(employee.number, by: try await Fixtures.principal("hana", on: app))
            try await app.testing().test(.GET, "/people/\(employee.number)/documents/\(documents[0].id)",
                                         headers: ["Cookie": cookie]) { response in
                #expect(response.status == .ok && response.body.string == "I agree.")
                #expect(response.headers.first(name: .contentDisposition)?.hasPrefix("attachment") == true)
            }
            let noCSRF = body.replacingOccurrences(of: csrf, with: "forged")
            try await app.testing().test(.POST, "/people/\(employee.number)/documents", headers: headers,
                                         body: ByteBuffer(string: noCSRF)) { response in
                #expect(response.status == .forbidden)
            }
        }
    }
}
