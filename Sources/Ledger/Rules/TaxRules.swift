import Foundation
import Kernel

/// A tax code as documents use it: a rate, whether prices already include the tax, the account the collected tax
/// is posted to, and for zero-rated, exempt and reverse-charge supplies the legal note an invoice must print.
public struct TaxCode: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case standard
        case zeroRated = "zero_rated"
        case exempt
        case reverseCharge = "reverse_charge"
    }

    public let code: String
    public let name: String
    public let kind: Kind
    /// Percent, exact ("19", "5.5"); zero for every kind but standard.
    public let rate: Decimal
    /// When true, amounts on documents are gross (tax included) and the tax is taken out of them.
    public let pricesIncludeTax: Bool
    /// The account collected tax is posted to (a code in the chart); standard codes have one.
    public let account: String?
    /// Printed on the invoice: the legal reason no tax is charged ("Reverse charge: VAT to be accounted for by
    /// the recipient, Art. 196 Directive 2006/112/EC").
    public let note: String?
    public let archived: Bool

    public init(code: String, name: String, kind: Kind = .standard, rate: Decimal, pricesIncludeTax: Bool = false,
                account: String? = nil, note: String? = nil, archived: Bool = false) {
        self.code = code
        self.name = name
        self.kind = kind
        self.rate = rate
        self.pricesIncludeTax = pricesIncludeTax
        self.account = account
        self.note = note
        self.archived = archived
    }
}

/// Whether tax is rounded on each line or once per tax code on the whole document (a company setting).
public enum TaxRounding: String, Sendable, Codable, CaseIterable {
    case line, document
}

/// One line to tax: its amount in minor units (net when the code's prices exclude tax, gross when they include it).
public struct TaxableLine: Sendable, Equatable {
    public let amount: Int64
    public let taxCode: TaxCode

    public init(amount: Int64, taxCode: TaxCode) {
        self.amount = amount
        self.taxCode = taxCode
    }
}

/// What tax does to a document: each line's net, tax and gross, a summary per tax code, and the totals.
public struct TaxComputation: Sendable, Equatable, Codable {
    public struct Line: Sendable, Equatable, Codable {
        public let net: Int64
        public let tax: Int64
        public let gross: Int64
        public let taxCode: String
    }

    public struct Summary: Sendable, Equatable, Codable {
        public let taxCode: String
        public let rate: Decimal
        public let base: Int64
        public let tax: Int64
        public let note: String?
    }

    public let rounding: TaxRounding
    public let lines: [Line]
    /// One row per tax code, in order of first use.
    public let summary: [Summary]
    public let net: Int64
    public let tax: Int64
    public let gross: Int64
}

/// Tax on a document, in integer minor units with half-up ("commercial") rounding.
///
/// Per-line rounding rounds each line's tax. Per-document rounding rounds each tax code's total once (on the sum
/// of its lines' net amounts, or gross amounts when prices include tax) and shares that tax out to the lines by
/// largest remainder, so the lines always add up to the document's tax and each line can still be posted with its
/// own dimensions.
public enum TaxRules {
    public static let rateMax: Decimal = 100

    public static func compute(_ lines: [TaxableLine], rounding: TaxRounding) throws(DomainError) -> TaxComputation {
        // The exact tax of each line, in minor units.
        let exact = lines.map { line -> Decimal in
            let rate = line.taxCode.rate / 100
            let amount = Decimal(line.amount)
            return line.taxCode.pricesIncludeTax ? amount * rate / (1 + rate) : amount * rate
        }
        var taxes = [Int64](repeating: 0, count: lines.count)
        switch rounding {
        case .line:
            for index in lines.indices { taxes[index] = try Money.round(exact[index], .halfUp) }
        case .document:
            var groups: [String: [Int]] = [:]
            for (index, line) in lines.enumerated() { groups[line.taxCode.code, default: []].append(index) }
            for members in groups.values {
                let total = try Money.round(members.reduce(Decimal(0)) { $0 + exact[$1] }, .halfUp)
                for (index, share) in zip(members, try share(total, exact: members.map { exact[$0] })) {
                    taxes[index] = share
                }
            }
        }
        var result: [TaxComputation.Line] = []
        for (line, tax) in zip(lines, taxes) {
            let net = line.taxCode.pricesIncludeTax ? line.amount - tax : line.amount
            result.append(.init(net: net, tax: tax, gross: net + tax, taxCode: line.taxCode.code))
        }
        var order: [String] = []
        var sums: [String: (base: Int64, tax: Int64, code: TaxCode)] = [:]
        for (line, computed) in zip(lines, result) {
            if sums[line.taxCode.code] == nil { order.append(line.taxCode.code) }
            let old = sums[line.taxCode.code] ?? (0, 0, line.taxCode)
            sums[line.taxCode.code] = (old.base + computed.net, old.tax + computed.tax, line.taxCode)
        }
        let summary = order.map { code in
            let sum = sums[code]!
            return TaxComputation.Summary(taxCode: code, rate: sum.code.rate, base: sum.base, tax: sum.tax,
                                          note: sum.code.note)
        }
        return TaxComputation(rounding: rounding, lines: result, summary: summary, net: result.reduce(0) { $0 + $1.net },
                              tax: taxes.reduce(0, +), gross: result.reduce(0) { $0 + $1.gross })
    }

