import Foundation
import Kernel
import Ledger
import Parties

/// Electronic invoices per EN 16931, in its two syntaxes: UN/CEFACT CII as the Factur-X / ZUGFeRD EN 16931
/// profile writes it, and UBL 2.1 as Peppol BIS Billing 3.0 writes it. Pure: the caller gathers the parties, the
/// tax codes' kinds and the units; `build` checks that the document can be expressed and then writes it.
public enum EInvoice {
    public enum Syntax: String, Sendable, CaseIterable {
        case cii
        case ubl

        public var fileSuffix: String { self == .cii ? "cii.xml" : "ubl.xml" }
    }

    /// Seller or buyer as the document names them.
    public struct Party: Sendable, Equatable {
        public var name: String
        public var address: Address
        public var taxID: String?
        public var registrationID: String?
        public var email: String?
        public var phone: String?

        public init(name: String, address: Address, taxID: String? = nil, registrationID: String? = nil,
                    email: String? = nil, phone: String? = nil) {
            self.name = name
            self.address = address
            self.taxID = taxID
            self.registrationID = registrationID
            self.email = email
            self.phone = phone
        }

        /// The VAT number (BT-31, BT-48), when the tax id is one: a known VAT prefix. Other tax ids stay off.
        var vatID: String? { taxID.flatMap { TaxID.isVAT($0) ? $0 : nil } }
    }

    public struct Input: Sendable {
        public var invoice: Invoice
        public var seller: Party
        public var buyer: Party
        public var iban: String?
        public var bic: String?
        /// Each tax code's kind; a code missing here is read as standard.
        public var taxKinds: [String: TaxCode.Kind]
        /// Each SKU's unit as the catalog keeps it ("h", "pc", "month").
        public var units: [String: String]

        public init(invoice: Invoice, seller: Party, buyer: Party, iban: String?, bic: String?,
                    taxKinds: [String: TaxCode.Kind], units: [String: String]) {
            self.invoice = invoice
            self.seller = seller
            self.buyer = buyer
            self.iban = iban
            self.bic = bic
            self.taxKinds = taxKinds
            self.units = units
        }
    }

    /// One EN 16931 VAT breakdown (BG-23): category and rate, with the amounts of every line in it.
    struct Breakdown: Equatable {
        let category: String
        let rate: Decimal
        var base: Int64
        var tax: Int64
        var reason: String?
    }

    // MARK: Rules

    /// The VAT category code (UNTDID 5305) of a line: S standard, Z zero rated, E exempt, AE reverse charge; a
    /// line with no tax code is E, or O (outside the scope of VAT) when no line of the document has a code.
    static func category(_ taxCode: String, kinds: [String: TaxCode.Kind], anyCoded: Bool) -> String {
        guard !taxCode.isEmpty else { return anyCoded ? "E" : "O" }
        switch kinds[taxCode] ?? .standard {
        case .standard: return "S"
        case .zeroRated: return "Z"
        case .exempt: return "E"
        case .reverseCharge: return "AE"
        }
    }

    /// What both syntaxes say about a line: its VAT category and rate, the quantity and net price as EN 16931 wants
    /// them, the unit code, and the legal note of its tax code.
    struct LineFacts {
        let line: DocumentLine
        let category: String
        let rate: Decimal
        let quantity: Decimal
        let price: Decimal
        let unitCode: String
        let reason: String?
    }

    static func lineFacts(_ input: Input) -> [LineFacts] {
        let invoice = input.invoice
        let anyCoded = invoice.lines.contains { !$0.taxCode.isEmpty }
        let summary = Dictionary(invoice.taxSummary.map { ($0.taxCode, $0) }, uniquingKeysWith: { first, _ in first })
        return invoice.lines.map { line in
            let category = category(line.taxCode, kinds: input.taxKinds, anyCoded: anyCoded)
            let (quantity, price) = quantityAndPrice(line, currency: invoice.currency)
            return LineFacts(line: line, category: category,
                             rate: category == "S" ? summary[line.taxCode]?.rate ?? 0 : 0, quantity: quantity, price: price,
                             unitCode: unitCode(line.sku.flatMap { input.units[$0] }),
                             reason: summary[line.taxCode]?.note ?? (line.taxCode.isEmpty ? "Not subject to VAT" : nil))
        }
    }

    /// Exempt, reverse-charge and out-of-scope breakdowns state why no VAT is charged; standard and zero-rated ones
    /// must not (BR-S-10, BR-Z-10).
    static func takesReason(_ category: String) -> Bool { ["E", "AE", "O"].contains(category) }

