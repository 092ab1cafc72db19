import Foundation

/// How a value that falls between two representable amounts is brought onto one of them.
public enum RoundingRule: String, Sendable, Codable, CaseIterable {
    /// Half away from zero ("commercial" rounding): 0.125 -> 0.13, -0.125 -> -0.13. Keel's default.
    case halfUp
    /// Half to the nearest even digit (banker's rounding), where a law asks for it: 0.125 -> 0.12.
    case halfEven
    /// Toward zero (truncate).
    case down
    /// Away from zero.
    case up
    /// Toward negative infinity.
    case floor
    /// Toward positive infinity.
    case ceiling
}

/// An exact amount of money: minor units (cents for EUR, yen for JPY, fils for KWD) of one currency.
///
/// Arithmetic is exact and checked: an overflow or a currency mix-up is a `DomainError`, never a wrong number.
public struct Money: Sendable, Hashable, Codable, CustomStringConvertible {
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    public static func zero(_ currency: Currency) -> Money { Money(minorUnits: 0, currency: currency) }

    public var isZero: Bool { minorUnits == 0 }
    public var isNegative: Bool { minorUnits < 0 }

    // MARK: Arithmetic

    public func adding(_ other: Money) throws(DomainError) -> Money {
        try sameCurrency(other)
        let (sum, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        if overflow { throw Money.overflowError }
        return Money(minorUnits: sum, currency: currency)
    }

    public func subtracting(_ other: Money) throws(DomainError) -> Money {
        try sameCurrency(other)
        let (difference, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        if overflow { throw Money.overflowError }
        return Money(minorUnits: difference, currency: currency)
    }

    public func negated() throws(DomainError) -> Money {
        guard minorUnits != .min else { throw Money.overflowError }
        return Money(minorUnits: -minorUnits, currency: currency)
    }

    public func multiplied(by factor: Int64) throws(DomainError) -> Money {
        let (product, overflow) = minorUnits.multipliedReportingOverflow(by: factor)
        if overflow { throw Money.overflowError }
        return Money(minorUnits: product, currency: currency)
    }

    /// Multiplies by an exact decimal (a quantity, a rate, a percentage as a fraction) and rounds to minor units.
    public func multiplied(by factor: Decimal, rounding: RoundingRule = .halfUp) throws(DomainError) -> Money {
        let exact = Decimal(minorUnits) * factor
        return Money(minorUnits: try Money.round(exact, rounding), currency: currency)
    }

    /// Sums amounts of one currency; `nil` currency mix-ups and overflows throw.
    public static func sum(_ amounts: [Money], currency: Currency) throws(DomainError) -> Money {
        var total = Money.zero(currency)
        for amount in amounts { total = try total.adding(amount) }
        return total
    }

    /// Splits this amount into parts proportional to `weights`; the parts always sum to the whole
    /// (largest remainder: the cents left after truncation go to the parts with the largest remainders,
    /// ties to the earlier part), so an invoice's tax lines never drift from its total by a cent.
    public func allocate(_ weights: [Int64]) throws(DomainError) -> [Money] {
        guard !weights.isEmpty else { throw .invalid("money.allocate.no_weights", "Give at least one weight") }
        guard weights.allSatisfy({ $0 >= 0 }) else {
            throw .invalid("money.allocate.negative_weight", "Weights must not be negative")
        }
        let totalWeight = weights.reduce(Decimal(0)) { $0 + Decimal($1) }
        guard totalWeight > 0 else { throw .invalid("money.allocate.zero_weights", "At least one weight must be positive") }
        let magnitude = Decimal(minorUnits.magnitude)
        var parts: [Int64] = []
        var remainders: [(index: Int, remainder: Decimal)] = []
        for (index, weight) in weights.enumerated() {
            let exact = magnitude * Decimal(weight) / totalWeight
            let floor = try Money.round(exact, .down)
            parts.append(floor)
            remainders.append((index, exact - Decimal(floor)))
        }
        var left = Int64(minorUnits.magnitude) - parts.reduce(0, +)
        let order = remainders.sorted { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index }
        var position = 0
        while left > 0 {
            parts[order[position % order.count].index] += 1
            left -= 1
            position += 1
        }
        let sign: Int64 = minorUnits < 0 ? -1 : 1
        return parts.map { Money(minorUnits: $0 * sign, currency: currency) }
    }

    private func sameCurrency(_ other: Money) throws(DomainError) {
        guard currency == other.currency else {
            throw .invalid("money.currency.mismatch", "Cannot combine \(currency) and \(other.currency) amounts")
        }
    }

    static let overflowError = DomainError.invalid("money.overflow", "The amount is too large to be represented")

    /// Rounds an exact decimal number of minor units to an integer with the given rule.
    public static func round(_ value: Decimal, _ rule: RoundingRule) throws(DomainError) -> Int64 {
        var input = value
        var result = Decimal()
        let mode: NSDecimalNumber.RoundingMode
        switch rule {
        case .halfUp: mode = .plain
        case .halfEven: mode = .bankers
        case .floor: mode = .down
        case .ceiling: mode = .up
        case .down: mode = value < 0 ? .up : .down
        case .up: mode = value < 0 ? .down : .up
        }
        NSDecimalRound(&result, &input, 0, mode)
        guard result >= Decimal(Int64.min), result <= Decimal(Int64.max) else { throw overflowError }
        return Int64(truncating: NSDecimalNumber(decimal: result))
    }

    // MARK: Text

    /// The amount as a plain decimal string with exactly the currency's digits: "1234.50", "-0.01", "100" (JPY).
    public var decimalString: String {
        let negative = minorUnits < 0
        let magnitude = minorUnits.magnitude
        guard currency.exponent > 0 else { return (negative ? "-" : "") + String(magnitude) }
        let divisor = UInt64(currency.minorUnitsPerMajor)
        let fraction = String(magnitude % divisor)
        let padded = String(repeating: "0", count: currency.exponent - fraction.count) + fraction
        return (negative ? "-" : "") + String(magnitude / divisor) + "." + padded
    }

    /// The amount for a person: thousands grouped with commas, "1,234.50".
    public var grouped: String {
        let plain = decimalString
        let negative = plain.hasPrefix("-")
        let unsigned = negative ? String(plain.dropFirst()) : plain
        let parts = unsigned.split(separator: ".", omittingEmptySubsequences: false)
        var integer = String(parts[0])
        var groups: [String] = []
        while integer.count > 3 {
            groups.insert(String(integer.suffix(3)), at: 0)
            integer.removeLast(3)
        }
        groups.insert(integer, at: 0)
        let head = groups.joined(separator: ",")
        return (negative ? "-" : "") + head + (parts.count > 1 ? "." + parts[1] : "")
    }

    public var description: String { "\(decimalString) \(currency.code)" }

    /// Parses "1234.5", "1,234.50", "-0.01", "+3" in `currency`. Thousands separators must group by three;
    /// more decimals than the currency has are refused rather than rounded (rounding is a business decision).
    public static func parse(_ text: String, currency: Currency, field: String? = "amount") throws(DomainError) -> Money {
        func fail(_ code: String, _ reason: String) -> DomainError {
            .invalid(code, "'\(text)' is not a valid \(currency.code) amount: \(reason)", field: field)
        }
        var body = Substring(text.trimmed)
        guard !body.isEmpty else { throw fail("money.parse.empty", "it is empty") }
        var negative = false
        if body.first == "-" || body.first == "+" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        let pieces = body.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard pieces.count <= 2 else { throw fail("money.parse.syntax", "more than one decimal point") }
        let integerPart = pieces[0]
        let fractionPart = pieces.count == 2 ? pieces[1] : Substring("").utf8
        guard !integerPart.isEmpty || !fractionPart.isEmpty, pieces.count == 1 || !fractionPart.isEmpty else {
            throw fail("money.parse.syntax", "digits are missing")
        }
        let groups = integerPart.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        if groups.count > 1 {
            let wellGrouped = (1...3).contains(groups[0].count) && groups.dropFirst().allSatisfy { $0.count == 3 }
            guard wellGrouped else { throw fail("money.parse.grouping", "thousands separators must group three digits") }
        }
        let isDigit = { (byte: UInt8) in byte >= 48 && byte <= 57 }
        guard groups.allSatisfy({ $0.allSatisfy(isDigit) }), fractionPart.allSatisfy(isDigit) else {
            throw fail("money.parse.syntax", "only digits, one '.', ',' between thousands and a leading sign are allowed")
        }
        guard fractionPart.count <= currency.exponent else {
            throw fail("money.parse.too_many_decimals", "\(currency.code) has \(currency.exponent) decimal places")
        }
        var magnitude: Int64 = 0
        let digits = groups.joined().map { Int64($0 - 48) } + fractionPart.map { Int64($0 - 48) }
            + repeatElement(0, count: currency.exponent - fractionPart.count)
        for digit in digits {
            let (times, overflowTimes) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(digit)
            guard !overflowTimes, !overflowSum else { throw fail("money.parse.too_large", "it is too large") }
            magnitude = sum
        }
        return Money(minorUnits: negative ? -magnitude : magnitude, currency: currency)
    }
}

extension Character {
    var isASCIIDigitChar: Bool { ("0"..."9").contains(self) }
}

/// Exact decimals built from text, never from a binary floating-point literal.
public enum Decimals {
    /// Parses "0.19", "-1.5", "3" into an exact Decimal; anything else is `decimal.invalid`.
    public static func parse(_ text: String, field: String? = nil) throws(DomainError) -> Decimal {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var body = Substring(trimmed)
        if body.first == "-" || body.first == "+" { body = body.dropFirst() }
        let pieces = body.split(separator: ".", omittingEmptySubsequences: false)
        let valid = !body.isEmpty && pieces.count <= 2 && pieces.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCIIDigitChar) }
        guard valid, body.count <= 38, let value = Decimal(string: trimmed, locale: Locale(identifier: "en_US_POSIX")) else {
            throw .invalid("decimal.invalid", "'\(text)' is not a decimal number like 12.5", field: field)
        }
        return value
    }
}
