import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

extension LedgerService {
    public static let exportEntriesPerPage = 2_000

    /// Streams every posted entry, oldest first, to `write` as a ledger-cli / hledger journal.
    public func exportLedger(_ write: (String) throws -> Void) async throws -> Int {
        try await export(.ledger, write)
    }

    /// Streams every posted entry, oldest first, to `write` as a ledger-cli / hledger journal or a beancount file.
    /// Pages through the entries so memory does not grow with the books.
    public func export(_ format: PlainTextFormat, _ write: (String) throws -> Void) async throws -> Int {
        let company = try await requireCompany()
        let accounts = Dictionary(uniqueKeysWithValues: try await accounts().map { ($0.id, $0) })
        let postable = accounts.values.sorted(by: { $0.fullName < $1.fullName }).filter { !$0.isHeader }
        var names: [String: String] = [:]
        switch format {
        case .csv:
            throw DomainError.invalid("export.format", "The books export as ledger or beancount; CSV is for reports")
        case .ledger:
            try write("; Books of \(company.name), exported by Keel. Functional currency \(company.currency.code).\n\n")
            for account in postable { try write("account \(account.fullName)\n") }
        case .beancount:
            try write("; Books of \(company.name), exported by Keel.\n")
            try write("option \"title\" \"\(PlainTextExport.quote(company.name))\"\n")
            try write("option \"operating_currency\" \"\(company.currency.code)\"\n\n")
            let first = try await db.sql.raw("SELECT MIN(date) AS first FROM ledger_entries").first()?
                .decode(column: "first", as: String?.self) ?? company.today(context.clock).description
            var taken = Set<String>()
            for account in postable {
                var name = PlainTextExport.beancountName(account)
                if taken.contains(name) { name += "-\(account.code)" }
                taken.insert(name)
                names[account.id] = name
                try write("\(first) open \(name)\n")
            }
        }
        try write("\n")
        var count = 0
        var after: (date: String, number: String) = ("", "")
        while true {
            let rows = try await db.sql.raw("""
                SELECT id, number, journal, date, memo FROM ledger_entries
                WHERE date > \(bind: after.date) OR (date = \(bind: after.date) AND number > \(bind: after.number))
                ORDER BY date, number LIMIT \(literal: Self.exportEntriesPerPage)
                """).all()
            guard !rows.isEmpty else { break }
            let ids = try rows.map { try $0.decode(column: "id", as: UUID.self) }
            let lineRows = try await db.sql.select().column("*").from("ledger_lines")
                .where(SQLIdentifier("entry_id"), .in, SQLBind.group(ids)).orderBy("entry_id").orderBy("line_no").all()
            var linesByEntry: [UUID: [PostedEntry.Line]] = [:]
            for line in lineRows {
                let entryID = try line.decode(column: "entry_id", as: UUID.self)
                linesByEntry[entryID, default: []].append(try Self.postedLine(line, accounts: accounts))
            }
            for (row, id) in zip(rows, ids) {
                let entry = PostedEntry(id: id.uuidString, number: try row.decode(column: "number", as: String.self),
                                        journal: try row.decode(column: "journal", as: String.self),
                                        date: try CivilDate.parse(try row.decode(column: "date", as: String.self)),
                                        memo: try row.decode(column: "memo", as: String.self),
                                        lines: linesByEntry[id] ?? [], reversalOf: nil, reversedBy: nil, createdBy: "")
                switch format {
                case .ledger, .csv: try write(PlainTextExport.ledgerTransaction(entry, functional: company.currency))
                case .beancount:
                    try write(PlainTextExport.beancountTransaction(entry, functional: company.currency, names: names))
                }
                count += 1
                after = (entry.date.description, entry.number)
            }
        }
        return count
    }
}