    static func breakdown(_ input: Input) -> [Breakdown] {
        var groups: [Breakdown] = []
        for facts in lineFacts(input) {
            let line = facts.line, category = facts.category, rate = facts.rate, reason = facts.reason
            if let index = groups.firstIndex(where: { $0.category == category && $0.rate == rate }) {
                groups[index].base += line.net
                groups[index].tax += line.tax
                if groups[index].reason == nil { groups[index].reason = reason }
            } else {
                groups.append(Breakdown(category: category, rate: rate, base: line.net, tax: line.tax, reason: reason))
            }
        }
        return groups.map { group in
            var group = group
            if ["E", "AE", "O"].contains(group.category), group.reason == nil {
                group.reason = group.category == "AE" ? "Reverse charge" : "Exempt from VAT"
            }
            return group
        }
    }

    /// What EN 16931 needs that the data does not have, each as an item with the place to fix it.
    public static func problems(_ input: Input) -> [DomainError.Item] {
        var problems: [DomainError.Item] = []
        func add(_ field: String, _ code: String, _ message: String) {
            problems.append(.init(field: field, code: "sales.einvoice.\(code)", message: message))
        }
        if input.invoice.number == nil {
            add("number", "draft", "A draft has no number yet: issue it first")
        }
        if input.invoice.lines.isEmpty { add("lines", "no_lines", "The document has no lines") }
        if input.seller.address.country == nil {
            add("company.address.country", "seller_country_missing",
                "The company's country is missing (Company details): EN 16931 requires the seller's country")
        }
        if input.buyer.address.country == nil {
            add("customer.billingAddress.country", "buyer_country_missing",
                "Customer \(input.invoice.customerCode) has no country in the billing address")
        }
        let categories = Set(breakdown(input).map(\.category))
        if !categories.subtracting(["O"]).isEmpty, input.seller.vatID == nil {
            add("company.taxId", "seller_vat_missing",
                "The company has no VAT number (Company details): EN 16931 requires it on invoices that charge or "
                + "exempt VAT")
        }
        if categories.contains("AE"), input.buyer.vatID == nil {
            add("customer.taxId", "buyer_vat_missing",
                "Customer \(input.invoice.customerCode) has no VAT number, which a reverse-charge invoice must show")
        }
        return problems
    }

    /// The document in the syntax asked for, or `sales.einvoice.incomplete` listing every missing piece.
    public static func build(_ input: Input, syntax: Syntax) throws(DomainError) -> String {
        let problems = problems(input)
        if let first = problems.first {
            throw DomainError(.conflict, "sales.einvoice.incomplete", first.message, field: first.field, items: problems)
        }
        switch syntax {
        case .cii: return cii(input)
        case .ubl: return ubl(input)
        }
    }

    // MARK: Values

    /// UN/ECE Recommendation 20 unit codes for the units people type; C62 ("one") for anything else.
    static func unitCode(_ unit: String?) -> String {
        let known: [String: String] = [
            "h": "HUR", "hr": "HUR", "hrs": "HUR", "hour": "HUR", "hours": "HUR",
            "d": "DAY", "day": "DAY", "days": "DAY", "week": "WEE", "wk": "WEE",
            "month": "MON", "months": "MON", "mo": "MON", "year": "ANN", "yr": "ANN", "years": "ANN",
            "min": "MIN", "minute": "MIN", "kg": "KGM", "g": "GRM", "t": "TNE", "l": "LTR", "ml": "MLT",
            "m": "MTR", "cm": "CMT", "mm": "MMT", "km": "KMT", "m2": "MTK", "m3": "MTQ", "kwh": "KWH",
            "set": "SET", "pair": "PR", "box": "BX",
        ]
        return unit.flatMap { known[$0.lowercased()] } ?? "C62"
    }

    static func amount(_ minor: Int64, _ currency: Currency) -> String {
        Money(minorUnits: minor, currency: currency).decimalString
    }

    static func date(_ day: CivilDate) -> String {
        day.description.replacing("-", with: "")
    }

    static func decimal(_ value: Decimal) -> String {
        NSDecimalNumber(decimal: value).stringValue
    }

