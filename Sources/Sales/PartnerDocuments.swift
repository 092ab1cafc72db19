import Fluent
import Foundation
import Kernel
import Parties
import SQLKit

/// The sales documents a partner has, for `PartiesService.merge`: issued invoices, credit notes and receipts are
/// posted and block a merge; orders and draft invoices move to the partner that stays.
public struct SalesPartnerDocuments: PartnerDocuments {
    public init() {}

    public func posted(_ partner: Partner, on db: any Database) async throws -> [String] {
        let id = UUID(uuidString: partner.id)!
        let invoices = try await db.sql.select().column("kind").column(SQLRaw("COUNT(*)"), as: "n").from("sales_invoices")
            .where("customer_id", .equal, id).where("status", .equal, "issued").groupBy("kind").all()
        var result: [String] = []
        for row in invoices {
            let count = try row.decode(column: "n", as: Int.self)
            let kind = try row.decode(column: "kind", as: String.self)
            result.append("\(count) issued \(kind == "invoice" ? "invoice" : "credit note")\(count == 1 ? "" : "s")")
        }
        let receipts = try await db.sql.select().column(SQLRaw("COUNT(*)"), as: "n").from("sales_receipts")
            .where("customer_id", .equal, id).first()?.decode(column: "n", as: Int.self) ?? 0
        if receipts > 0 { result.append("\(receipts) receipt\(receipts == 1 ? "" : "s") or refund\(receipts == 1 ? "" : "s")") }
        return result
    }

    public func reassign(from duplicate: Partner, to survivor: Partner, on db: any Database) async throws -> Int {
        precondition(db.inTransaction, "documents move inside the merge's transaction")
        let from = UUID(uuidString: duplicate.id)!, to = UUID(uuidString: survivor.id)!
        var moved = 0
        for (table, onlyDrafts) in [("sales_orders", false), ("sales_invoices", true)] {
            var query = db.sql.update(table).set("customer_id", to: to).set("customer_code", to: survivor.code)
                .set("customer_name", to: survivor.name).where("customer_id", .equal, from)
            if onlyDrafts { query = query.where("status", .equal, "draft") }
            moved += try await query.returning("id").all().count
        }
        return moved
    }
}
