import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// What other areas keep about a partner, as the merge needs to know it. Parties depends on no other area, so each
/// area that writes documents for partners (Sales now, Purchasing later, the ledger's own lines) implements this,
/// and the composition root hands the implementations to `PartiesService.merge`.
public protocol PartnerDocuments: Sendable {
    /// Posted documents that name the partner (issued invoices, receipts, ledger lines), each as "3 issued invoices".
    func posted(_ partner: Partner, on db: any Database) async throws -> [String]
    /// Moves what is not posted yet (orders, drafts) from `duplicate` to `survivor`, inside the caller's transaction.
    /// Returns how many documents moved.
    func reassign(from duplicate: Partner, to survivor: Partner, on db: any Database) async throws -> Int
}

extension PartiesService {
    /// Folds a duplicate partner into the one that stays: the survivor keeps its own fields and takes the duplicate's
    /// where its own are empty (and both roles, and the contacts it lacks); unposted documents move over; the
    /// duplicate is deleted. Refused once either partner has posted documents, whose history must keep its names.
    public func merge(_ duplicateReference: String, into survivorReference: String, documents: [any PartnerDocuments],
                      by actor: Principal) async throws -> Partner {
        try Self.requireWrite(actor)
        let now = RFC3339.format(context.clock.now())
        return try await writeTransaction(db) { tx in
            let survivor = try await find(survivorReference, on: tx)
            let duplicate: Partner
            do { duplicate = try await find(duplicateReference, on: tx) } catch let error as DomainError where error.kind == .notFound {
                throw DomainError.invalid("parties.merge.duplicate_unknown", "There is no partner '\(duplicateReference)'",
                                          field: "duplicate")
            }
            guard survivor.id != duplicate.id else {
                throw DomainError.invalid("parties.merge.same", "A partner cannot be merged into itself", field: "duplicate")
            }
            for partner in [duplicate, survivor] {
                var posted: [String] = []
                for area in documents { posted += try await area.posted(partner, on: tx) }
                if !posted.isEmpty {
                    throw DomainError.conflict("parties.merge.posted_documents",
                                               "\(partner.code) has posted documents (\(posted.joined(separator: ", "))); "
                                               + "partners with posted documents are not merged. Archive the duplicate instead")
                }
            }
            let merged = Self.merged(survivor, duplicate)
            let valid = try PartnerRules.validate(merged)
            let id = UUID(uuidString: survivor.id)!
            var update = tx.sql.update("partners")
            for (column, value) in PartnerRows.values(valid, code: survivor.code) { update = update.set(column, to: value) }
            try await update.set("updated_at", to: now).where("id", .equal, id).run()
            try await PartnerRows.replaceContacts(of: id, with: valid.contacts, on: tx)
            for area in documents { _ = try await area.reassign(from: duplicate, to: survivor, on: tx) }
            let duplicateID = UUID(uuidString: duplicate.id)!
            try await tx.sql.delete(from: "partner_contacts").where("partner_id", .equal, duplicateID).run()
            try await tx.sql.delete(from: "partners").where("id", .equal, duplicateID).run()
            let after = try await find(survivor.id, on: tx)
            try await context.audit(tx, actor, "partner.merge", entity: "partner", id: duplicate.id,
                                    before: duplicate, after: nil as Partner?)
            try await context.audit(tx, actor, "partner.update", entity: "partner", id: after.id, before: survivor, after: after)
            return after
        }
    }

    /// The survivor's fields, each empty one taken from the duplicate; both roles; contacts the survivor lacks added.
    static func merged(_ survivor: Partner, _ duplicate: Partner) -> PartnerInput {
        var input = PartnerInput(survivor)
        input.isCustomer = survivor.isCustomer || duplicate.isCustomer
        input.isVendor = survivor.isVendor || duplicate.isVendor
        input.taxID = survivor.taxID ?? duplicate.taxID
        input.email = survivor.email ?? duplicate.email
        input.phone = survivor.phone ?? duplicate.phone
        input.currency = (survivor.currency ?? duplicate.currency)?.code
        if survivor.creditLimit == nil, duplicate.creditLimit != nil,
           survivor.currency == nil || survivor.currency == duplicate.currency {
            input.creditLimit = duplicate.creditLimitText
            input.currency = duplicate.currency?.code
        }
        if survivor.billingAddress.isEmpty { input.billingAddress = duplicate.billingAddress }
        if survivor.shippingAddress.isEmpty { input.shippingAddress = duplicate.shippingAddress }
        if survivor.iban == nil {
            input.iban = duplicate.iban
            input.bic = duplicate.bic
        }
        input.notes = [survivor.notes, duplicate.notes].compactMap { $0 }.joined(separator: "\n").nilIfEmpty
        let known = Set(survivor.contacts.map { "\($0.name.lowercased())|\(($0.email ?? "").lowercased())" })
        input.contacts = survivor.contacts + duplicate.contacts.filter {
            !known.contains("\($0.name.lowercased())|\(($0.email ?? "").lowercased())")
        }
        return input
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
