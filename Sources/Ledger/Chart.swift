import Fluent
import Foundation
import Kernel
import Platform

extension LedgerService {
    /// The chart as CSV: `code,full_name,type,subtype,header,archived,currency`, parents before children.
    public func chartCSV() async throws -> String {
        var text = "code,full_name,type,subtype,header,archived,currency\n"
        for account in try await accounts().sorted(by: { $0.fullName < $1.fullName }) {
            text += [account.code, account.fullName, account.type.rawValue, account.subtype.rawValue,
                     account.isHeader ? "true" : "false", account.archived ? "true" : "false", account.currency?.code ?? ""]
                .map(CSVLine.field).joined(separator: ",") + "\n"
        }
        return text
    }

    /// Adds the accounts of a chart CSV (columns as `chartCSV` writes them; `code` and `full_name` required) that the
    /// chart lacks, parents first. A row that matches an existing account (same code and name) is left alone; a code
    /// or name already used otherwise is refused. All or nothing, every problem with its line; one audit record.
    public func importChart(_ text: String, source: String, by actor: Principal) async throws -> Int {
        try require(actor, Permission("ledger", .admin))
        _ = try await requireCompany()
        let (header, lines) = CSVLine.table(text)
        guard let codeColumn = header.firstIndex(of: "code"), let nameColumn = header.firstIndex(of: "full_name") else {
            throw DomainError.invalid("ledger.chart.header", "The first row names the columns: code,full_name[,type,"
                                      + "subtype,header,archived,currency]")
        }
        struct Row { let line: Int; let code: String; let path: AccountNames.Path; let subtype: AccountSubtype
                     let header: Bool; let currency: Currency? }
        let existing = try await accounts()
        let byCode = Dictionary(uniqueKeysWithValues: existing.map { ($0.code, $0) })
        let byName = Dictionary(uniqueKeysWithValues: existing.map { ($0.fullName, $0) })
        var rows: [Row] = []
        var problems: [DomainError.Item] = []
        var seenCodes = Set<String>()
        var headersInFile = Set<String>()
        for (line, fields) in lines {
            func field(_ name: String) -> String {
                guard let column = header.firstIndex(of: name), column < fields.count else { return "" }
                return fields[column]
            }
            do throws(DomainError) {
                let code = codeColumn < fields.count ? fields[codeColumn] : ""
                let name = nameColumn < fields.count ? fields[nameColumn] : ""
                guard !code.isEmpty, code.count <= 20,
                      code.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }) else {
                    throw .invalid("ledger.account.code_invalid", "A code has 1 to 20 letters, digits, '-' or '.'",
                                   field: "code")
                }
                if let account = byCode[code] {
                    guard account.fullName == name else {
                        throw .conflict("ledger.account.exists", "Code \(code) is already \(account.fullName)", field: "code")
                    }
                    continue
                }
                if let account = byName[name] {
                    throw .conflict("ledger.account.exists", "\(name) already has code \(account.code)", field: "full_name")
                }
                guard seenCodes.insert(code).inserted else {
                    throw .invalid("ledger.account.exists", "Code \(code) appears twice in the file", field: "code")
                }
                let path = try AccountNames.parse(name, field: "full_name")
                let type = field("type")
                if !type.isEmpty, type != path.type.rawValue {
                    throw .invalid("ledger.account.type_mismatch",
                                   "'\(name)' is under \(path.type.rootName), so its type is \(path.type.rawValue), not \(type)",
                                   field: "type")
                }
                let isHeader = ["true", "yes", "1"].contains(field("header").lowercased())
                let currency = field("currency").isEmpty ? nil : try Currency.parse(field("currency"), field: "currency")
                rows.append(Row(line: line, code: code, path: path, subtype: try AccountSubtype.parse(field("subtype")),
                                header: isHeader, currency: currency))
                if isHeader { headersInFile.insert(path.fullName) }
            } catch {
                problems.append(.init(line: line, field: error.field, code: error.code, message: error.message))
            }
        }
        for row in rows where byName[row.path.parent]?.isHeader != true && !headersInFile.contains(row.path.parent) {
            problems.append(.init(line: row.line, field: "full_name", code: "ledger.account.parent_missing",
                                  message: "'\(row.path.parent)' is not a header account to put '\(row.path.name)' under"))
        }
        if !problems.isEmpty {
            problems.sort { ($0.line ?? 0) < ($1.line ?? 0) }
            throw Self.rowsError("ledger.chart.invalid", source: source, problems, outcome: "; no account was added")
        }
        let ordered = rows.sorted { $0.path.fullName.split(separator: ":").count < $1.path.fullName.split(separator: ":").count }
        let known = Dictionary(uniqueKeysWithValues: existing.map { ($0.fullName, UUID(uuidString: $0.id)!) })
        return try await writeTransaction(db) { tx in
            var ids = known
            for row in ordered {
                let model = AccountModel.make(code: row.code, fullName: row.path.fullName, type: row.path.type,
                                              subtype: row.subtype, parentID: ids[row.path.parent], isHeader: row.header,
                                              currency: row.currency)
                try await model.create(on: tx)
                ids[row.path.fullName] = model.id
            }
            try await context.audit(tx, actor, "ledger.chart.import", entity: "chart", id: source,
                                    before: nil as Int?, after: ordered.count)
            return ordered.count
        }
    }
}
