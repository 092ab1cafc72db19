import Foundation
import Kernel
import Ledger

/// A line with everything resolved (product defaults applied, tax code and account found), before its amounts.
public struct PricedLine: Sendable, Equatable {
    public let sku: String?
    public let description: String
    public let quantity: Decimal
    public let unitPrice: Decimal
    public let taxCode: TaxCode?
    public let account: String
    public let dimensions: [String: String]

    public init(sku: String?, description: String, quantity: Decimal, unitPrice: Decimal, taxCode: TaxCode?,
                account: String, dimensions: [String: String]) {
        self.sku = sku
        self.description = description
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.taxCode = taxCode
        self.account = account
        self.dimensions = dimensions
    }
}

/// A document's amounts: each line's net, tax and gross, the tax summary and the totals.
public struct DocumentAmounts: Sendable, Equatable {
    public let lines: [DocumentLine]
    public let taxSummary: [TaxSummaryLine]
    public let net: Int64
    public let tax: Int64
    public let gross: Int64
}

/// Document amounts. Pure: quantity times unit price rounded half up to the currency's minor unit, then tax by
/// `TaxRules` with the company's rounding (per line or per document).
public enum DocumentRules {
    public static let linesMax = 500
    public static let quantityMax: Decimal = 1_000_000_000
    public static let unitPriceMax: Decimal = 1_000_000_000_000
    public static let decimalsMax = 6

    /// A line without a tax code is taxed by this: nothing, and it stays out of the summary.
    static let noTax = TaxCode(code: "", name: "No tax", kind: .zeroRated, rate: 0)

    public static func amounts(_ lines: [PricedLine], currency: Currency,
                               rounding: TaxRounding) throws(DomainError) -> DocumentAmounts {
        var taxable: [TaxableLine] = []
        for (index, line) in lines.enumerated() {
            let exact = line.quantity * line.unitPrice * Decimal(currency.minorUnitsPerMajor)
            let amount: Int64
            do { amount = try Money.round(exact, .halfUp) } catch {
                throw .invalid("sales.line.amount_too_large", "Line \(index + 1)'s amount is too large",
                               field: "lines[\(index)].unitPrice")
            }
            taxable.append(TaxableLine(amount: amount, taxCode: line.taxCode ?? noTax))
        }
        let tax = try TaxRules.compute(taxable, rounding: rounding)
        let documentLines = zip(lines, tax.lines).enumerated().map { index, pair in
            let (line, amounts) = pair
            return DocumentLine(lineNo: index + 1, sku: line.sku, description: line.description, quantity: line.quantity,
                                unitPrice: line.unitPrice, taxCode: line.taxCode?.code ?? "", account: line.account,
                                dimensions: line.dimensions, net: amounts.net, tax: amounts.tax, gross: amounts.gross)
        }
        let summary = tax.summary.filter { !$0.taxCode.isEmpty }.map {
            TaxSummaryLine(taxCode: $0.taxCode, rate: $0.rate, base: $0.base, tax: $0.tax, note: $0.note)
        }
        return DocumentAmounts(lines: documentLines, taxSummary: summary, net: tax.net, tax: tax.tax, gross: tax.gross)
    }

    /// A credit of `gross` (tax included) against one invoice line: the tax is taken out at the line's rate.
    public static func creditOf(gross: Int64, on line: DocumentLine, taxCode: TaxCode?,
                                currency: Currency) throws(DomainError) -> DocumentLine {
        let code = taxCode ?? noTax
        let inclusive = TaxCode(code: code.code, name: code.name, kind: code.kind, rate: code.rate, pricesIncludeTax: true,
                                account: code.account, note: code.note)
        let computed = try TaxRules.compute([TaxableLine(amount: gross, taxCode: inclusive)], rounding: .line).lines[0]
        return DocumentLine(lineNo: line.lineNo, sku: line.sku, description: line.description, quantity: 1,
                            unitPrice: Decimal(computed.net) / Decimal(currency.minorUnitsPerMajor), taxCode: line.taxCode, account: line.account,
                            dimensions: line.dimensions, net: computed.net, tax: computed.tax, gross: computed.gross)
    }

    /// Credit lines that take `gross` back from a document's lines in proportion to each line's gross (largest
    /// remainder, so they add up exactly), the tax coming out at each line's rate: an early-payment discount.
    public static func spread(gross: Int64, over lines: [DocumentLine], taxCodes: [String: TaxCode],
                              currency: Currency) throws(DomainError) -> [DocumentLine] {
        let weights = lines.map { max($0.gross, 0) }
        guard gross > 0, weights.contains(where: { $0 > 0 }) else { return [] }
        let shares = try Money(minorUnits: gross, currency: currency).allocate(weights)
        var result: [DocumentLine] = []
        for (line, share) in zip(lines, shares) where share.minorUnits > 0 {
            let credit = try creditOf(gross: share.minorUnits, on: line,
                                      taxCode: line.taxCode.isEmpty ? nil : taxCodes[line.taxCode], currency: currency)
            result.append(DocumentLine(lineNo: credit.lineNo, sku: credit.sku, description: "Discount: \(line.description)",
                                       quantity: credit.quantity, unitPrice: credit.unitPrice, taxCode: credit.taxCode,
                                       account: credit.account, dimensions: credit.dimensions, net: credit.net,
                                       tax: credit.tax, gross: credit.gross))
        }
        return result
    }

    /// Checks a quantity or unit price: positive (quantities) or any sign (prices), bounded, at most six decimals.
    public static func checkNumber(_ value: Decimal, positive: Bool, max: Decimal, field: String,
                                   what: String) throws(DomainError) {
        let key = what.replacing(" ", with: "_")
        if positive ? value <= 0 : false {
            throw .invalid("sales.line.\(key)_invalid", "A \(what) is more than 0", field: field)
        }
        if abs(value) > max {
            throw .invalid("sales.line.\(key)_too_large", "A \(what) is at most \(max)", field: field)
        }
        var scaled = value * pow(10, decimalsMax)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        if rounded != scaled {
            throw .invalid("sales.line.\(key)_precision", "A \(what) has at most \(decimalsMax) decimals", field: field)
        }
    }
}
