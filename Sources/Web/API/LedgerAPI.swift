import Foundation
import Kernel
import Ledger
import OpenAPIRuntime
import Platform
import Vapor

extension Request {
    var ledger: LedgerService { LedgerService(db: db, context: context) }
}

extension APIHandler {
    func listAccounts(_ input: Operations.ListAccounts.Input) async throws -> Operations.ListAccounts.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        _ = try await request.ledger.requireCompany()
        return .ok(.init(body: .json(.init(items: try await request.ledger.accounts().map(\.api)))))
    }

    func postEntry(_ input: Operations.PostEntry.Input) async throws -> Operations.PostEntry.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let company = try await request.ledger.requireCompany()
        var entry = try EntryWire.entry(body, functional: company.currency, prefix: "")
        if let key = input.headers.idempotencyKey { entry.idempotencyKey = key }
        let result = try await request.ledger.post(entry, by: principal)
        return .created(.init(body: .json(.init(id: result.id, number: result.number, replayed: result.replayed))))
    }

    func postEntryBatch(_ input: Operations.PostEntryBatch.Input) async throws -> Operations.PostEntryBatch.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let company = try await request.ledger.requireCompany()
        var entries: [ProposedEntry] = []
        var problems: [DomainError.Item] = []
        for (index, wire) in body.entries.enumerated() {
            do {
                entries.append(try EntryWire.entry(wire, functional: company.currency, prefix: "entries[\(index)]."))
            } catch {
                problems.append(.init(index: index, field: error.field, code: error.code, message: error.message))
            }
        }
        if !problems.isEmpty {
            throw DomainError(.invalid, "ledger.batch.invalid", "\(problems.count) entries cannot be read; nothing was posted",
                              items: problems)
        }
        let results = try await request.ledger.post(batch: entries, by: principal,
                                                           auditAs: "api-\(UUID().uuidString.lowercased())")
        return .created(.init(body: .json(.init(items: results.map {
            .init(id: $0.id, number: $0.number, replayed: $0.replayed)
        }))))
    }

    func getTrialBalance(_ input: Operations.GetTrialBalance.Input) async throws -> Operations.GetTrialBalance.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        let company = try await request.ledger.requireCompany()
        let asOf = try input.query.asOf.map { try CivilDate.parse($0, field: "asOf") } ?? company.today(request.context.clock)
        let rows = try await request.ledger.trialBalance(asOf: asOf)
        return .ok(.init(body: .json(.init(asOf: asOf.description, currency: company.currency.code, items: rows.map {
            .init(account: $0.account.fullName, code: $0.account.code, currency: $0.currency.code,
                  balance: Money(minorUnits: $0.balance, currency: $0.currency).decimalString,
                  functionalBalance: Money(minorUnits: $0.functionalBalance, currency: company.currency).decimalString)
        }))))
    }
}

/// Reading entries from the wire: decimal strings with a currency code, dates as YYYY-MM-DD. Each problem
/// names its JSON path.
enum EntryWire {
    static func entry(_ wire: Components.Schemas.NewEntry, functional: Currency, prefix: String)
        throws(DomainError) -> ProposedEntry {
        let date = try CivilDate.parse(wire.date, field: prefix + "date")
        var lines: [ProposedLine] = []
        for (index, line) in wire.lines.enumerated() {
            let path = "\(prefix)lines[\(index)]."
            let currency = try Currency.parse(line.currency, field: path + "currency")
            func amount(_ text: String?, _ name: String, in currency: Currency) throws(DomainError) -> Int64? {
                guard let text else { return nil }
                return try Money.parse(text, currency: currency, field: path + name).minorUnits
            }
            var rate: Decimal?
            if let text = line.rate { rate = try Decimals.parse(text, field: path + "rate") }
            var dueDate: CivilDate?
            if let text = line.dueDate { dueDate = try CivilDate.parse(text, field: path + "dueDate") }
            lines.append(ProposedLine(
                account: line.account, debit: try amount(line.debit, "debit", in: currency),
                credit: try amount(line.credit, "credit", in: currency), currency: currency,
                rate: rate,
                functionalAmount: try amount(line.functionalAmount, "functionalAmount", in: functional),
                memo: line.memo, partner: line.partner,
                dueDate: dueDate,
                dimensions: line.dimensions?.additionalProperties ?? [:]))
        }
        return ProposedEntry(journal: wire.journal ?? "GEN", date: date, memo: wire.memo, lines: lines,
                             idempotencyKey: wire.idempotencyKey)
    }
}

extension Account {
    var api: Components.Schemas.Account {
        .init(id: id, code: code, name: name, fullName: fullName, _type: .init(rawValue: type.rawValue)!,
              subtype: subtype.rawValue, header: isHeader, archived: archived, currency: currency?.code)
    }
}
