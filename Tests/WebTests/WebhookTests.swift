import Crypto
import Foundation
import KeelTesting
import Kernel
import Ledger
import NIOConcurrencyHelpers
import Platform
import Testing
import Vapor
import VaporTesting
@testable import Web

@Suite("Webhooks")
struct WebhookTests {
    @Test("A webhook reaches a local receiver signed Keel-Signature: t=..,v1=HMAC; a failure is retried with backoff")
    func deliveredSignedAndRetried() async throws {
        // A real receiver on a free local port: it refuses the first delivery and accepts the next.
        let receiver = try await Application.make(.testing)
        let seen = NIOLockedValueBox<[(headers: HTTPHeaders, body: String)]>([])
        receiver.post("hook") { request -> HTTPStatus in
            let count = seen.withLockedValue { list in
                list.append((request.headers, request.body.string ?? ""))
                return list.count
            }
            return count == 1 ? .internalServerError : .ok
        }
        try await receiver.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = try #require(receiver.http.server.shared.localAddress?.port)
        do {
            try await withTestApp { app in
                _ = try await LedgerService(db: app.db, context: app.keelContext).setUpCompany(name: "T", currency: "EUR", by: .system)
                let (subscription, secret) = try await Webhooks.subscribe(
                    url: "http://127.0.0.1:\(port)/hook", events: ["order.confirmed", "invoice.issued"], secret: nil,
                    on: app.db, by: .system, context: app.keelContext)
                #expect(subscription.events == ["invoice.issued", "order.confirmed"])
                let invalid = await domainErrorCode {
                    _ = try await Webhooks.subscribe(url: "ftp://example.com/x", events: ["order.confirmed"], secret: nil,
                                                     on: app.db, by: .system, context: app.keelContext)
                }
                #expect(invalid == "webhook.url.invalid")
                #expect(await domainErrorCode {
                    _ = try await Webhooks.subscribe(url: "https://example.com", events: ["invoice.deleted"], secret: nil,
                                                     on: app.db, by: .system, context: app.keelContext)
                } == "webhook.events.unknown")

                _ = try await app.testing().test(.GET, "/healthz")  // the app is up; now make an event
                let token = try await { () async throws -> String in
                    try await Fixtures.user("sam", roles: ["accountant"], on: app)
                    return try await Fixtures.token(for: "sam", on: app)
                }()
                try await app.testing().test(.POST, "/api/v1/sales/orders", headers: jsonHeaders(token), body: ByteBuffer(string: """
                    {"newCustomer": {"name": "Hook Customer"}, "orderDate": "2030-01-01", "confirm": true,
                     "lines": [{"description": "x", "unitPrice": "10.00"}]}
                    """)) { response in #expect(response.status == .created, "\(response.body.string)") }

                let first = try await ScheduledJobs.run(app, asOf: CivilDate(2029, 12, 31))
                #expect(first.first { $0.job == "webhooks" }?.count == 0)
                var log = try await Webhooks.deliveries(on: app.db, by: .system)
                #expect(log.count == 1 && log[0].state == "retrying" && log[0].lastStatus == 500)
                // Not due again until the backoff has passed; then it goes through.
                #expect(try await Webhooks.deliverDue(on: app.db, send: OutboxDispatcher.webhookSender(app),
                                                      clock: app.keelContext.clock) == 0)
                #expect(try await Webhooks.deliverDue(on: app.db, send: OutboxDispatcher.webhookSender(app),
                                                      clock: FixedClock(Date().addingTimeInterval(10))) == 1)
                log = try await Webhooks.deliveries(on: app.db, by: .system)
                #expect(log[0].state == "delivered" && log[0].attempts == 2)

                let requests = seen.withLockedValue { $0 }
                #expect(requests.count == 2)
                for request in requests {
                    #expect(request.headers.first(name: "Keel-Event") == "order.confirmed")
                    #expect(request.headers.first(name: "Keel-Delivery") == log[0].id)
                    let header = request.headers.first(name: "Keel-Signature") ?? ""
                    let parts = Dictionary(uniqueKeysWithValues: header.split(separator: ",").map {
                        let pair = $0.split(separator: "=", maxSplits: 1)
                        return (String(pair[0]), String(pair.count > 1 ? pair[1] : ""))
                    })
                    let mac = HMAC<SHA256>.authenticationCode(for: Data("\(parts["t"] ?? "").\(request.body)".utf8),
                                                              using: SymmetricKey(data: Data(secret.utf8)))
                    #expect(parts["v1"] == mac.map { String(format: "%02x", $0) }.joined())
                    #expect(request.body.contains("\"customer\""))
                }
                // A manual re-send queues the event again as a new delivery.
                let again = try await Webhooks.resend(log[0].id, on: app.db, by: .system, context: app.keelContext)
                #expect(again.state == "pending" && again.eventID == log[0].eventID)
            }
        } catch {
            await receiver.server.shutdown()
            try? await receiver.asyncShutdown()
            throw error
        }
        await receiver.server.shutdown()
        try await receiver.asyncShutdown()
    }
}
