import Foundation
import Kernel
@testable import Ledger
import Testing

/// The journal reader's byte-level fast path must read every line it accepts exactly as the full reader does,
/// and leave every other line (and every problem) to it.
@Suite("Journal reader fast path")
struct JournalParserTests {
    /// A transaction and the problems, as text, so two readers' results compare.
    static func read(_ lines: [String], fast: Bool) -> String {
        var parser = JournalParser(dollar: .usd)
        var out: [String] = []
        func show(_ transaction: ParsedTransaction?) {
            guard let transaction else { return }
            let postings = transaction.postings.map {
                "\($0.line) \($0.account) | \($0.amount.map { "\($0.minorUnits) \($0.currency.code)" } ?? "-")"
                    + " | \($0.total.map { "\($0.minorUnits) \($0.currency.code)" } ?? "-") | \($0.memo ?? "-")"
            }
            out.append("\(transaction.line) \(transaction.date) \(transaction.payee) \(transaction.code ?? "-") "
                       + "\(transaction.notes) \(postings)")
        }
        for (index, line) in lines.enumerated() {
            show(fast ? parser.feed(line, line: index + 1) : parser.slowFeed(line, line: index + 1))
        }
        show(parser.finish())
        return (out + parser.problems.map { "problem \($0.line ?? 0) \($0.code): \($0.message)" }).joined(separator: "\n")
    }

    static let headers = [
        "2026-01-02 Rent", "2026-01-02 * Rent", "2026-01-02 ! Rent  ", "2026-01-02   *   Rent", "2026-01-02",
        "2026-01-02 * (7) Rent", "2026-02-30 Impossible", "2026/01/05 Slashes", "2026-01-02=2026-01-03 Aux",
        "2026-01-02 Rent ; note", "2026-1-2 Short", "20260102 Compact", "2026-01-02x Odd", "2026-01-02 Café",
        String(repeating: "2026-01-02 " + String(repeating: "x", count: 600), count: 1),
    ]
    static let postings = [
        "    Assets:Bank  100.00 EUR", "    Assets:Bank  -100 EUR", "    Expenses:Rent    EUR 12.5", "    Assets:Bank",
        "    Assets:Bank  ", "    Assets:Bank  .5 EUR", "    Assets:Bank  5. EUR", "    Assets:Bank  1,000.00 EUR",
        "    Assets:Bank  100.001 EUR", "    Assets:Bank  100 eur", "    Assets:Bank  100 XXQ", "    Assets:Bank  100",
        "    Assets:Bank  100 EUR EUR", "    Assets:Bank  99999999999999999 EUR", "    Assets:Bank  999999999999999999999 EUR",
        "    Assets:Bank  9223372036854775807 JPY", "    Assets:Bank  +7 JPY", "    Assets:Bank  - EUR", "    Assets:Bank  --5 EUR",
        "    Assets:Bank  $12.00", "    Assets:Bank  10 EUR @@ 11 USD", "    Assets:Bank  10 EUR = 10 EUR",
        "    (Assets:Virtual)  5 EUR", "    * Assets:Bank  5 EUR", "    Assets:Bank  5 EUR ; memo", "    ; a note",
        "\tAssets:Bank\t5 EUR", "    Assets:Bank Savings  5 EUR", "    Assets:Bank 5 EUR", "    Assets:Café  5 EUR",
        "    Assets:Bank  5 KWD", "    Assets:Bank  5.1234 CLF", "    Assets:Bank  1.5 JPY", "", "   ",
    ]

    @Test("Every header and posting shape reads the same through the fast path and the full reader")
    func sameAsFullReader() {
        for header in Self.headers {
            for posting in Self.postings {
                let lines = [header, posting, "    Equity:Other  -1 EUR", "", posting, header, "    Assets:Bank"]
                #expect(Self.read(lines, fast: true) == Self.read(lines, fast: false), "\(lines)")
            }
        }
    }

