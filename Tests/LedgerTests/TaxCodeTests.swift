import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import Ledger
import Platform
import Testing

@Suite("Tax codes")
struct TaxCodeTests {
    @Test("Tax codes are saved, changed, archived and used to compute a document's tax with the company's rounding")
    func lifecycle() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            let vat = try await ledger.saveTaxCode(TaxCodeInput(code: "VAT19", name: "VAT 19 %", rate: "19",
                                                                account: "Liabilities:VAT Payable"), by: .system)
            #expect(vat.rate == 19 && vat.account == "2100" && vat.kind == .standard && !vat.pricesIncludeTax)
            _ = try await ledger.saveTaxCode(TaxCodeInput(code: "RC", name: "Reverse charge", kind: "reverse_charge", rate: "",
                                                          note: "VAT to be accounted for by the recipient"), by: .system)
            let changed = try await ledger.saveTaxCode(TaxCodeInput(code: "VAT19", name: "VAT 19 % (standard)", rate: "19",
                                                                    account: "2100"), by: .system)
            #expect(changed.name == "VAT 19 % (standard)" && changed.rate == 19)
            #expect(try await ledger.taxCodes().map(\.code) == ["RC", "VAT19"])

            let seven = Array(repeating: (amount: Int64(3), taxCode: "VAT19"), count: 7)
            #expect(try await ledger.taxRounding() == .line)
            #expect(try await ledger.computeTax(seven).tax == 7)
            try await ledger.setTaxRounding(.document, by: .system)
            #expect(try await ledger.computeTax(seven).tax == 4)

            _ = try await ledger.setTaxCodeArchived("RC", true, by: .system)
            #expect(await domainErrorCode { _ = try await ledger.computeTax([(100, "RC"), (100, "NOPE")]) } == "ledger.tax.invalid")
            #expect(try await ledger.taxCodes(includeArchived: false).map(\.code) == ["VAT19"])
            let actions = try await AuditChain.list(on: db, filter: AuditFilter(entity: "ledger_tax_code")).map(\.action)
            #expect(actions == ["ledger.tax_code.archive", "ledger.tax_code.update", "ledger.tax_code.create",
                                "ledger.tax_code.create"])
        }
    }

    @Test("Bad tax codes are refused with their codes and change nothing")
    func refusals() async throws {
        try await withTestDatabase { db, context in
            let ledger = try await books(db, context)
            func code(_ input: TaxCodeInput, by actor: Principal = .system) async -> String? {
                await domainErrorCode { _ = try await ledger.saveTaxCode(input, by: actor) }
            }
            #expect(await code(TaxCodeInput(code: "V", name: "V", rate: "19")) == "ledger.tax_code.invalid")
            #expect(await code(TaxCodeInput(code: "V", name: "V", rate: "19", account: "9999")) == "ledger.account.unknown")
            #expect(await code(TaxCodeInput(code: "V", name: "V", rate: "19", account: "2")) == "ledger.tax_code.account_not_postable")
            #expect(await code(TaxCodeInput(code: "V", name: "V", rate: "nineteen", account: "2100")) == "decimal.invalid")
            #expect(await code(TaxCodeInput(code: "V", name: "V", kind: "luxury", rate: "19")) == "ledger.tax_code.kind_unknown")
            #expect(await code(TaxCodeInput(code: "V", name: "V", kind: "exempt", rate: "0")) == "ledger.tax_code.invalid")
            let clerk = Principal(userID: nil, username: "clerk", roles: [], permissions: [Permission("ledger", .write)])
            #expect(await code(TaxCodeInput(code: "V", name: "V", rate: "19", account: "2100"), by: clerk) == "auth.forbidden")
            #expect(await domainErrorCode { _ = try await ledger.setTaxCodeArchived("V", true, by: .system) }
                    == "ledger.tax_code.unknown")
            #expect(try await ledger.taxCodes().isEmpty)
        }
    }
}
