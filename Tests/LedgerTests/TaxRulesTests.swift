import Foundation
import KeelTesting
import Kernel
@testable import Ledger
import Testing

@Suite("Tax rules")
struct TaxRulesTests {
    static let vat19 = TaxCode(code: "VAT19", name: "VAT 19 %", rate: 19, account: "2100")
    static let vat7 = TaxCode(code: "VAT7", name: "VAT 7 %", rate: 7, account: "2100")
    static let gross19 = TaxCode(code: "VAT19G", name: "VAT 19 % included", rate: 19, pricesIncludeTax: true,
                                 account: "2100")
    static let reduced55 = TaxCode(code: "TVA5.5", name: "TVA 5,5 %", rate: Decimal(string: "5.5")!, account: "2100")
    static let exempt = TaxCode(code: "EXEMPT", name: "Exempt", kind: .exempt, rate: 0,
                                note: "Exempt from VAT under Art. 135 Directive 2006/112/EC")
    static let reverse = TaxCode(code: "RC", name: "Reverse charge", kind: .reverseCharge, rate: 0,
                                 note: "Reverse charge: VAT to be accounted for by the recipient")

    func taxes(_ lines: [(Int64, TaxCode)], _ rounding: TaxRounding) throws -> TaxComputation {
        try TaxRules.compute(lines.map { TaxableLine(amount: $0.0, taxCode: $0.1) }, rounding: rounding)
    }

    @Test("Exclusive prices: tax on top of each net amount, half up")
    func exclusive() throws {
        let result = try taxes([(100_00, Self.vat19), (99, Self.vat19), (1_234_56, Self.reduced55)], .line)
        #expect(result.lines.map(\.tax) == [19_00, 19, 67_90])        // 0.1881 -> 0.19; 67.9008 -> 67.90
        #expect(result.net == 1_335_55 && result.tax == 87_09 && result.gross == 1_422_64)
        #expect(result.summary.map(\.taxCode) == ["VAT19", "TVA5.5"])
        #expect(result.summary.map(\.base) == [100_99, 1_234_56] && result.summary.map(\.tax) == [19_19, 67_90])
    }

    @Test("Inclusive prices: the tax is taken out of the gross amount, and net + tax is the gross")
    func inclusive() throws {
        let result = try taxes([(119_00, Self.gross19), (10_00, Self.gross19), (1, Self.gross19)], .line)
        #expect(result.lines.map(\.tax) == [19_00, 1_60, 0])           // 10 x 19/119 = 1.5966; 0.01 -> 0.0016
        #expect(result.lines.map(\.net) == [100_00, 8_40, 1])
        #expect(result.lines.map(\.gross) == [119_00, 10_00, 1] && result.gross == 129_01)
    }

    @Test("Per-line and per-document rounding differ, and per document the lines still add up to the total")
    func roundingModes() throws {
        let small = Array(repeating: (Int64(3), Self.vat19), count: 7)   // seven lines of 0.03 at 19 %
        let byLine = try taxes(small, .line)
        let byDocument = try taxes(small, .document)
        #expect(byLine.tax == 7)                                       // 0.0057 rounds up on every line
        #expect(byDocument.tax == 4)                                   // 0.21 x 19 % = 0.0399
        #expect(byDocument.lines.map(\.tax) == [1, 1, 1, 1, 0, 0, 0])  // largest remainder, earlier lines first
        let gross = Array(repeating: (Int64(99), Self.gross19), count: 3)
        #expect(try taxes(gross, .line).tax == 48)                     // 3 x 0.158 -> 3 x 0.16
        let grossDocument = try taxes(gross, .document)
        #expect(grossDocument.tax == 47 && grossDocument.net == 2_50 && grossDocument.gross == 2_97)
    }

    @Test("Mixed rates are rounded per code; untaxed codes carry their legal note into the summary")
    func mixed() throws {
        let lines: [(Int64, TaxCode)] = [(10_05, Self.vat19), (20_10, Self.vat7), (5_55, Self.vat19),
                                         (300_00, Self.exempt), (1_000_00, Self.reverse), (33, Self.vat7)]
        let byLine = try taxes(lines, .line)
        #expect(byLine.lines.map(\.tax) == [1_91, 1_41, 1_05, 0, 0, 2])   // 1.9095, 1.407, 1.0545, 0.0231
        let byDocument = try taxes(lines, .document)
        #expect(byDocument.summary.map(\.tax) == [2_96, 1_43, 0, 0])      // 15.60 x 19 % = 2.964; 20.43 x 7 % = 1.4301
        #expect(byDocument.summary.map(\.taxCode) == ["VAT19", "VAT7", "EXEMPT", "RC"])
        #expect(byDocument.summary[2].note == Self.exempt.note && byDocument.summary[3].base == 1_000_00)
        #expect(byDocument.tax == byDocument.lines.reduce(0) { $0 + $1.tax })
        #expect(byDocument.gross == byDocument.net + byDocument.tax)
    }

    @Test("Credit lines (negative amounts) round symmetrically and share out per document")
    func negatives() throws {
        #expect(try taxes([(-99, Self.vat19)], .line).lines[0].tax == -19)
        let result = try taxes([(-3, Self.vat19), (-3, Self.vat19), (-3, Self.vat19)], .document)
        #expect(result.tax == -2 && result.lines.map(\.tax).reduce(0, +) == -2)   // -0.09 x 19 % = -0.0171
        let refund = try taxes([(-119_00, Self.gross19), (50_00, Self.gross19)], .document)
        #expect(refund.tax == -11_02 && refund.lines.map(\.tax) == [-19_00, 7_98])
    }

    @Test("A tax code is checked as a whole")
    func validation() {
        func code(_ kind: TaxCode.Kind, _ rate: Decimal, account: String? = "2100", note: String? = nil,
                  code: String = "V") -> [String] {
            do {
                try TaxRules.validate(code: code, name: "n", kind: kind, rate: rate, account: account, note: note)
                return []
            } catch {
                return error.items.map(\.code)
            }
        }
        #expect(code(.standard, 19) == [])
        #expect(code(.standard, 0) == ["ledger.tax_code.rate_invalid"])
        #expect(code(.standard, 100) == ["ledger.tax_code.rate_invalid"])
        #expect(code(.standard, 19, account: nil) == ["ledger.tax_code.account_missing"])
        #expect(code(.standard, Decimal(string: "19.00001")!) == ["ledger.tax_code.rate_precision"])
        #expect(code(.exempt, 0) == ["ledger.tax_code.note_missing"])
        #expect(code(.reverseCharge, 5, note: "x") == ["ledger.tax_code.rate_not_zero"])
        #expect(code(.zeroRated, 0, account: nil) == [])
        #expect(code(.standard, 19, code: "bad code") == ["ledger.tax_code.code_invalid"])
    }
}
