import Foundation
import Kernel
import Ledger
import Platform

/// Tax codes, the tax-rounding setting and tax computation over the API.
extension APIHandler {
    func listTaxCodes(_ input: Operations.ListTaxCodes.Input) async throws -> Operations.ListTaxCodes.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        let rounding = try await request.ledger.taxRounding()
        return .ok(.init(body: .json(.init(rounding: .init(rawValue: rounding.rawValue)!,
                                           items: try await request.ledger.taxCodes().map(\.api)))))
    }

    func saveTaxCode(_ input: Operations.SaveTaxCode.Input) async throws -> Operations.SaveTaxCode.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let code = try await request.ledger.saveTaxCode(TaxCodeInput(
            code: input.path.code, name: body.name, kind: body.kind?.rawValue, rate: body.rate,
            pricesIncludeTax: body.pricesIncludeTax ?? false, account: body.account, note: body.note), by: principal)
        return .ok(.init(body: .json(code.api)))
    }

    func setTaxCodeArchived(_ input: Operations.SetTaxCodeArchived.Input) async throws -> Operations.SetTaxCodeArchived.Output {
        let code = try await request.ledger.setTaxCodeArchived(input.path.code, input.path.action == .archive,
                                                               by: try request.requirePrincipal())
        return .ok(.init(body: .json(code.api)))
    }

    func setTaxRounding(_ input: Operations.SetTaxRounding.Input) async throws -> Operations.SetTaxRounding.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        try await request.ledger.setTaxRounding(TaxRounding(rawValue: body.rounding.rawValue)!, by: principal)
        return .noContent(.init())
    }

    func computeTax(_ input: Operations.ComputeTax.Input) async throws -> Operations.ComputeTax.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        guard let currency = Currency(code: body.currency.uppercased()) else {
            throw DomainError.invalid("ledger.currency.unknown", "'\(body.currency)' is not an ISO 4217 currency",
                                      field: "currency")
        }
        var lines: [(amount: Int64, taxCode: String)] = []
        var problems: [DomainError.Item] = []
        for (index, line) in body.lines.enumerated() {
            do throws(DomainError) {
                lines.append((try Money.parse(line.amount, currency: currency, field: "lines[\(index)].amount").minorUnits,
                              line.taxCode))
            } catch {
                problems.append(.init(index: index, field: error.field, code: error.code, message: error.message))
            }
        }
        if !problems.isEmpty {
            throw DomainError(.invalid, "ledger.tax.invalid", problems[0].message, field: problems[0].field, items: problems)
        }
        let result = try await request.ledger.computeTax(lines)
        func text(_ minorUnits: Int64) -> String { Money(minorUnits: minorUnits, currency: currency).decimalString }
        return .ok(.init(body: .json(.init(
            currency: currency.code, rounding: result.rounding.rawValue,
            lines: result.lines.map { .init(taxCode: $0.taxCode, net: text($0.net), tax: text($0.tax), gross: text($0.gross)) },
            summary: result.summary.map { .init(taxCode: $0.taxCode, rate: "\($0.rate)", base: text($0.base), tax: text($0.tax),
                                                note: $0.note) },
            net: text(result.net), tax: text(result.tax), gross: text(result.gross)))))
    }
}

extension TaxCode {
    var api: Components.Schemas.TaxCode {
        .init(code: code, name: name, kind: .init(rawValue: kind.rawValue)!, rate: "\(rate)",
              pricesIncludeTax: pricesIncludeTax, account: account, note: note, archived: archived)
    }
}
