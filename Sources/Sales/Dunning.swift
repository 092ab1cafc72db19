import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// One overdue invoice in a dunning run: the reminder it is due for.
public struct DunningItem: Sendable, Codable, Equatable {
    public let invoiceID: String
    public let invoiceNumber: String
    public let customerID: String
    public let customerCode: String
    public let customerName: String
    public let currency: Currency
    public let dueDate: CivilDate
    public let daysOverdue: Int
    public let open: Int64
    /// The level last sent (0 for none) and the one due now.
    public let previousLevel: Int
    public let level: DunningLevel
}

/// A recorded reminder.
public struct DunningRecord: Sendable, Codable, Equatable {
    public let invoiceNumber: String
    public let customerCode: String
    public let level: Int
    public let date: CivilDate
    public let open: Int64
    public let currency: Currency
    public let createdBy: String
}

extension SalesService {
    /// What a dunning run on `asOf` would send: every issued invoice open and overdue on that day whose lateness has
    /// reached a higher reminder level than the last one recorded, oldest due first.
    public func dunningProposal(asOf: CivilDate, by actor: Principal) async throws -> [DunningItem] {
        try Self.requireRead(actor)
        let firstDays = DunningRules.standardLevels.map(\.daysOverdue).min() ?? 0
        let rows = try await db.sql.raw("""
            SELECT d.id, d.number, d.customer_id, d.customer_code, d.customer_name, d.currency, d.due_date,
                   d.gross - d.allocated AS open,
                   COALESCE((SELECT MAX(s.level) FROM sales_dunning s WHERE s.invoice_id = d.id), 0) AS sent
            FROM sales_invoices d
            WHERE d.kind = 'invoice' AND d.status = 'issued' AND d.allocated < d.gross
              AND d.due_date <= \(bind: asOf.addingDays(-firstDays).description)
            ORDER BY d.due_date, d.number
            """).all()
        return try Self.dunningItems(rows, asOf: asOf)
    }

    static func dunningItems(_ rows: [any SQLRow], asOf: CivilDate) throws -> [DunningItem] {
        var items: [DunningItem] = []
        for row in rows {
            let due = try SalesRows.date(row, "due_date")
            let sent = try row.decode(column: "sent", as: Int.self)
            guard let level = DunningRules.due(daysOverdue: due.days(until: asOf), sent: sent) else { continue }
            items.append(DunningItem(
                invoiceID: try SalesRows.id(row), invoiceNumber: try row.decode(column: "number", as: String.self),
                customerID: try SalesRows.id(row, "customer_id"),
                customerCode: try row.decode(column: "customer_code", as: String.self),
                customerName: try row.decode(column: "customer_name", as: String.self),
                currency: try Currency.parse(try row.decode(column: "currency", as: String.self)), dueDate: due,
                daysOverdue: due.days(until: asOf), open: try row.decode(column: "open", as: Int64.self),
                previousLevel: sent, level: level))
        }
        return items
    }

    /// Records the reminders of a dunning run (one row per invoice, with its level), so the next run proposes only
    /// what has become due since. Running it again for the same day records nothing new.
    public func runDunning(asOf: CivilDate, by actor: Principal) async throws -> [DunningItem] {
        try Self.requireWrite(actor)
        let service = self
        return try await writeTransaction(db) { tx in
            let sales = service.on(tx)
            let items = try await sales.dunningProposal(asOf: asOf, by: actor)
            guard !items.isEmpty else { return [] }
            let now = RFC3339.format(sales.context.clock.now())
            for start in stride(from: 0, to: items.count, by: 300) {
                var insert = tx.sql.insert(into: "sales_dunning")
                    .columns("id", "invoice_id", "customer_id", "level", "date", "open", "currency", "created_by", "created_at")
                for item in items[start..<min(start + 300, items.count)] {
                    let values: [any Encodable & Sendable] = [
                        UUID.v7(), UUID(uuidString: item.invoiceID)!, UUID(uuidString: item.customerID)!, item.level.level,
                        asOf.description, item.open, item.currency.code, actor.username, now,
                    ]
                    insert = insert.values(values.map { SQLBind($0) })
                }
                try await insert.run()
            }
            try await sales.context.audit(tx, actor, "sales.dunning.run", entity: "sales_dunning", id: asOf.description,
                                          before: nil as [DunningItem]?, after: items)
            return items
        }
    }

    /// Reminders recorded, newest first.
    public func dunningHistory(limit: Int = 200, by actor: Principal) async throws -> [DunningRecord] {
        try Self.requireRead(actor)
        let rows = try await db.sql.raw("""
            SELECT s.level, s.date, s.open, s.currency, s.created_by, i.number, i.customer_code
            FROM sales_dunning s JOIN sales_invoices i ON i.id = s.invoice_id
            ORDER BY s.id DESC LIMIT \(unsafeRaw: String(min(max(limit, 1), 1000)))
            """).all()
        var records: [DunningRecord] = []
        for row in rows {
            records.append(DunningRecord(
                invoiceNumber: try row.decode(column: "number", as: String.self),
                customerCode: try row.decode(column: "customer_code", as: String.self),
                level: try row.decode(column: "level", as: Int.self), date: try SalesRows.date(row, "date"),
                open: try row.decode(column: "open", as: Int64.self),
                currency: try Currency.parse(try row.decode(column: "currency", as: String.self)),
                createdBy: try row.decode(column: "created_by", as: String.self)))
        }
        return records
    }
}
