import Foundation
import Kernel
import Testing

@Suite("Money")
struct MoneyTests {
    @Test("Parsing accepts grouped, short and negative amounts and keeps every cent")
    func parsesValidAmounts() throws {
        #expect(try Money.parse("1,234.50", currency: .eur).minorUnits == 123_450)
        #expect(try Money.parse("1234.5", currency: .eur).minorUnits == 123_450)
        #expect(try Money.parse("-0.01", currency: .eur).minorUnits == -1)
        #expect(try Money.parse("+3", currency: .eur).minorUnits == 300)
        #expect(try Money.parse(".5", currency: .eur).minorUnits == 50)
        #expect(try Money.parse("1,000,000", currency: .jpy).minorUnits == 1_000_000)
        #expect(try Money.parse("1.234", currency: .kwd).minorUnits == 1234)
    }

    @Test("Parsing refuses malformed amounts with a specific code", arguments: [
        ("", "money.parse.empty"), ("12.345", "money.parse.too_many_decimals"), ("1,23.00", "money.parse.grouping"),
        ("12,3456", "money.parse.grouping"), ("1.2.3", "money.parse.syntax"), ("abc", "money.parse.syntax"),
        ("1e5", "money.parse.syntax"), ("12.", "money.parse.syntax"), ("-", "money.parse.syntax"),
        ("99999999999999999999", "money.parse.too_large"), ("1.5", "money.parse.too_many_decimals"),
    ])
    func refusesMalformed(text: String, code: String) {
        let currency: Currency = text == "1.5" ? .jpy : .eur
        #expect(throws: DomainError.self) { try Money.parse(text, currency: currency) }
        do {
            _ = try Money.parse(text, currency: currency)
        } catch {
            #expect(error.code == code)
        }
    }

    @Test("Formatting uses the currency's exponent and groups for people")
    func formats() {
        #expect(Money(minorUnits: 123_450, currency: .eur).decimalString == "1234.50")
        #expect(Money(minorUnits: -1, currency: .eur).decimalString == "-0.01")
        #expect(Money(minorUnits: 5, currency: .jpy).decimalString == "5")
        #expect(Money(minorUnits: 1, currency: .kwd).decimalString == "0.001")
        #expect(Money(minorUnits: -123_456_789, currency: .usd).grouped == "-1,234,567.89")
        #expect(Money(minorUnits: 99, currency: .usd).grouped == "0.99")
    }

    @Test("Arithmetic is checked: overflow and mixed currencies are errors, not wrong numbers")
    func checkedArithmetic() throws {
        let max = Money(minorUnits: .max, currency: .eur)
        #expect(throws: DomainError.self) { try max.adding(Money(minorUnits: 1, currency: .eur)) }
        #expect(throws: DomainError.self) { try Money(minorUnits: .min, currency: .eur).negated() }
        #expect(throws: DomainError.self) { try max.multiplied(by: 2) }
        #expect(throws: DomainError.self) { try Money(minorUnits: 1, currency: .eur).adding(Money(minorUnits: 1, currency: .usd)) }
        #expect(try Money(minorUnits: 150, currency: .eur).subtracting(Money(minorUnits: 200, currency: .eur)).minorUnits == -50)
    }

    @Test("Rounding rules on halves", arguments: [
        (RoundingRule.halfUp, "0.125", "-0.125", 13, -13), (.halfEven, "0.125", "-0.125", 12, -12),
        (.halfEven, "0.135", "-0.135", 14, -14), (.down, "0.129", "-0.129", 12, -12),
        (.up, "0.121", "-0.121", 13, -13), (.floor, "0.129", "-0.121", 12, -13), (.ceiling, "0.121", "-0.129", 13, -12),
    ])
    func rounding(rule: RoundingRule, positive: String, negative: String, expectedPositive: Int64, expectedNegative: Int64) throws {
        let cents = Money(minorUnits: 100, currency: .eur) // 1.00 EUR times the factor gives the cents to round
        #expect(try cents.multiplied(by: try Decimals.parse(positive), rounding: rule).minorUnits == expectedPositive)
        #expect(try cents.multiplied(by: try Decimals.parse(negative), rounding: rule).minorUnits == expectedNegative)
    }

    @Test("Allocation: parts always sum to the whole, remainders to the largest fractions")
    func allocation() throws {
        let total = Money(minorUnits: 100, currency: .eur)
        #expect(try total.allocate([1, 1, 1]).map(\.minorUnits) == [34, 33, 33])
        #expect(try Money(minorUnits: -100, currency: .eur).allocate([1, 1, 1]).map(\.minorUnits) == [-34, -33, -33])
        #expect(try Money(minorUnits: 5, currency: .eur).allocate([3, 7]).map(\.minorUnits) == [2, 3]) // 1.5 and 3.5: the tie goes to the earlier part
        #expect(try total.allocate([0, 5]).map(\.minorUnits) == [0, 100])
        #expect(throws: DomainError.self) { try total.allocate([]) }
        #expect(throws: DomainError.self) { try total.allocate([0, 0]) }
        #expect(throws: DomainError.self) { try total.allocate([-1, 2]) }
        for amount in [1, 7, 99, 1001, 123_456_789] as [Int64] {
            let parts = try Money(minorUnits: amount, currency: .eur).allocate([3, 5, 11, 13, 1])
            #expect(parts.map(\.minorUnits).reduce(0, +) == amount)
        }
    }

    @Test("Every active ISO 4217 currency is known with its exponent")
    func currencies() throws {
        #expect(Currency.allCodes.count > 150)
        #expect(Currency(code: "eur")?.exponent == 2)
        #expect(Currency(code: "JPY")?.exponent == 0)
        #expect(Currency(code: "BHD")?.exponent == 3)
        #expect(Currency(code: "CLF")?.exponent == 4)
        #expect(Currency(code: "XXX") == nil)
        #expect(throws: DomainError.self) { try Currency.parse("EURO") }
    }

    @Test("Decimals are parsed from text only")
    func decimals() throws {
        #expect(try Decimals.parse("0.19") == Decimal(string: "0.19"))
        #expect(throws: DomainError.self) { try Decimals.parse("1,5") }
        #expect(throws: DomainError.self) { try Decimals.parse("NaN") }
        #expect(throws: DomainError.self) { try Decimals.parse("") }
    }
}
