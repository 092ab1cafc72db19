import Catalog
import Fluent
import Foundation
import Kernel
import Ledger
import Parties
import People
import Platform
import Sales
import Vapor

/// The demo company behind `keel serve --demo`. It is created once, on a database without an admin;
/// later starts change nothing.
public enum Demo {
    public struct Outcome: Sendable {
        /// The admin password, when Keel generated it (printed once); `nil` when it came from the environment
        /// or the demo already existed.
        public let generatedAdminPassword: String?
        public let created: Bool
    }

    static let people: [(username: String, name: String, roles: [String])] = [
        ("alex.accountant", "Alex Martin", ["accountant"]),
        ("hana.hr", "Hana Novak", ["hr"]),
        ("paul.payroll", "Paul Schmidt", ["payroll"]),
        ("ivy.it", "Ivy Chen", ["it"]),
        ("fred.facilities", "Fred Okafor", ["facilities"]),
        ("carla.compliance", "Carla Rossi", ["compliance"]),
        ("erin.employee", "Erin Walsh", ["employee"]),
        ("mark.manager", "Mark Weber", ["employee"]),
        ("aude.auditor", "Aude Laurent", ["auditor"]),
    ]

    /// Creates the demo company and its users when there is no admin yet, in one transaction: a first start that
    /// is stopped or fails while seeding leaves nothing behind, and the next start seeds the whole demo again.
    /// Seeded step by step, such a start kept the admin (whose generated password was never printed) and part of
    /// the books, and every later start took the admin for a finished demo.
    public static func seedIfNeeded(_ app: Application, adminPassword: String?) async throws -> Outcome {
        let context = app.keelContext
        if try await UserService(db: app.db, context: context).hasActiveAdmin() {
            return Outcome(generatedAdminPassword: nil, created: false)
        }
        if let adminPassword { try Passwords.validate(adminPassword, field: "KEEL_ADMIN_PASSWORD") }
        let password = adminPassword ?? Passwords.generate()
        try await writeTransaction(app.db) { db in try await seed(on: db, context: context, adminPassword: password) }
        return Outcome(generatedAdminPassword: adminPassword == nil ? password : nil, created: true)
    }

    /// Everything the demo holds, written through `db` (the seeding's transaction).
    static func seed(on db: any Database, context: PlatformContext, adminPassword password: String) async throws {
        let users = UserService(db: db, context: context)
        _ = try await users.create(.init(username: "admin", displayName: "Administrator", roles: ["admin"],
                                         password: password), by: .system)
        let ledger = LedgerService(db: db, context: context)
        let company = try await ledger.setUpCompany(name: "Keel Demo Company", currency: "EUR", fiscalYearStartMonth: 1,
                                                    timeZone: "Europe/Berlin", by: .system)
        let today = company.today(context.clock)
        try await ledger.setCompanyDetails(CompanyDetails(
            address: Address(line1: "Friedrichstraße 100", postalCode: "10117", city: "Berlin", country: "DE"),
            taxID: "DE123456789", registrationID: "HRB 123456 B, Amtsgericht Charlottenburg",
            iban: "DE89370400440532013000", bic: "COBADEFFXXX", email: "billing@keel-demo.example", phone: "+49 30 1234567"),
            by: .system)
        for code in [
            TaxCodeInput(code: "VAT19", name: "VAT 19 %", rate: "19", account: "2100"),
            TaxCodeInput(code: "VAT7", name: "VAT 7 % (reduced)", rate: "7", account: "2100"),
            TaxCodeInput(code: "ICS", name: "Intra-community supply", kind: "zero_rated", rate: "0",
                         note: "Tax-exempt intra-community supply of goods (Art. 138 Directive 2006/112/EC)"),
            TaxCodeInput(code: "EXEMPT", name: "Exempt", kind: "exempt", rate: "0",
                         note: "Exempt from VAT (Art. 135 Directive 2006/112/EC)"),
            TaxCodeInput(code: "RC", name: "Reverse charge", kind: "reverse_charge", rate: "0",
                         note: "Reverse charge: VAT to be accounted for by the recipient (Art. 196 Directive 2006/112/EC)"),
        ] {
            _ = try await ledger.saveTaxCode(code, by: .system)
        }
        _ = try await ledger.post(batch: DemoBooks.entries(until: today), by: .system, auditAs: "demo-books")
        let parties = PartiesService(db: db, context: context)
        for partner in DemoParties.partners() { _ = try await parties.create(partner, by: .system) }
        let references = LedgerReferences(db: db, context: context)
        let catalog = CatalogService(db: db, context: context, references: references)
        for product in DemoCatalog.products() { _ = try await catalog.create(product, by: .system) }
        try await DemoSales.seed(SalesService(db: db, context: context, products: references), today: today)
        // Earlier fiscal years are closed, as an accountant would have done.
        var yearEnds: [CivilDate] = []
        var end = company.fiscalYear(containing: today).start.addingDays(-1)
        while end >= today.addingMonths(-24).monthStart {
            yearEnds.insert(end, at: 0)
            end = company.fiscalYear(containing: end).start.addingDays(-1)
        }
        for end in yearEnds { _ = try await ledger.closeYear(endingOn: end, by: .system) }
        _ = try await ledger.setBudgets(DemoBooks.budget(for: company.fiscalYear(containing: today)), source: "demo",
                                        by: .system)
        for person in people {
            // Demo colleagues get random passwords; the admin resets one to sign in as that person.
            _ = try await users.create(.init(username: person.username, displayName: person.name, roles: person.roles),
                                       by: .system)
        }
        let people = PeopleService(db: db, context: context)
        try await DemoPeople.seed(people, today: today)
        try await DemoPeople.seedLeave(people, today: today)
        try await DemoPeople.seedRecruiting(people, today: today)
        try await DemoPeople.seedWork(people, today: today)
    }
}
