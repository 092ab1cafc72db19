import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import Ledger
import Platform
import SQLKit
import Testing

/// A company on EUR with the standard chart.
func books(_ db: any Database, _ context: PlatformContext) async throws -> LedgerService {
    let ledger = LedgerService(db: db, context: context)
    _ = try await ledger.setUpCompany(name: "Test GmbH", currency: "EUR", fiscalYearStartMonth: 1,
                                      timeZone: "Europe/Berlin", by: .system)
    return ledger
}

func sale(_ amount: Int64, on date: CivilDate = CivilDate(2026, 3, 10), key: String? = nil) -> ProposedEntry {
    ProposedEntry(journal: "SAL", date: date, memo: "Sale", lines: [
        ProposedLine(account: "1010", debit: amount, currency: .eur),
        ProposedLine(account: "Income:Sales", credit: amount, currency: .eur),
    ], idempotencyKey: key)
}

@Suite("Ledger posting")
struct LedgerServiceTests {
    @Test("Setting the company up loads the standard chart once")
    func setUp() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            let accounts = try await ledger.accounts()
            #expect(accounts.count == StandardChart.rows.count)
            #expect(accounts.contains { $0.fullName == "Equity:Retained Earnings" && $0.subtype == .retainedEarnings })
            #expect(await domainErrorCode { _ = try await ledger.setUpCompany(name: "Again", currency: "EUR", by: .system) }
                    == "ledger.company.exists")
            #expect(await domainErrorCode {
                _ = try await LedgerService(db: db, context: context).setUpCompany(name: "X", currency: "EURO", by: .system)
            } == "money.currency.unknown")
        }
    }

    @Test("The company is read once it is set up, never from a transaction that rolled back")
    func companyKeptOnceSettled() async throws {
        struct Undo: Error {}
        try await withTestDatabase { db, context in
            let ledger = LedgerService(db: db, context: context)
            #expect(try await ledger.company() == nil)
            await #expect(throws: Undo.self) {
                try await writeTransaction(db) { tx in
                    let inside = LedgerService(db: tx, context: context)
                    _ = try await inside.setUpCompany(name: "Gone GmbH", currency: "CHF", by: .system)
                    #expect(try await inside.company()?.name == "Gone GmbH")
                    throw Undo()
                }
            }
            #expect(try await ledger.company() == nil)
            #expect(await domainErrorCode { _ = try await ledger.requireCompany() } == "ledger.company.missing")
            _ = try await books(db, context)
            #expect(try await ledger.company()?.currency == .eur)
            // Kept: a row changed behind Keel's back (which Keel never does) is not read again.
            try await db.sql.raw("UPDATE ledger_company SET name = 'Changed'").run()
            #expect(try await ledger.company()?.name == "Test GmbH")
        }
    }

    @Test("Posting numbers entries gap-free per journal and year and keeps balances")
    func posting() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            let first = try await ledger.post(sale(10_000), by: .system)
            let second = try await ledger.post(sale(2_550, on: CivilDate(2026, 4, 2)), by: .system)
            #expect(first.number == "SAL-2026-000001" && second.number == "SAL-2026-000002")
            let march = try await ledger.trialBalance(asOf: CivilDate(2026, 3, 31))
            #expect(march.map { "\($0.account.code) \($0.balance)" } == ["1010 10000", "4000 -10000"])
            let april = try await ledger.trialBalance(asOf: CivilDate(2026, 4, 30))
            #expect(april.first { $0.account.code == "1010" }?.balance == 12_550)
            #expect(try await ledger.verifyBooks().isEmpty)
            let entry = try await ledger.entry(id: first.id)
            #expect(entry.lines.count == 2 && entry.lines[0].account.code == "1010" && entry.createdBy == "system")
        }
    }

    @Test("A batch is all or nothing and reports every invalid entry by index")
    func batchAllOrNothing() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            var bad = sale(100)
            bad.lines[1].credit = 90
            var unknown = sale(100)
            unknown.lines[0].account = "9999"
            do {
                _ = try await ledger.post(batch: [sale(100), bad, sale(200), unknown], by: .system)
                Issue.record("the batch should have been refused")
            } catch let error as DomainError {
                #expect(error.code == "ledger.batch.invalid")
                #expect(error.items.map(\.index) == [1, 3])
                #expect(error.items.map(\.code) == ["ledger.entry.unbalanced", "ledger.account.unknown"])
            }
            #expect(try await ledger.trialBalance(asOf: CivilDate(2026, 12, 31)).isEmpty)
            let posted = try await ledger.post(batch: (1...5).map { sale(Int64($0) * 100) }, by: .system, auditAs: "test")
            #expect(posted.map(\.number).last == "SAL-2026-000005")
            let audit = try await AuditChain.list(on: db, filter: .init(action: "ledger.batch.post"))
            #expect(audit.count == 1)
        }
    }

    @Test("The same idempotency key returns the first posting; other content is a conflict")
    func idempotency() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            let first = try await ledger.post(sale(500, key: "order-17"), by: .system)
            let again = try await ledger.post(sale(500, key: "order-17"), by: .system)
            #expect(again.id == first.id && again.replayed)
            #expect(await domainErrorCode { _ = try await ledger.post(sale(600, key: "order-17"), by: .system) }
                    == "ledger.entry.idempotency_conflict")
            #expect(try await ledger.trialBalance(asOf: CivilDate(2026, 12, 31)).first?.balance == 500)
        }
    }

    @Test("Nothing is posted into a closed period; reopening needs an admin and a reason")
    func closedPeriod() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            _ = try await UserService(db: db, context: context)
                .create(.init(username: "acc", roles: ["accountant"], password: "long enough pw"), by: .system)
            let accountantID = try await UserService(db: db, context: context).find(username: "acc").id
            let accountant = try await UserService.principal(userID: UUID(uuidString: accountantID)!, on: db)!
            _ = try await ledger.closePeriod("2026-03", by: accountant)
            #expect(await domainErrorCode { _ = try await ledger.post(sale(100), by: accountant) } == "ledger.period.closed")
            #expect(await domainErrorCode { _ = try await ledger.post(sale(100), by: .system) } == "ledger.period.closed")
            #expect(await domainErrorCode { _ = try await ledger.reopenPeriod("2026-03", reason: "correction", by: accountant) }
                    == "ledger.period.reopen_forbidden")
            #expect(await domainErrorCode { _ = try await ledger.reopenPeriod("2026-03", reason: "", by: .system) }
                    == "ledger.period.reason_required")
            _ = try await ledger.reopenPeriod("2026-03", reason: "late supplier invoice", by: .system)
            _ = try await ledger.post(sale(100), by: accountant)
            let audit = try await AuditChain.list(on: db, filter: .init(action: "ledger.period.reopen"))
            #expect(audit.first?.after?.contains("late supplier invoice") == true)
        }
    }

    @Test("Reversal swaps every line on the chosen date, links both ways, and happens once")
    func reversal() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            let posted = try await ledger.post(sale(4_200), by: .system)
            let reversal = try await ledger.reverse(entryID: posted.id, on: CivilDate(2026, 4, 1), by: .system)
            #expect(try await ledger.trialBalance(asOf: CivilDate(2026, 4, 30)).isEmpty)
            #expect(try await ledger.trialBalance(asOf: CivilDate(2026, 3, 31)).count == 2)
            #expect(try await ledger.entry(id: posted.id).reversedBy == reversal.id)
            #expect(try await ledger.entry(id: reversal.id).reversalOf == posted.id)
            #expect(await domainErrorCode { _ = try await ledger.reverse(entryID: posted.id, on: CivilDate(2026, 4, 2), by: .system) }
                    == "ledger.entry.already_reversed")
        }
    }

    @Test("Foreign-currency lines keep both amounts and the rate; the trial balance shows each currency")
    func foreignCurrency() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            try await ledger.setRate("USD", on: CivilDate(2026, 3, 1), rate: "0.92", by: .system)
            _ = try await ledger.post(ProposedEntry(date: CivilDate(2026, 3, 5), memo: "USD sale", lines: [
                ProposedLine(account: "1010", debit: 10_000, currency: .usd),
                ProposedLine(account: "4000", credit: 9_200, currency: .eur),
            ]), by: .system)
            let rows = try await ledger.trialBalance(asOf: CivilDate(2026, 3, 31))
            let bank = try #require(rows.first { $0.account.code == "1010" })
            #expect(bank.currency == .usd && bank.balance == 10_000 && bank.functionalBalance == 9_200)
            #expect(try await ledger.verifyBooks().isEmpty)
        }
    }

    @Test("Tampering with a balance or a line is found by verifyBooks")
    func verifyFindsTampering() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            _ = try await ledger.post(sale(1_000), by: .system)
            try await db.sql.raw("UPDATE ledger_lines SET credit = 999, func_credit = 999 WHERE credit = 1000").run()
            let problems = try await ledger.verifyBooks()
            #expect(problems.contains { $0.contains("does not balance") })
            #expect(problems.contains { $0.contains("differs from its lines") })
        }
    }

    @Test("Accounts: create under a header, refuse duplicates and bad paths, archive stops postings")
    func accounts() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            let marketing = try await ledger.createAccount(code: "6900", fullName: "Expenses:Marketing", by: .system)
            #expect(marketing.type == .expense && marketing.parentID != nil)
            #expect(await domainErrorCode { _ = try await ledger.createAccount(code: "6900", fullName: "Expenses:Ads", by: .system) }
                    == "ledger.account.exists")
            #expect(await domainErrorCode { _ = try await ledger.createAccount(code: "6901", fullName: "Expenses:Nope:Ads", by: .system) }
                    == "ledger.account.parent_missing")
            _ = try await ledger.archiveAccount(code: "6900", by: .system)
            let entry = ProposedEntry(date: CivilDate(2026, 3, 1), memo: "ads", lines: [
                ProposedLine(account: "6900", debit: 100, currency: .eur), ProposedLine(account: "1010", credit: 100, currency: .eur),
            ])
            #expect(await domainErrorCode { _ = try await ledger.post(entry, by: .system) } == "ledger.account.archived")
        }
    }

    @Test("Concurrent posters get distinct gap-free numbers and consistent balances")
    func concurrentPosting() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<30 { group.addTask { _ = try await ledger.post(sale(Int64(index + 1)), by: .system) } }
                try await group.waitForAll()
            }
            let numbers = try await ledger.entries(limit: 100).map(\.number).sorted()
            #expect(numbers == (1...30).map { DocumentNumbers.format(series: "SAL", year: 2026, value: Int64($0)) })
            #expect(try await ledger.trialBalance(asOf: CivilDate(2026, 12, 31)).first { $0.account.code == "1010" }?.balance == 465)
            #expect(try await ledger.verifyBooks().isEmpty)
        }
    }
}
