import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// A tax code as a person or the front office gives it; checked by `TaxRules.validate`.
public struct TaxCodeInput: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var kind: String?
    /// Percent as text ("19", "5.5").
    public var rate: String
    public var pricesIncludeTax: Bool
    /// An account code or full name.
    public var account: String?
    public var note: String?

    public init(code: String, name: String, kind: String? = nil, rate: String, pricesIncludeTax: Bool = false,
                account: String? = nil, note: String? = nil) {
        self.code = code
        self.name = name
        self.kind = kind
        self.rate = rate
        self.pricesIncludeTax = pricesIncludeTax
        self.account = account
        self.note = note
    }
}

extension LedgerService {
    static let taxRoundingSetting = "ledger.tax_rounding"

    /// Tax codes by code.
    public func taxCodes(includeArchived: Bool = true) async throws -> [TaxCode] {
        let accounts = Dictionary(uniqueKeysWithValues: try await accounts().map { (UUID(uuidString: $0.id)!, $0.code) })
        var query = db.sql.select().column("*").from("ledger_tax_codes")
        if !includeArchived { query = query.where("archived", .equal, false) }
        return try await query.orderBy("code").all().map { row in
            TaxCode(code: try row.decode(column: "code", as: String.self),
                    name: try row.decode(column: "name", as: String.self),
                    kind: TaxCode.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .standard,
                    rate: Decimal(string: try row.decode(column: "rate", as: String.self),
                                  locale: Locale(identifier: "en_US_POSIX")) ?? 0,
                    pricesIncludeTax: try row.decode(column: "prices_include_tax", as: Bool.self),
                    account: try row.decode(column: "account_id", as: UUID?.self).flatMap { accounts[$0] },
                    note: try row.decode(column: "note", as: String?.self),
                    archived: try row.decode(column: "archived", as: Bool.self))
        }
    }

    /// Creates a tax code, or changes the one with that code (its kind, rate, pricing, account, note and name).
    public func saveTaxCode(_ input: TaxCodeInput, by actor: Principal) async throws -> TaxCode {
        try require(actor, Permission("ledger", .admin))
        let code = String(input.code.trimmed)
        let name = String(input.name.trimmed)
        let note = input.note.nonBlank
        let accountName = input.account.nonBlank
        guard let kind = TaxCode.Kind(rawValue: input.kind.nonBlank ?? "standard") else {
            throw DomainError.invalid("ledger.tax_code.kind_unknown", "'\(input.kind ?? "")' is not a kind; use "
                                      + TaxCode.Kind.allCases.map(\.rawValue).joined(separator: ", "), field: "kind")
        }
        let rate = try Decimals.parse(input.rate.isEmpty && kind != .standard ? "0" : input.rate, field: "rate")
        try TaxRules.validate(code: code, name: name, kind: kind, rate: rate, account: accountName, note: note)
        var accountID: UUID?
        if let accountName {
            guard let account = try await accounts().first(where: { $0.code == accountName || $0.fullName == accountName }) else {
                throw DomainError.invalid("ledger.account.unknown", "There is no account '\(accountName)'", field: "account")
            }
            guard !account.isHeader, !account.archived else {
                throw DomainError.invalid("ledger.tax_code.account_not_postable",
                                          "Account \(account.code) is a header or archived; tax is posted to a postable account",
                                          field: "account")
            }
            accountID = UUID(uuidString: account.id)
        }
        let now = RFC3339.format(context.clock.now())
        let values: [(String, any Encodable & Sendable)] = [
            ("name", name), ("kind", kind.rawValue), ("rate", "\(rate)"), ("prices_include_tax", input.pricesIncludeTax),
            ("account_id", accountID), ("note", note), ("updated_at", now),
        ]
        return try await writeTransaction(db) { tx in
            let service = LedgerService(db: tx, context: context)
            let before = try await service.taxCodes().first { $0.code == code }
            if before == nil {
                let all = values + [("code", code), ("archived", false), ("created_at", now)]
                try await tx.sql.insert(into: "ledger_tax_codes").columns(all.map(\.0)).values(all.map { SQLBind($0.1) }).run()
            } else {
                var update = tx.sql.update("ledger_tax_codes")
                for (column, value) in values { update = update.set(column, to: value) }
                try await update.where("code", .equal, code).run()
            }
            let after = try await service.taxCodes().first { $0.code == code }!
            try await context.audit(tx, actor, before == nil ? "ledger.tax_code.create" : "ledger.tax_code.update",
                                    entity: "ledger_tax_code", id: code, before: before, after: after)
            return after
        }
    }

    /// Archives a tax code (no new document line may use it) or brings it back.
    public func setTaxCodeArchived(_ code: String, _ archived: Bool, by actor: Principal) async throws -> TaxCode {
        try require(actor, Permission("ledger", .admin))
        return try await writeTransaction(db) { tx in
            let service = LedgerService(db: tx, context: context)
            guard let before = try await service.taxCodes().first(where: { $0.code == code }) else {
                throw DomainError.notFound("ledger.tax_code.unknown", "There is no tax code '\(code)'")
            }
            guard before.archived != archived else { return before }
            try await tx.sql.update("ledger_tax_codes").set("archived", to: archived)
                .set("updated_at", to: RFC3339.format(context.clock.now())).where("code", .equal, code).run()
            let after = try await service.taxCodes().first { $0.code == code }!
            try await context.audit(tx, actor, archived ? "ledger.tax_code.archive" : "ledger.tax_code.restore",
                                    entity: "ledger_tax_code", id: code, before: before, after: after)
            return after
        }
    }

    /// Whether tax is rounded per line (the default) or per tax code on the whole document.
    public func taxRounding() async throws -> TaxRounding {
        try await Settings.get(Self.taxRoundingSetting, on: db).flatMap(TaxRounding.init(rawValue:)) ?? .line
    }

    public func setTaxRounding(_ rounding: TaxRounding, by actor: Principal) async throws {
        try require(actor, Permission("ledger", .admin))
        try await writeTransaction(db) { tx in
            let before = try await LedgerService(db: tx, context: context).taxRounding()
            try await Settings.set(Self.taxRoundingSetting, rounding.rawValue, on: tx)
            try await context.audit(tx, actor, "ledger.tax_rounding.set", entity: "setting", id: Self.taxRoundingSetting,
                                    before: before, after: rounding)
        }
    }

    /// The tax on a document's lines (`amount` in minor units, net or gross as each code's pricing says) with the
    /// company's rounding. Unknown and archived codes are refused, each with its line index.
    public func computeTax(_ lines: [(amount: Int64, taxCode: String)]) async throws -> TaxComputation {
        let codes = Dictionary(uniqueKeysWithValues: try await taxCodes().map { ($0.code, $0) })
        var taxable: [TaxableLine] = []
        var problems: [DomainError.Item] = []
        for (index, line) in lines.enumerated() {
            guard let code = codes[line.taxCode] else {
                problems.append(.init(index: index, field: "lines[\(index)].taxCode", code: "ledger.tax_code.unknown",
                                      message: "There is no tax code '\(line.taxCode)'"))
                continue
            }
            if code.archived {
                problems.append(.init(index: index, field: "lines[\(index)].taxCode", code: "ledger.tax_code.archived",
                                      message: "Tax code \(code.code) is archived"))
            }
            taxable.append(TaxableLine(amount: line.amount, taxCode: code))
        }
        guard problems.isEmpty else {
            throw DomainError(.invalid, "ledger.tax.invalid", problems[0].message, field: problems[0].field, items: problems)
        }
        return try TaxRules.compute(taxable, rounding: try await taxRounding())
    }
}