    /// Quantity and net unit price of a line as EN 16931 wants them: the price never negative (BR-27), so a
    /// negative line carries its sign in the quantity; tax-inclusive prices become the net price per unit.
    static func quantityAndPrice(_ line: DocumentLine, currency: Currency) -> (quantity: Decimal, price: Decimal) {
        let negative = line.net < 0
        let quantity = negative ? -abs(line.quantity) : abs(line.quantity)
        var price = Decimal(abs(line.net)) / Decimal(currency.minorUnitsPerMajor) / max(abs(line.quantity), 0.000001)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &price, 6, .plain)
        return (quantity, rounded)
    }

    // MARK: UN/CEFACT CII (Factur-X EN 16931)

    static func cii(_ input: Input) -> String {
        let invoice = input.invoice
        let currency = invoice.currency
        let isCredit = invoice.kind == .creditNote
        var xml = XMLText()
        xml.declaration()
        xml.open("rsm:CrossIndustryInvoice", [
            ("xmlns:rsm", "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"),
            ("xmlns:qdt", "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"),
            ("xmlns:ram", "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"),
            ("xmlns:udt", "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"),
        ])
        xml.open("rsm:ExchangedDocumentContext")
        xml.open("ram:GuidelineSpecifiedDocumentContextParameter")
        xml.leaf("ram:ID", "urn:cen.eu:en16931:2017")
        xml.close(2)
        xml.open("rsm:ExchangedDocument")
        xml.leaf("ram:ID", invoice.number ?? "")
        xml.leaf("ram:TypeCode", isCredit ? "381" : "380")
        ciiDate("ram:IssueDateTime", invoice.issueDate, &xml)
        if let notes = invoice.notes {
            xml.leaf(in: "ram:IncludedNote", "ram:Content", notes)
        }
        xml.close()
        xml.open("rsm:SupplyChainTradeTransaction")
        for facts in lineFacts(input) {
            let line = facts.line
            xml.open("ram:IncludedSupplyChainTradeLineItem")
            xml.leaf(in: "ram:AssociatedDocumentLineDocument", "ram:LineID", String(line.lineNo))
            xml.open("ram:SpecifiedTradeProduct")
            if let sku = line.sku { xml.leaf("ram:SellerAssignedID", sku) }
            xml.leaf("ram:Name", line.description)
            xml.close()
            xml.open("ram:SpecifiedLineTradeAgreement")
            xml.open("ram:NetPriceProductTradePrice")
            xml.leaf("ram:ChargeAmount", decimal(facts.price))
            xml.close(2)
            xml.leaf(in: "ram:SpecifiedLineTradeDelivery", "ram:BilledQuantity", decimal(facts.quantity),
                     [("unitCode", facts.unitCode)])
            xml.open("ram:SpecifiedLineTradeSettlement")
            xml.open("ram:ApplicableTradeTax")
            xml.leaf("ram:TypeCode", "VAT")
            xml.leaf("ram:CategoryCode", facts.category)
            if facts.category != "O" { xml.leaf("ram:RateApplicablePercent", decimal(facts.rate)) }
            xml.close()
            xml.open("ram:SpecifiedTradeSettlementLineMonetarySummation")
            xml.leaf("ram:LineTotalAmount", amount(line.net, currency))
            xml.close(3)
        }
        xml.open("ram:ApplicableHeaderTradeAgreement")
        ciiParty("ram:SellerTradeParty", input.seller, seller: true, &xml)
        ciiParty("ram:BuyerTradeParty", input.buyer, seller: false, &xml)
        if let number = invoice.orderNumber {
            xml.leaf(in: "ram:SellerOrderReferencedDocument", "ram:IssuerAssignedID", number)
        }
        if let reference = invoice.reference {
            xml.leaf(in: "ram:BuyerOrderReferencedDocument", "ram:IssuerAssignedID", reference)
        }
        xml.close()
        xml.open("ram:ApplicableHeaderTradeDelivery")
        xml.open("ram:ActualDeliverySupplyChainEvent")
        ciiDate("ram:OccurrenceDateTime", invoice.period?.end ?? invoice.issueDate, &xml)
        xml.close(2)
        xml.open("ram:ApplicableHeaderTradeSettlement")
        if !isCredit { xml.leaf("ram:PaymentReference", invoice.number ?? "") }
        xml.leaf("ram:InvoiceCurrencyCode", currency.code)
        if !isCredit {
            xml.open("ram:SpecifiedTradeSettlementPaymentMeans")
            xml.leaf("ram:TypeCode", input.iban == nil ? "1" : "58")
            if let iban = input.iban {
                xml.leaf(in: "ram:PayeePartyCreditorFinancialAccount", "ram:IBANID", iban)
                if let bic = input.bic {
                    xml.leaf(in: "ram:PayeeSpecifiedCreditorFinancialInstitution", "ram:BICID", bic)
                }
            }
            xml.close()
        }
        for group in breakdown(input) {
            xml.open("ram:ApplicableTradeTax")
            xml.leaf("ram:CalculatedAmount", amount(group.tax, currency))
            xml.leaf("ram:TypeCode", "VAT")
            if let reason = group.reason, Self.takesReason(group.category) { xml.leaf("ram:ExemptionReason", reason) }
            xml.leaf("ram:BasisAmount", amount(group.base, currency))
            xml.leaf("ram:CategoryCode", group.category)
            if group.category != "O" { xml.leaf("ram:RateApplicablePercent", decimal(group.rate)) }
            xml.close()
        }
        if let period = invoice.period, period.start != period.end {
            xml.open("ram:BillingSpecifiedPeriod")
            ciiDate("ram:StartDateTime", period.start, &xml)
            ciiDate("ram:EndDateTime", period.end, &xml)
            xml.close()
        }
        if !isCredit {
            xml.open("ram:SpecifiedTradePaymentTerms")
            xml.leaf("ram:Description", invoice.paymentTerms)
            ciiDate("ram:DueDateDateTime", invoice.dueDate, &xml)
            xml.close()
        }
        xml.open("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
        xml.leaf("ram:LineTotalAmount", amount(invoice.net, currency))
        xml.leaf("ram:TaxBasisTotalAmount", amount(invoice.net, currency))
        xml.leaf("ram:TaxTotalAmount", amount(invoice.tax, currency), [("currencyID", currency.code)])
        xml.leaf("ram:GrandTotalAmount", amount(invoice.gross, currency))
        xml.leaf("ram:DuePayableAmount", amount(invoice.gross, currency))
        xml.close()
        if let credited = invoice.creditedInvoiceNumber {
            xml.leaf(in: "ram:InvoiceReferencedDocument", "ram:IssuerAssignedID", credited)
        }
        xml.close(3)
        return xml.text
    }

    static func ciiDate(_ tag: String, _ day: CivilDate, _ xml: inout XMLText) {
        xml.leaf(in: tag, "udt:DateTimeString", date(day), [("format", "102")])
    }

    static func ciiParty(_ tag: String, _ party: Party, seller: Bool, _ xml: inout XMLText) {
        xml.open(tag)
        xml.leaf("ram:Name", party.name)
        if seller, let registration = party.registrationID {
            xml.leaf(in: "ram:SpecifiedLegalOrganization", "ram:ID", registration)
        }
        if seller, party.email != nil || party.phone != nil {
            xml.open("ram:DefinedTradeContact")
            if let phone = party.phone {
                xml.leaf(in: "ram:TelephoneUniversalCommunication", "ram:CompleteNumber", phone)
            }
            if let email = party.email {
                xml.leaf(in: "ram:EmailURIUniversalCommunication", "ram:URIID", email)
            }
            xml.close()
        }
        xml.open("ram:PostalTradeAddress")
        if let postalCode = party.address.postalCode { xml.leaf("ram:PostcodeCode", postalCode) }
        if let line1 = party.address.line1 { xml.leaf("ram:LineOne", line1) }
        if let line2 = party.address.line2 { xml.leaf("ram:LineTwo", line2) }
        if let city = party.address.city { xml.leaf("ram:CityName", city) }
        xml.leaf("ram:CountryID", party.address.country ?? "")
        if let region = party.address.region { xml.leaf("ram:CountrySubDivisionName", region) }
        xml.close()
        if let email = party.email {
            xml.leaf(in: "ram:URIUniversalCommunication", "ram:URIID", email, [("schemeID", "EM")])
        }
        if let vat = party.vatID {
            xml.leaf(in: "ram:SpecifiedTaxRegistration", "ram:ID", vat, [("schemeID", "VA")])
        }
        xml.close()
    }

    // MARK: UBL 2.1 (Peppol BIS Billing 3.0)

    /// Electronic address schemes (EAS) that take a VAT number, by its prefix.
    static let vatEndpointSchemes: [String: String] = [
        "AT": "9914", "BE": "9925", "DE": "9930", "ES": "9920", "FR": "9957", "GB": "9932", "IT": "0211", "NL": "9944",
    ]

    static func ubl(_ input: Input) -> String {
        let invoice = input.invoice
        let currency = invoice.currency
        let isCredit = invoice.kind == .creditNote
        let root = isCredit ? "CreditNote" : "Invoice"
        var xml = XMLText()
        xml.declaration()
        xml.open(root, [
            ("xmlns", "urn:oasis:names:specification:ubl:schema:xsd:\(root)-2"),
            ("xmlns:cac", "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"),
            ("xmlns:cbc", "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"),
        ])
        xml.leaf("cbc:CustomizationID", "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0")
        xml.leaf("cbc:ProfileID", "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0")
        xml.leaf("cbc:ID", invoice.number ?? "")
        xml.leaf("cbc:IssueDate", invoice.issueDate.description)
        if !isCredit { xml.leaf("cbc:DueDate", invoice.dueDate.description) }
        xml.leaf(isCredit ? "cbc:CreditNoteTypeCode" : "cbc:InvoiceTypeCode", isCredit ? "381" : "380")
        if let notes = invoice.notes { xml.leaf("cbc:Note", notes) }
        xml.leaf("cbc:DocumentCurrencyCode", currency.code)
        xml.leaf("cbc:BuyerReference", invoice.reference ?? invoice.customerCode)
        if let period = invoice.period, period.start != period.end {
            xml.open("cac:InvoicePeriod")
            xml.leaf("cbc:StartDate", period.start.description)
            xml.leaf("cbc:EndDate", period.end.description)
            xml.close()
        }
        if invoice.reference != nil || invoice.orderNumber != nil {
            xml.open("cac:OrderReference")
            xml.leaf("cbc:ID", invoice.reference ?? "NA")
            if let number = invoice.orderNumber { xml.leaf("cbc:SalesOrderID", number) }
            xml.close()
        }
        if let credited = invoice.creditedInvoiceNumber {
            xml.open("cac:BillingReference")
            xml.open("cac:InvoiceDocumentReference")
            xml.leaf("cbc:ID", credited)
            xml.close(2)
        }
        ublParty("cac:AccountingSupplierParty", input.seller, seller: true, &xml)
        ublParty("cac:AccountingCustomerParty", input.buyer, seller: false, &xml)
        xml.leaf(in: "cac:Delivery", "cbc:ActualDeliveryDate", (invoice.period?.end ?? invoice.issueDate).description)
        if !isCredit {
            xml.open("cac:PaymentMeans")
            xml.leaf("cbc:PaymentMeansCode", input.iban == nil ? "1" : "58")
            xml.leaf("cbc:PaymentID", invoice.number ?? "")
            if let iban = input.iban {
                xml.open("cac:PayeeFinancialAccount")
                xml.leaf("cbc:ID", iban)
                if let bic = input.bic {
                    xml.leaf(in: "cac:FinancialInstitutionBranch", "cbc:ID", bic)
                }
                xml.close()
            }
            xml.close()
            xml.leaf(in: "cac:PaymentTerms", "cbc:Note", invoice.paymentTerms)
        }
        xml.open("cac:TaxTotal")
        xml.leaf("cbc:TaxAmount", amount(invoice.tax, currency), [("currencyID", currency.code)])
        for group in breakdown(input) {
            xml.open("cac:TaxSubtotal")
            xml.leaf("cbc:TaxableAmount", amount(group.base, currency), [("currencyID", currency.code)])
            xml.leaf("cbc:TaxAmount", amount(group.tax, currency), [("currencyID", currency.code)])
            ublCategory("cac:TaxCategory", group.category, rate: group.rate,
                        reason: Self.takesReason(group.category) ? group.reason : nil, &xml)
            xml.close()
        }
        xml.close()
        xml.open("cac:LegalMonetaryTotal")
        for (tag, value) in [("cbc:LineExtensionAmount", invoice.net), ("cbc:TaxExclusiveAmount", invoice.net),
                             ("cbc:TaxInclusiveAmount", invoice.gross), ("cbc:PayableAmount", invoice.gross)] {
            xml.leaf(tag, amount(value, currency), [("currencyID", currency.code)])
        }
        xml.close()
        for facts in lineFacts(input) {
            let line = facts.line
            xml.open(isCredit ? "cac:CreditNoteLine" : "cac:InvoiceLine")
            xml.leaf("cbc:ID", String(line.lineNo))
            xml.leaf(isCredit ? "cbc:CreditedQuantity" : "cbc:InvoicedQuantity", decimal(facts.quantity),
                     [("unitCode", facts.unitCode)])
            xml.leaf("cbc:LineExtensionAmount", amount(line.net, currency), [("currencyID", currency.code)])
            xml.open("cac:Item")
            xml.leaf("cbc:Name", line.description)
            if let sku = line.sku {
                xml.leaf(in: "cac:SellersItemIdentification", "cbc:ID", sku)
            }
            ublCategory("cac:ClassifiedTaxCategory", facts.category, rate: facts.rate, reason: nil, &xml)
            xml.close()
            xml.open("cac:Price")
            xml.leaf("cbc:PriceAmount", decimal(facts.price), [("currencyID", currency.code)])
            xml.close(2)
        }
        xml.close()
        return xml.text
    }

    static func ublCategory(_ tag: String, _ category: String, rate: Decimal, reason: String?, _ xml: inout XMLText) {
        xml.open(tag)
        xml.leaf("cbc:ID", category)
        if category != "O" { xml.leaf("cbc:Percent", decimal(rate)) }
        if let reason { xml.leaf("cbc:TaxExemptionReason", reason) }
        xml.open("cac:TaxScheme")
        xml.leaf("cbc:ID", "VAT")
        xml.close(2)
    }

    static func ublParty(_ tag: String, _ party: Party, seller: Bool, _ xml: inout XMLText) {
        xml.open(tag)
        xml.open("cac:Party")
        if let vat = party.vatID, let scheme = vatEndpointSchemes[String(vat.prefix(2))] {
            xml.leaf("cbc:EndpointID", vat, [("schemeID", scheme)])
        } else if let email = party.email {
            xml.leaf("cbc:EndpointID", email, [("schemeID", "EM")])
        }
        xml.leaf(in: "cac:PartyName", "cbc:Name", party.name)
        xml.open("cac:PostalAddress")
        if let line1 = party.address.line1 { xml.leaf("cbc:StreetName", line1) }
        if let line2 = party.address.line2 { xml.leaf("cbc:AdditionalStreetName", line2) }
        if let city = party.address.city { xml.leaf("cbc:CityName", city) }
        if let postalCode = party.address.postalCode { xml.leaf("cbc:PostalZone", postalCode) }
        if let region = party.address.region { xml.leaf("cbc:CountrySubentity", region) }
        xml.open("cac:Country")
        xml.leaf("cbc:IdentificationCode", party.address.country ?? "")
        xml.close(2)
        if let vat = party.vatID {
            xml.open("cac:PartyTaxScheme")
            xml.leaf("cbc:CompanyID", vat)
            xml.open("cac:TaxScheme")
            xml.leaf("cbc:ID", "VAT")
            xml.close(2)
        }
        xml.open("cac:PartyLegalEntity")
        xml.leaf("cbc:RegistrationName", party.name)
        if seller, let registration = party.registrationID { xml.leaf("cbc:CompanyID", registration) }
        xml.close()
        if seller, party.email != nil || party.phone != nil {
            xml.open("cac:Contact")
            if let phone = party.phone { xml.leaf("cbc:Telephone", phone) }
            if let email = party.email { xml.leaf("cbc:ElectronicMail", email) }
            xml.close()
        }
        xml.close(2)
    }
}

