import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import Ledger
import Platform
import Testing

@Suite("Draft entries")
struct DraftTests {
    @Test("A draft may be unbalanced; posting it runs every rule, keeps it when refused and removes it when posted")
    func draftToPosted() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            var entry = sale(10_000)
            entry.lines[1].credit = 9_000
            let draft = try await ledger.saveDraft(entry, by: .system)
            #expect(try await ledger.drafts().map(\.id) == [draft.id])
            #expect(try await ledger.trialBalance(asOf: CivilDate(2026, 12, 31)).isEmpty)
            #expect(await domainErrorCode { _ = try await ledger.postDraft(id: draft.id, by: .system) }
                    == "ledger.entry.unbalanced")
            #expect(try await ledger.draft(id: draft.id).entry == entry)
            entry.lines[1].credit = 10_000
            _ = try await ledger.saveDraft(entry, id: draft.id, by: .system)
            let posted = try await ledger.postDraft(id: draft.id, by: .system)
            #expect(posted.number == "SAL-2026-000001")
            #expect(try await ledger.drafts().isEmpty)
            #expect(await domainErrorCode { _ = try await ledger.draft(id: draft.id) } == "ledger.draft.not_found")
            let other = try await ledger.saveDraft(sale(5), by: .system)
            try await ledger.deleteDraft(id: other.id, by: .system)
            #expect(try await ledger.drafts().isEmpty)
            let reader = Principal(userID: "r", username: "reader", roles: ["auditor"],
                                   permissions: [Permission("ledger", .read)])
            #expect(await domainErrorCode { _ = try await ledger.saveDraft(sale(5), by: reader) } == "auth.forbidden")
        }
    }
}
