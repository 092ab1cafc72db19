import Foundation
import Kernel
import Ledger
import Parties
import Platform

extension SalesService {
    /// What an e-invoice of this document would say, gathered from the company details, the customer record, the
    /// tax codes and the catalog. `EInvoice.problems` on it tells whether it can be written yet.
    public func eInvoiceInput(_ reference: String, by actor: Principal) async throws -> EInvoice.Input {
        try Self.requireRead(actor)
        let invoice = try await invoice(reference, by: actor)
        let ledger = self.ledger
        let company = try await ledger.requireCompany()
        let details = try await ledger.companyDetails()
        let customer = try await parties.partner(invoice.customerID, by: actor)
        let kinds = Dictionary(try await ledger.taxCodes().map { ($0.code, $0.kind) }, uniquingKeysWith: { first, _ in first })
        var units: [String: String] = [:]
        for sku in Set(invoice.lines.compactMap(\.sku)) {
            if let product = try? await catalog.product(sku, by: actor) { units[sku] = product.unit }
        }
        let seller = EInvoice.Party(name: company.name, address: details.address, taxID: details.taxID,
                                    registrationID: details.registrationID, email: details.email, phone: details.phone)
        let buyer = EInvoice.Party(name: invoice.customerName, address: customer.billingAddress, taxID: customer.taxID,
                                   email: customer.email)
        return EInvoice.Input(invoice: invoice, seller: seller, buyer: buyer, iban: details.iban, bic: details.bic,
                              taxKinds: kinds, units: units)
    }

    /// The issued invoice or credit note as EN 16931 XML, with the file name to save it under.
    public func eInvoice(_ reference: String, syntax: EInvoice.Syntax,
                         by actor: Principal) async throws -> (filename: String, xml: String) {
        let input = try await eInvoiceInput(reference, by: actor)
        let xml = try EInvoice.build(input, syntax: syntax)
        return ("\(input.invoice.number ?? input.invoice.id).\(syntax.fileSuffix)", xml)
    }
}