/// A small indenting XML writer: elements opened and closed in order, text and attribute values escaped.
struct XMLText {
    private(set) var text = ""
    private var stack: [String] = []

    mutating func declaration() { text += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" }

    mutating func open(_ tag: String, _ attributes: [(String, String)] = []) {
        text += indent + "<" + tag + Self.attributes(attributes) + ">\n"
        stack.append(tag)
    }

    mutating func leaf(_ tag: String, _ value: String, _ attributes: [(String, String)] = []) {
        text += indent + "<" + tag + Self.attributes(attributes) + ">" + Self.escape(value) + "</" + tag + ">\n"
    }

    /// A parent element holding one leaf.
    mutating func leaf(in parent: String, _ tag: String, _ value: String, _ attributes: [(String, String)] = []) {
        open(parent)
        leaf(tag, value, attributes)
        close()
    }

    mutating func close(_ count: Int = 1) {
        for _ in 0..<count {
            let tag = stack.removeLast()
            text += indent + "</" + tag + ">\n"
        }
    }

    private var indent: String { String(repeating: "  ", count: stack.count) }

    static func attributes(_ list: [(String, String)]) -> String {
        list.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
    }

    static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\u{9}", "\u{A}", "\u{D}": out.unicodeScalars.append(scalar)
            default:
                // Control characters are not allowed in XML 1.0 at all; they are dropped.
                if scalar.value >= 0x20 { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
