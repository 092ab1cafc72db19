import Fluent
import Foundation
import Kernel
import Platform

/// An entry saved before it is posted. A draft may be incomplete or unbalanced; posting it runs every rule, and a
/// draft that fails stays as it was.
public struct Draft: Sendable, Codable, Equatable {
    public let id: String
    public let entry: ProposedEntry
    public let createdBy: String
    public let updatedBy: String
    public let createdAt: Date?
    public let updatedAt: Date?
}

extension LedgerService {
    /// Saves a new draft, or replaces draft `id`.
    public func saveDraft(_ entry: ProposedEntry, id: String? = nil, by actor: Principal) async throws -> Draft {
        try require(actor, Permission("ledger", .write))
        _ = try await requireCompany()
        guard entry.lines.count <= EntryRules.linesPerEntryMax else {
            throw DomainError.invalid("ledger.entry.too_many_lines",
                                      "An entry has at most \(EntryRules.linesPerEntryMax) lines", field: "lines")
        }
        guard entry.memo.count <= 500 else {
            throw DomainError.invalid("ledger.entry.memo_too_long", "A memo has at most 500 characters", field: "memo")
        }
        let json = String(decoding: try JSONEncoder().encode(entry), as: UTF8.self)
        return try await writeTransaction(db) { tx in
            let model: DraftModel
            var before: Draft?
            if let id {
                model = try await Self.draftModel(id, on: tx)
                before = try model.draft
            } else {
                model = DraftModel()
                model.id = UUID.v7()
                model.createdBy = actor.username
            }
            model.date = entry.date.description
            model.memo = entry.memo
            model.entry = json
            model.updatedBy = actor.username
            try await model.save(on: tx)
            let after = try model.draft
            try await context.audit(tx, actor, id == nil ? "ledger.draft.create" : "ledger.draft.update",
                                    entity: "draft", id: after.id, before: before, after: after)
            return after
        }
    }

    public func drafts() async throws -> [Draft] {
        try await DraftModel.query(on: db).sort(\.$date).sort(\.$id).all().map { try $0.draft }
    }

    public func draft(id: String) async throws -> Draft {
        try await Self.draftModel(id, on: db).draft
    }

    public func deleteDraft(id: String, by actor: Principal) async throws {
        try require(actor, Permission("ledger", .write))
        try await writeTransaction(db) { tx in
            let model = try await Self.draftModel(id, on: tx)
            let before = try model.draft
            try await model.delete(on: tx)
            try await context.audit(tx, actor, "ledger.draft.delete", entity: "draft", id: before.id,
                                    before: before, after: nil as Draft?)
        }
    }

    /// Posts a draft and removes it, in one transaction: if the entry is refused, the draft stays.
    public func postDraft(id: String, by actor: Principal) async throws -> PostingResult {
        try await writeTransaction(db) { tx in
            let model = try await Self.draftModel(id, on: tx)
            let draft = try model.draft
            let result = try await LedgerService(db: tx, context: context).post(draft.entry, by: actor)
            try await model.delete(on: tx)
            try await context.audit(tx, actor, "ledger.draft.post", entity: "draft", id: draft.id,
                                    before: draft, after: result)
            return result
        }
    }

    static func draftModel(_ id: String, on db: any Database) async throws -> DraftModel {
        guard let uuid = UUID(uuidString: id), let model = try await DraftModel.find(uuid, on: db) else {
            throw DomainError.notFound("ledger.draft.not_found", "There is no draft '\(id)'")
        }
        return model
    }
}

extension DraftModel {
    var draft: Draft {
        get throws {
            Draft(id: id!.lowercaseText, entry: try JSONDecoder().decode(ProposedEntry.self, from: Data(entry.utf8)),
                  createdBy: createdBy, updatedBy: updatedBy, createdAt: createdAt, updatedAt: updatedAt)
        }
    }
}
