import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import Parties
import Platform
import SQLKit
import Testing

@Suite("Partners")
struct PartiesServiceTests {
    static let clerk = Principal(userID: nil, username: "clerk", roles: ["clerk"],
                                 permissions: [Permission("sales", .read), Permission("sales", .write)])
    static let reader = Principal(userID: nil, username: "reader", roles: ["reader"],
                                  permissions: [Permission("purchasing", .read)])

    func count(_ table: String, _ db: any Database) async throws -> Int {
        try await db.sql.select().column(SQLRaw("COUNT(*)"), as: "n").from(table).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    @Test("A partner is created with its contacts, found by code or id, changed, archived, and each change is audited")
    func lifecycle() async throws {
        try await withTestDatabase { db, context in
            let parties = PartiesService(db: db, context: context)
            let acme = try await parties.create(PartnerInput(
                name: "ACME GmbH", isVendor: true, taxID: "DE 123 456 789", currency: "EUR", paymentTerms: "2/10 net 30",
                creditLimit: "5000.00", billingAddress: Address(line1: "Hauptstr. 1", postalCode: "10115", city: "Berlin",
                                                                 country: "de"),
                iban: "DE89 3704 0044 0532 0130 00",
                contacts: [Contact(name: "Ada", email: "ada@acme.example", role: "AP"), Contact(name: "Bo")]), by: Self.clerk)
            #expect(acme.code == "P-000001" && acme.isCustomer && acme.isVendor && acme.taxID == "DE123456789")
            #expect(acme.creditLimit == 5_000_00 && acme.contacts.map(\.name) == ["Ada", "Bo"])
            let second = try await parties.create(PartnerInput(name: "Beta Ltd"), by: Self.clerk)
            #expect(second.code == "P-000002" && second.paymentTerms == .net30)
            #expect(try await parties.partner(acme.id, by: Self.reader) == acme)
            #expect(try await parties.partner("P-000001", by: Self.reader) == acme)

            var change = PartnerInput(code: "ACME", name: "ACME Holding GmbH", isVendor: true, currency: "EUR")
            let changed = try await parties.update("P-000001", change, by: Self.clerk)
            #expect(changed.code == "ACME" && changed.name == "ACME Holding GmbH" && changed.contacts.count == 2)
            #expect(changed.taxID == nil && changed.createdAt == acme.createdAt)
            change.contacts = []
            #expect(try await parties.update("ACME", change, by: Self.clerk).contacts.isEmpty)

            let archived = try await parties.setArchived("ACME", true, by: Self.clerk)
            #expect(archived.archived)
            #expect(try await parties.partners(.init(), by: Self.reader).partners.map(\.code) == ["P-000002"])
            #expect(try await parties.partners(.init(includeArchived: true), by: Self.reader).total == 2)
            _ = try await parties.setArchived("ACME", false, by: Self.clerk)

            let actions = try await AuditChain.list(on: db, filter: AuditFilter(entity: "partner")).map(\.action)
            #expect(actions == ["partner.restore", "partner.archive", "partner.update", "partner.update", "partner.create",
                                "partner.create"])
        }
    }

    @Test("Bad input, a taken code and a missing permission are refused with their codes and change nothing")
    func refusals() async throws {
        try await withTestDatabase { db, context in
            let parties = PartiesService(db: db, context: context)
            _ = try await parties.create(PartnerInput(code: "C1", name: "One"), by: Self.clerk)
            #expect(await domainErrorCode { _ = try await parties.create(PartnerInput(code: "C1", name: "Two"), by: Self.clerk) }
                    == "parties.partner.code_taken")
            #expect(await domainErrorCode { _ = try await parties.create(PartnerInput(name: "Two", iban: "DE00"), by: Self.clerk) }
                    == "parties.partner.invalid")
            #expect(await domainErrorCode { _ = try await parties.create(PartnerInput(name: "Two"), by: Self.reader) }
                    == "auth.forbidden")
            #expect(await domainErrorCode { _ = try await parties.update("nope", PartnerInput(name: "X"), by: Self.clerk) }
                    == "parties.partner.not_found")
            _ = try await parties.create(PartnerInput(code: "C2", name: "Two"), by: Self.clerk)
            #expect(await domainErrorCode { _ = try await parties.update("C2", PartnerInput(code: "C1", name: "Two"), by: Self.clerk) }
                    == "parties.partner.code_taken")
            #expect(await domainErrorCode { _ = try await parties.partners(.init(limit: 0), by: Self.reader) }
                    == "parties.list.limit_invalid")
            #expect(try await count("partners", db) == 2)
            #expect(try await parties.partner("C2", by: Self.reader).name == "Two")
        }
    }

    @Test("The list searches name, code, tax id and e-mail, filters by role, sorts and pages")
    func listing() async throws {
        try await withTestDatabase { db, context in
            let parties = PartiesService(db: db, context: context)
            for (code, name, vendor) in [("A1", "Zeta Supplies", true), ("A2", "Alpha Foods", false),
                                         ("A3", "Mid_dle 100% Ltd", false), ("A4", "Omega Parts", true)] {
                _ = try await parties.create(PartnerInput(code: code, name: name, isCustomer: !vendor, isVendor: vendor,
                                                          email: "\(code.lowercased())@example.com"), by: Self.clerk)
            }
            #expect(try await parties.partners(.init(), by: Self.reader).partners.map(\.code) == ["A2", "A3", "A4", "A1"])
            #expect(try await parties.partners(.init(sort: .code, limit: 2, offset: 2), by: Self.reader).partners.map(\.code)
                    == ["A3", "A4"])
            #expect(try await parties.partners(.init(role: .vendor), by: Self.reader).partners.map(\.code) == ["A4", "A1"])
            #expect(try await parties.partners(.init(search: "OMEGA"), by: Self.reader).partners.map(\.code) == ["A4"])
            #expect(try await parties.partners(.init(search: "a2@"), by: Self.reader).partners.map(\.code) == ["A2"])
            // LIKE wildcards typed by a person are dropped, so they never match everything by accident.
            #expect(try await parties.partners(.init(search: "%"), by: Self.reader).total == 4)
            #expect(try await parties.partners(.init(search: "nobody"), by: Self.reader).total == 0)
        }
    }

    @Test("CSV export reads back through the import; a bad row imports nothing and names its line")
    func csvRoundTrip() async throws {
        try await withTestDatabase { db, context in
            let parties = PartiesService(db: db, context: context)
            _ = try await parties.create(PartnerInput(
                code: "ACME", name: "ACME, \"the\" company", isVendor: true, taxID: "DE123456789", currency: "EUR",
                paymentTerms: "eom+15", creditLimit: "1234.50",
                billingAddress: Address(line1: "Line 1\nBack house", city: "Berlin", country: "DE"),
                iban: "DE89370400440532013000", notes: "Pays late"), by: Self.clerk)
            let csv = try await parties.csv(.init(), by: Self.reader)
            #expect(csv.hasPrefix(PartiesService.csvColumns.joined(separator: ",") + "\n"))
            #expect(csv.contains("\"ACME, \"\"the\"\" company\""))

            #expect(csv.contains("\"Line 1\nBack house\""))
            let result = try await parties.importCSV(csv.replacingOccurrences(of: "Pays late", with: "Pays on time")
                + "NEW,New One,yes,no,,new@example.com,,,,,,,,,,,,,,,,,,,\n", by: Self.clerk)
            #expect(result.created == 1 && result.updated == 1)
            let acme = try await parties.partner("ACME", by: Self.reader)
            #expect(acme.notes == "Pays on time" && acme.creditLimit == 1_234_50 && acme.paymentTerms.description == "eom+15")
            #expect(acme.name == "ACME, \"the\" company" && acme.isVendor && acme.iban == "DE89370400440532013000")
            #expect(acme.billingAddress.line1 == "Line 1\nBack house")

            // An update by CSV changes the columns the file has and keeps the rest.
            #expect(try await parties.importCSV("code,name,notes,customer\nACME,ACME Renamed,Updated,no\n", by: Self.clerk)
                    == (created: 0, updated: 1))
            let renamed = try await parties.partner("ACME", by: Self.reader)
            #expect(renamed.name == "ACME Renamed" && renamed.notes == "Updated" && !renamed.isCustomer && renamed.isVendor)
            #expect(renamed.taxID == "DE123456789" && renamed.iban == acme.iban && renamed.creditLimit == 1_234_50)

            let before = try await count("partners", db)
            let audits = try await count("audit_log", db)
            do {
                _ = try await parties.importCSV("""
                    code,name,email
                    X1,Fine,x1@example.com
                    X2,,x2@example.com
                    X3,Bad mail,nope
                    """, by: Self.clerk)
                Issue.record("an invalid CSV was imported")
            } catch let error as DomainError {
                #expect(error.code == "parties.csv.invalid")
                #expect(error.items.map(\.line) == [3, 4] && error.items.map(\.field) == ["name", "email"])
            }
            #expect(await domainErrorCode { _ = try await parties.importCSV("code,nom\nX,Y\n", by: Self.clerk) }
                    == "parties.csv.invalid")
            #expect(await domainErrorCode { _ = try await parties.importCSV("code,name\nD,One\nD,Two\n", by: Self.clerk) }
                    == "parties.csv.invalid")
            #expect(await domainErrorCode { _ = try await parties.importCSV("", by: Self.clerk) } == "parties.csv.empty")
            #expect(try await count("partners", db) == before)
            #expect(try await count("audit_log", db) == audits)
        }
    }

    @Test("The same Idempotency-Key and body return the first partner; other content is a conflict")
    func idempotentCreate() async throws {
        try await withTestDatabase { db, context in
            let parties = PartiesService(db: db, context: context)
            let input = PartnerInput(name: "Shop customer 17", email: "c17@example.com")
            let first = try await parties.create(input, idempotencyKey: "crm-17", by: Self.clerk)
            let again = try await parties.create(input, idempotencyKey: "crm-17", by: Self.clerk)
            #expect(again == first)
            #expect(await domainErrorCode {
                _ = try await parties.create(PartnerInput(name: "Someone else"), idempotencyKey: "crm-17", by: Self.clerk)
            } == "request.idempotency_conflict")
            // Keys belong to the user who sent them.
            let other = Principal(userID: nil, username: "other", roles: [], permissions: Self.clerk.permissions)
            #expect(try await parties.create(input, idempotencyKey: "crm-17", by: other).id != first.id)
            #expect(await domainErrorCode { _ = try await parties.create(input, idempotencyKey: "", by: Self.clerk) }
                    == "request.idempotency_key.invalid")
            // A request that fails does not use up its key.
            #expect(await domainErrorCode {
                _ = try await parties.create(PartnerInput(code: "P-000001", name: "Clash"), idempotencyKey: "crm-18", by: Self.clerk)
            } == "parties.partner.code_taken")
            #expect(try await parties.create(PartnerInput(name: "Later"), idempotencyKey: "crm-18", by: Self.clerk).name == "Later")
            #expect(try await count("partners", db) == 3)
        }
    }
}
