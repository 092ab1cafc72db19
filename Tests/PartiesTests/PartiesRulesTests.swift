import Kernel
@testable import Parties
import Testing

func errorCode(_ work: () throws -> Void) -> String? {
    do { try work() } catch let error as DomainError { return error.code } catch { return "not a DomainError: \(error)" }
    return nil
}

@Suite("Partner rules")
struct PartiesRulesTests {
    @Test("IBANs from the registry's examples pass; a changed digit, a wrong length or country is refused",
          arguments: ["DE89 3704 0044 0532 0130 00", "GB29 NWBK 6016 1331 9268 19", "FR14 2004 1010 0505 0001 3M02 606",
                      "NL91ABNA0417164300", "be68 5390 0754 7034", "CH93 0076 2011 6238 5295 7", "NO93 8601 1117 947",
                      "MT84 MALT 0110 0001 2345 MTLC AST0 01S"])
    func validIBANs(_ text: String) throws {
        let compact = try IBAN.normalize(text)
        #expect(!compact.contains(" ") && compact == compact.uppercased())
        #expect(IBAN.printed(compact).replacingOccurrences(of: " ", with: "") == compact)
    }

    @Test("IBAN errors name what is wrong")
    func invalidIBANs() {
        #expect(errorCode { _ = try IBAN.normalize("DE89 3704 0044 0532 0130 01") } == "iban.checksum")
        #expect(errorCode { _ = try IBAN.normalize("DE89 3704 0044 0532 0130") } == "iban.length")
        #expect(errorCode { _ = try IBAN.normalize("ZZ89 3704 0044 0532 0130 00") } == "iban.country_unknown")
        #expect(errorCode { _ = try IBAN.normalize("DE89-3704/0044") } == "iban.invalid")
        #expect(errorCode { _ = try IBAN.normalize("") } == "iban.invalid")
        // Two digits swapped keep the length and the country but not the checksum.
        #expect(errorCode { _ = try IBAN.normalize("DE98 3704 0044 0532 0130 00") } == "iban.checksum")
    }

    @Test("VAT numbers with a known prefix are checked by format; other tax ids are kept as written")
    func taxIDs() throws {
        #expect(try TaxID.normalize("DE 123.456.789") == "DE123456789")
        #expect(try TaxID.normalize("atu12345678") == "ATU12345678")
        #expect(try TaxID.normalize("FR 40 303265045") == "FR40303265045")
        #expect(try TaxID.normalize("NL123456789B01") == "NL123456789B01")
        #expect(try TaxID.normalize("ESX1234567Z") == "ESX1234567Z")
        #expect(try TaxID.normalize("CHE-123.456.789 MWST") == "CHE123456789MWST")
        #expect(try TaxID.normalize("12-3456789") == "12-3456789")
        #expect(errorCode { _ = try TaxID.normalize("DE12345678") } == "tax_id.format")
        #expect(errorCode { _ = try TaxID.normalize("NL123456789X01") } == "tax_id.format")
        #expect(errorCode { _ = try TaxID.normalize("SE123456789012") } == "tax_id.format")
        #expect(errorCode { _ = try TaxID.normalize("hello") } == "tax_id.invalid")
        #expect(errorCode { _ = try TaxID.normalize("12#45") } == "tax_id.invalid")
        do {
            _ = try TaxID.normalize("DE12345678")
        } catch {
            #expect(error.message == "'DE12345678' is not a DE VAT number, which is DE followed by 9 digits")
        }
    }