    @Test("The common lines take the fast path; unusual ones are declined")
    func fastPathTaken() {
        var parser = JournalParser(dollar: nil)
        func outcome(_ line: String) -> String {
            var bytes = Array(line.utf8)
            return bytes.withUnsafeMutableBufferPointer { buffer in
                switch parser.fastFeed(UnsafeBufferPointer(buffer), line: 1) {
                case .handled: "handled"
                case .declined: "declined"
                }
            }
        }
        #expect(outcome("2026-01-02 * Rent") == "handled")
        #expect(outcome("    Expenses:Rent  1200.00 EUR") == "handled")
        #expect(outcome("    Assets:Bank") == "handled")
        #expect(parser.current?.postings.count == 2)
        #expect(outcome("") == "handled")
        #expect(parser.current == nil)
        #expect(outcome("    Assets:Bank  1,200.00 EUR") == "declined")
        #expect(outcome("    Assets:Café  1 EUR") == "declined")
        #expect(outcome("2026-01-02 * (7) Rent") == "declined")
    }

    @Test("ASCIISet answers as a Set of the same bytes would, for every byte")
    func asciiSet() {
        let characters = ";$\"{@=([*!,"
        let set = ASCIISet(characters)
        let reference = Set(characters.utf8)
        let bytes: [UInt8] = (0...255).map { UInt8($0) }
        let found: [UInt8] = bytes.filter { set.contains($0) }
        let expected: [UInt8] = bytes.filter { reference.contains($0) }
        #expect(found == expected)
        let edges = ASCIISet("\u{0}?@\u{7F}")
        let edgesFound: [UInt8] = bytes.filter { edges.contains($0) }
        #expect(edgesFound == [0, 63, 64, 127])
        #expect(!ASCIISet("").contains(0) && !ASCIISet("").contains(255))
    }

    @Test("'$' is the dollar sign only as a symbol of its own; inside a commodity name it is refused as that name")
    func dollarSign() {
        func amount(_ text: String, dollar: Currency? = .usd) -> String {
            var parser = JournalParser(dollar: dollar)
            return parser.parseAmount(text, line: 7).map { "\($0.minorUnits) \($0.currency.code)" }
                ?? parser.problems.map { "\($0.code): \($0.message)" }.joined()
        }
        #expect(amount("$12.00") == "1200 USD")
        #expect(amount("-$12") == "-1200 USD")
        #expect(amount("$-12") == "-1200 USD")
        #expect(amount("12 $") == "1200 USD")
        #expect(amount("$ 1,200.50") == "120050 USD")
        #expect(amount("$12.00", dollar: nil) == "import.commodity: '$' needs --currency to say which currency it is")
        #expect(amount("-10 E$R") == "import.commodity: 'E$R' is not an ISO 4217 currency code")
        #expect(amount("-10 US$", dollar: nil) == "import.commodity: 'US$' is not an ISO 4217 currency code")
        #expect(amount("\"E$R\" 5") == "import.commodity: '\"E$R\"' is not an ISO 4217 currency code")
    }

    @Test("Amounts in minor units: sign, scale, and refusal of what the full reader must judge")
    func minorUnits() {
        func units(_ text: String, _ exponent: Int = 2) -> Int64? {
            Array(text.utf8).withUnsafeBufferPointer { JournalParser.minorUnits($0[...], exponent: exponent) }
        }
        #expect(units("12.5") == 1250)
        #expect(units("-0.01") == -1)
        #expect(units("+7", 0) == 7)
        #expect(units(".5") == 50)
        #expect(units("5.") == nil)
        #expect(units("1.234") == nil)
        #expect(units("1,000") == nil)
        #expect(units("9999999999999999") == 999_999_999_999_999_900)
        #expect(units("99999999999999999") == nil)
        #expect(units(String(repeating: "9", count: 40)) == nil)
        #expect(units("") == nil && units("-") == nil)
    }
}
