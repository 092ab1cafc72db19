import Foundation
import Kernel
@testable import Ledger
import Testing

@Suite("Entry rules")
struct EntryRulesTests {
    static func account(_ code: String, _ name: String, _ type: AccountType = .asset, header: Bool = false,
                        archived: Bool = false, currency: Currency? = nil) -> Account {
        Account(id: UUID().uuidString, code: code, name: name, fullName: name, type: type, subtype: .none,
                parentID: nil, isHeader: header, archived: archived, currency: currency)
    }

    static let context: EntryRules.Context = {
        let accounts = [account("1010", "Assets:Bank"), account("4000", "Income:Sales", .income),
                        account("1", "Assets", header: true), account("1999", "Assets:Old", archived: true),
                        account("1020", "Assets:Bank USD", currency: .usd)]
        var map: [String: Account] = [:]
        for account in accounts { map[account.code] = account; map[account.fullName] = account }
        return EntryRules.Context(functionalCurrency: .eur, accounts: map, journals: ["GEN"],
                                  periodState: { $0.month == 1 ? .closed : .open },
                                  rateOnFile: { currency, _ in currency == .usd ? Decimal(string: "0.9") : nil })
    }()

    static func entry(_ lines: [ProposedLine], date: CivilDate = CivilDate(2026, 3, 1)) -> ProposedEntry {
        ProposedEntry(date: date, memo: "test", lines: lines)
    }

    func codes(_ entry: ProposedEntry) -> [String] {
        do {
            _ = try EntryRules.validate(entry, in: Self.context)
            return []
        } catch {
            return error.items.map(\.code)
        }
    }

    @Test("A balanced entry passes with functional amounts equal to the amounts")
    func balanced() throws {
        let valid = try EntryRules.validate(Self.entry([
            ProposedLine(account: "1010", debit: 11_900, currency: .eur),
            ProposedLine(account: "Income:Sales", credit: 11_900, currency: .eur),
        ]), in: Self.context)
        #expect(valid.lines.map(\.functionalDebit) == [11_900, 0])
        #expect(valid.lines[1].account.code == "4000")
    }