    @Test("Payment terms read as invoices print them, and give due dates, discount deadlines and discounts")
    func paymentTerms() throws {
        let invoice = CivilDate(2026, 1, 20)
        let net30 = try PaymentTerms.parse("net 30")
        #expect(net30 == .net30 && net30.description == "net 30")
        #expect(net30.dueDate(invoiceDate: invoice) == CivilDate(2026, 2, 19))
        #expect(net30.discount(on: 100_00) == 0 && net30.discountDeadline(invoiceDate: invoice) == nil)

        let eom = try PaymentTerms.parse("End of month + 15")
        #expect(eom.description == "eom+15" && eom.dueDate(invoiceDate: invoice) == CivilDate(2026, 2, 15))
        #expect(try PaymentTerms.parse("eom").dueDate(invoiceDate: CivilDate(2028, 2, 3)) == CivilDate(2028, 2, 29))

        let early = try PaymentTerms.parse("2/10 net 30")
        #expect(early.description == "2/10 net 30")
        #expect(early.discountDeadline(invoiceDate: invoice) == CivilDate(2026, 1, 30))
        #expect(early.discount(on: 1_234_56) == 24_69)   // 2 % of 1,234.56 = 24.6912
        #expect(early.discount(on: 25) == 1)             // 0.5 cent rounds half up
        let fractional = try PaymentTerms.parse("1.5/14 eom+30")
        #expect(fractional.discountBasisPoints == 150 && fractional.description == "1.5/14 eom+30")
        #expect(fractional.discount(on: 1_000_00) == 15_00)
        #expect(try PaymentTerms.parse("0.75/5 net 10").description == "0.75/5 net 10")
        #expect(try PaymentTerms.parse("Immediate").dueDate(invoiceDate: invoice) == invoice)

        #expect(errorCode { _ = try PaymentTerms.parse("net thirty") } == "parties.payment_terms.invalid")
        #expect(errorCode { _ = try PaymentTerms.parse("net 400") } == "parties.payment_terms.days_range")
        #expect(errorCode { _ = try PaymentTerms.parse("60/10 net 30") } == "parties.payment_terms.discount_range")
        #expect(errorCode { _ = try PaymentTerms.parse("2/40 net 30") } == "parties.payment_terms.discount_days")
        #expect(errorCode { _ = try PaymentTerms.parse("2/0 net 30") } == "parties.payment_terms.discount_days")
        #expect(errorCode { _ = try PaymentTerms.parse("2.125/10 net 30") } == "parties.payment_terms.invalid")
        #expect(errorCode { _ = try PaymentTerms.parse("") } == "parties.payment_terms.invalid")
    }

    @Test("A partner is checked as a whole: every problem comes back with its field")
    func validation() throws {
        let valid = try PartnerRules.validate(PartnerInput(
            name: "  ACME GmbH ", taxID: "de123456789", email: "ap@acme.example", currency: "eur",
            paymentTerms: "2/10 net 30", creditLimit: "5000", billingAddress: Address(city: " Berlin ", country: "de"),
            iban: "de89370400440532013000", contacts: [Contact(name: "Ada", email: "ada@acme.example")]))
        #expect(valid.name == "ACME GmbH" && valid.taxID == "DE123456789" && valid.currency == .eur)
        #expect(valid.creditLimit == 5_000_00 && valid.billingAddress.city == "Berlin")
        #expect(valid.billingAddress.country == "DE" && valid.iban == "DE89370400440532013000")

        do {
            _ = try PartnerRules.validate(PartnerInput(
                code: "bad code!", name: "", isCustomer: false, isVendor: false, taxID: "DE1", email: "nope",
                creditLimit: "10", billingAddress: Address(country: "Germany"), iban: "DE00", bic: "ABC",
                contacts: [Contact(name: " ", email: "x")]))
            Issue.record("an invalid partner was accepted")
        } catch {
            #expect(error.code == "parties.partner.invalid")
            #expect(Set(error.items.compactMap(\.field)) == [
                "name", "code", "isCustomer", "taxId", "email", "creditLimit", "billingAddress.country", "iban", "bic",
                "contacts[0].name", "contacts[0].email"])
        }
        #expect(errorCode { _ = try PartnerRules.validate(PartnerInput(name: "X", currency: "EUR", creditLimit: "-1")) }
                == "parties.partner.invalid")
        #expect(EmailAddress.isPlausible("a@b.co") && !EmailAddress.isPlausible("a@b") && !EmailAddress.isPlausible("a b@c.de"))
    }
}