    /// Shares `total` out in proportion to `exact` (largest remainder): each part starts at its exact value rounded
    /// down, and the cents left go one each to the parts that lost the most, earlier lines first on ties.
    static func share(_ total: Int64, exact: [Decimal]) throws(DomainError) -> [Int64] {
        var parts = try exact.map { value throws(DomainError) in try Money.round(value, .floor) }
        var left = total - parts.reduce(0, +)
        let step: Int64 = left >= 0 ? 1 : -1
        let order = exact.indices.sorted { a, b in
            let lossA = exact[a] - Decimal(parts[a]), lossB = exact[b] - Decimal(parts[b])
            return step > 0 ? (lossA > lossB || lossA == lossB && a < b) : (lossA < lossB || lossA == lossB && a < b)
        }
        var position = 0
        while left != 0, !order.isEmpty {
            parts[order[position % order.count]] += step
            left -= step
            position += 1
        }
        return parts
    }

    /// Checks a tax code's parts; every problem is reported with its field.
    public static func validate(code: String, name: String, kind: TaxCode.Kind, rate: Decimal, account: String?,
                                note: String?) throws(DomainError) {
        var problems: [DomainError.Item] = []
        func fail(_ field: String, _ code: String, _ message: String) {
            problems.append(.init(field: field, code: code, message: message))
        }
        if code.isEmpty || code.count > 20 || !code.unicodeScalars.allSatisfy({
            ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) }) {
            fail("code", "ledger.tax_code.code_invalid", "A tax code has 1 to 20 letters, digits, dashes, dots or underscores")
        }
        if name.isEmpty || name.count > 100 {
            fail("name", "ledger.tax_code.name_invalid", "A tax code has a name of 1 to 100 characters")
        }
        switch kind {
        case .standard:
            if rate <= 0 || rate >= rateMax {
                fail("rate", "ledger.tax_code.rate_invalid", "A standard rate is more than 0 % and less than 100 %")
            }
            if account == nil {
                fail("account", "ledger.tax_code.account_missing", "A standard tax code names the account its tax is posted to")
            }
        case .zeroRated, .exempt, .reverseCharge:
            if rate != 0 {
                fail("rate", "ledger.tax_code.rate_not_zero", "A \(kind.rawValue.replacing("_", with: "-")) code has a rate of 0")
            }
            if kind != .zeroRated, note == nil {
                fail("note", "ledger.tax_code.note_missing",
                     "An \(kind == .exempt ? "exempt" : "reverse-charge") code needs the legal note the invoice prints")
            }
        }
        let scaled = rate * 10_000
        if scaled != scaled.rounded(0) {
            fail("rate", "ledger.tax_code.rate_precision", "A rate has at most 4 decimals")
        }
        guard problems.isEmpty else {
            throw DomainError(.invalid, "ledger.tax_code.invalid", problems[0].message, field: problems[0].field,
                              items: problems)
        }
    }
}

extension Decimal {
    /// Rounded to `scale` decimals, half up.
    func rounded(_ scale: Int) -> Decimal {
        var input = self
        var result = Decimal()
        NSDecimalRound(&result, &input, scale, .plain)
        return result
    }
}