    @Test("Each problem names its field: the line, or the field within it")
    func fields() {
        let entry = Self.entry([
            ProposedLine(account: "1010", debit: 100, credit: 100, currency: .eur),
            ProposedLine(account: "9999", credit: 100, currency: .eur),
            ProposedLine(account: "1020", credit: 100, currency: .usd, functionalAmount: -1),
        ])
        do {
            _ = try EntryRules.validate(entry, in: Self.context)
            Issue.record("the entry has three bad lines")
        } catch {
            #expect(error.items.map(\.field) == ["lines[0]", "lines[1].account", "lines[2].functionalAmount"])
            #expect(error.items.map(\.code) == ["ledger.line.both_sides", "ledger.account.unknown",
                                                "ledger.line.amount_not_positive"])
            #expect(error.field == "lines[0]")
        }
        let long = String(repeating: "é", count: EntryRules.memoLengthMax)  // 1,000 bytes, 500 characters: allowed
        var memo = Self.entry([ProposedLine(account: "1010", debit: 1, currency: .eur),
                               ProposedLine(account: "4000", credit: 1, currency: .eur)])
        memo.memo = long
        #expect(codes(memo).isEmpty)
        memo.memo = long + "e"
        #expect(codes(memo) == ["ledger.entry.memo_too_long"])
    }

    @Test("Each rule has its own code", arguments: [
        ([ProposedLine(account: "1010", debit: 100, currency: .eur), ProposedLine(account: "4000", credit: 99, currency: .eur)],
         "ledger.entry.unbalanced"),
        ([ProposedLine(account: "1010", debit: 100, currency: .eur)], "ledger.entry.no_lines"),
        ([ProposedLine(account: "9999", debit: 100, currency: .eur), ProposedLine(account: "4000", credit: 100, currency: .eur)],
         "ledger.account.unknown"),
        ([ProposedLine(account: "1999", debit: 100, currency: .eur), ProposedLine(account: "4000", credit: 100, currency: .eur)],
         "ledger.account.archived"),
        ([ProposedLine(account: "1", debit: 100, currency: .eur), ProposedLine(account: "4000", credit: 100, currency: .eur)],
         "ledger.account.header"),
        ([ProposedLine(account: "1010", debit: 0, currency: .eur), ProposedLine(account: "4000", credit: 0, currency: .eur)],
         "ledger.line.amount_not_positive"),
        ([ProposedLine(account: "1010", debit: -5, currency: .eur), ProposedLine(account: "4000", credit: -5, currency: .eur)],
         "ledger.line.amount_not_positive"),
        ([ProposedLine(account: "1010", debit: 5, credit: 5, currency: .eur), ProposedLine(account: "4000", credit: 5, currency: .eur)],
         "ledger.line.both_sides"),
        ([ProposedLine(account: "1020", debit: 100, currency: .eur), ProposedLine(account: "4000", credit: 100, currency: .eur)],
         "ledger.account.currency_not_allowed"),
        ([ProposedLine(account: "1010", debit: 100, currency: .gbp), ProposedLine(account: "4000", credit: 100, currency: .gbp)],
         "ledger.rate.missing"),
    ])
    func rules(lines: [ProposedLine], code: String) {
        #expect(codes(Self.entry(lines)).contains(code))
    }

    @Test("A closed period refuses postings; too many lines are refused; every problem is listed")
    func periodsAndLimits() {
        let lines = [ProposedLine(account: "1010", debit: 100, currency: .eur), ProposedLine(account: "4000", credit: 100, currency: .eur)]
        #expect(codes(Self.entry(lines, date: CivilDate(2026, 1, 15))) == ["ledger.period.closed"])
        let many = (0..<1_001).map { _ in ProposedLine(account: "1010", debit: 1, currency: .eur) }
        #expect(codes(Self.entry(many)).contains("ledger.entry.too_many_lines"))
        let twoProblems = [ProposedLine(account: "nope", debit: 100, currency: .eur), ProposedLine(account: "1", credit: 100, currency: .eur)]
        #expect(codes(Self.entry(twoProblems)) == ["ledger.account.unknown", "ledger.account.header"])
    }

    @Test("Foreign currency converts half-up at the given rate, the rate on file, or a fixed functional amount")
    func foreignCurrency() throws {
        let atRate = try EntryRules.validate(Self.entry([
            ProposedLine(account: "1020", debit: 1_005, currency: .usd, rate: Decimal(string: "0.925")),
            ProposedLine(account: "4000", credit: 930, currency: .eur),
        ]), in: Self.context)
        #expect(atRate.lines[0].functionalDebit == 930) // 10.05 * 0.925 = 9.29625 -> 9.30
        let onFile = try EntryRules.validate(Self.entry([
            ProposedLine(account: "1020", debit: 1_000, currency: .usd),
            ProposedLine(account: "4000", credit: 900, currency: .eur),
        ]), in: Self.context)
        #expect(onFile.lines[0].functionalDebit == 900)
        let fixed = try EntryRules.validate(Self.entry([
            ProposedLine(account: "1020", debit: 1_000, currency: .usd, functionalAmount: 917),
            ProposedLine(account: "4000", credit: 917, currency: .eur),
        ]), in: Self.context)
        #expect(fixed.lines[0].functionalDebit == 917)
        let yen = try EntryRules.validate(Self.entry([
            ProposedLine(account: "1010", debit: 1_000, currency: .jpy, rate: Decimal(string: "0.0062")),
            ProposedLine(account: "4000", credit: 620, currency: .eur),
        ]), in: Self.context)
        #expect(yen.lines[0].functionalDebit == 620) // 1000 JPY * 0.0062 = 6.20 EUR
    }

    @Test("Account paths: type from the root, refusal of malformed names")
    func accountNames() throws {
        #expect(try AccountNames.parse("Revenue:Consulting").type == .income)
        #expect(try AccountNames.parse("Assets:Current Assets:Bank").parent == "Assets:Current Assets")
        #expect(throws: DomainError.self) { try AccountNames.parse("Assets") }
        #expect(throws: DomainError.self) { try AccountNames.parse("Stuff:Things") }
        #expect(throws: DomainError.self) { try AccountNames.parse("Assets::Bank") }
    }
}
