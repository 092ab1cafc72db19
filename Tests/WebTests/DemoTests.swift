import Foundation
import KeelTesting
import Kernel
import Ledger
import Parties
import People
import Platform
import Testing
import Vapor
@testable import Web

@Suite("The demo company")
struct DemoTests {
    @Test("The demo is seeded whole: admin, company, balanced books, partners, people; a second start changes nothing")
    func seedsWhole() async throws {
        try await withTestApp { app in
            let outcome = try await Demo.seedIfNeeded(app, adminPassword: "demo password 1234")
            #expect(outcome.created && outcome.generatedAdminPassword == nil)
            let ledger = LedgerService(db: app.db, context: app.keelContext)
            let company = try #require(try await ledger.company())
            #expect(company.name == "Keel Demo Company")
            #expect(try await ledger.verifyBooks().isEmpty)
            let today = company.today(app.keelContext.clock)
            #expect(try await ledger.trialBalance(asOf: today).count > 10)
            let users = try await UserService(db: app.db, context: app.keelContext).list().map(\.username)
            #expect(users.contains("admin") && users.contains("aude.auditor"))
            #expect(try await PartiesService(db: app.db, context: app.keelContext)
                .partners(.init(), by: .system).total > 0)
            let (employees, _) = try await PeopleService(db: app.db, context: app.keelContext)
                .employees(.init(status: .active, limit: 50), by: .system)
            #expect(!employees.isEmpty)
            let audited = try await AuditChain.list(on: app.db, filter: .init(limit: 1)).first?.seq
            let again = try await Demo.seedIfNeeded(app, adminPassword: nil)
            #expect(!again.created && again.generatedAdminPassword == nil)
            #expect(try await AuditChain.list(on: app.db, filter: .init(limit: 1)).first?.seq == audited)
        }
    }

    @Test("A seed that fails part way leaves nothing behind, not an admin whose password was never printed")
    func failedSeedLeavesNothing() async throws {
        try await withTestApp { app in
            // The demo creates this user near its end; taken already, the seed fails there.
            let users = UserService(db: app.db, context: app.keelContext)
            _ = try await users.create(.init(username: "aude.auditor", roles: ["auditor"]), by: .system)
            let audited = try await AuditChain.list(on: app.db, filter: .init()).count
            await #expect(throws: DomainError.self) { try await Demo.seedIfNeeded(app, adminPassword: nil) }
            #expect(try await users.hasActiveAdmin() == false)
            #expect(try await users.list().map(\.username) == ["aude.auditor"])
            #expect(try await LedgerService(db: app.db, context: app.keelContext).company() == nil)
            #expect(try await AuditChain.list(on: app.db, filter: .init()).count == audited)
        }
    }
}
