import Catalog
import Fluent
import Foundation
import Kernel
import Ledger
import Parties
import Platform
import SQLKit

/// The Sales area's public face: orders from the front office, their billing schedules, invoices and credit notes
/// posted to the ledger, receipts and their allocation, and the receivables views (account, aging, statement).
public struct SalesService: Sendable {
    public let db: any Database
    public let context: PlatformContext
    /// How the catalog checks its references (the catalog is read here, never written).
    public let products: any ProductReferences

    public static let pageLimitMax = 500
    static let receivableSetting = "sales.receivable_account"

    public init(db: any Database, context: PlatformContext, products: any ProductReferences) {
        self.db = db
        self.context = context
        self.products = products
    }

    func on(_ tx: any Database) -> SalesService { SalesService(db: tx, context: context, products: products) }
    var ledger: LedgerService { LedgerService(db: db, context: context) }
    var parties: PartiesService { PartiesService(db: db, context: context) }
    var catalog: CatalogService { CatalogService(db: db, context: context, references: products) }

    static func requireRead(_ actor: Principal) throws(DomainError) { try require(actor, Permission("sales", .read)) }
    static func requireWrite(_ actor: Principal) throws(DomainError) { try require(actor, Permission("sales", .write)) }

    /// Sales posts to the ledger on the user's behalf: the user's sales permission is what allows the posting, and the
    /// ledger's records still name the user.
    static func poster(_ actor: Principal) -> Principal {
        Principal(userID: actor.userID, username: actor.username, roles: actor.roles,
                  permissions: actor.permissions.union([Permission("ledger", .write)]))
    }

    /// Today in the company's time zone (UTC before the company is set up, when there is nothing to date anyway).
    func today() async throws -> CivilDate {
        if let company = try await ledger.company() { return company.today(context.clock) }
        return context.clock.today(in: TimeZone(identifier: "UTC")!)
    }

    /// The given day, or today in the company's time zone.
    public func day(_ given: CivilDate?) async throws -> CivilDate {
        if let given { return given }
        return try await today()
    }

    // MARK: What documents need from the ledger

    /// The company, accounts, tax codes and rounding a document is priced and posted with.
    struct Books: Sendable {
        let company: Company
        let accounts: [Account]
        let taxCodes: [String: TaxCode]
        let rounding: TaxRounding
        let receivable: Account

        func account(_ reference: String) -> Account? {
            accounts.first { $0.code == reference || $0.fullName == reference }
        }

        var postingAccounts: SalesPostings.Accounts {
            SalesPostings.Accounts(receivable: receivable.code,
                                   tax: taxCodes.compactMapValues { $0.account })
        }
    }

    func books() async throws -> Books {
        let ledger = self.ledger
        let company = try await ledger.requireCompany()
        let accounts = try await ledger.accounts()
        let codes = Dictionary(uniqueKeysWithValues: try await ledger.taxCodes().map { ($0.code, $0) })
        let setting = try await Settings.get(Self.receivableSetting, on: db)
        let postable = accounts.filter { !$0.isHeader && !$0.archived }
        guard let receivable = setting.flatMap({ code in postable.first { $0.code == code } })
            ?? postable.filter({ $0.subtype == .receivable }).min(by: { $0.code < $1.code }) else {
            throw DomainError(.conflict, "sales.receivable_account.missing",
                              "The chart has no active receivable account; add one with subtype receivable")
        }
        return Books(company: company, accounts: accounts, taxCodes: codes, rounding: try await ledger.taxRounding(),
                     receivable: receivable)
    }

    // MARK: Customers and lines

    /// An existing customer by id or code, or a new one created in the same transaction.
    func customer(_ reference: String?, new: OrderInput.NewCustomer?, by actor: Principal) async throws -> Partner {
        precondition(db.inTransaction, "a customer is resolved inside the document's transaction")
        if let reference = reference.map({ String($0.trimmed) }), !reference.isEmpty {
            let partner: Partner
            do {
                partner = try await parties.partner(reference, by: actor)
            } catch let error as DomainError where error.kind == .notFound {
                throw DomainError.invalid("sales.customer.unknown", "There is no customer '\(reference)'", field: "customer")
            }
            guard partner.isCustomer, !partner.archived else {
                throw DomainError.invalid("sales.customer.inactive", partner.archived
                                          ? "Customer \(partner.code) is archived" : "\(partner.code) is not a customer",
                                          field: "customer")
            }
            return partner
        }
        guard let new else {
            throw DomainError.invalid("sales.customer.missing", "Name an existing customer, or give a new one",
                                      field: "customer")
        }
        return try await parties.create(PartnerInput(
            code: new.code, name: new.name, isCustomer: true, isVendor: false, taxID: new.taxID, email: new.email,
            currency: new.currency, paymentTerms: new.paymentTerms,
            billingAddress: new.country.map { Address(country: $0) }), by: actor)
    }

    /// Resolves each line's product defaults, tax code and account; every problem is reported with its line.
    func price(_ inputs: [OrderLineInput], currency: Currency, books: Books, by actor: Principal) async throws -> [PricedLine] {
        guard (1...DocumentRules.linesMax).contains(inputs.count) else {
            throw DomainError.invalid("sales.lines.count", "A document has 1 to \(DocumentRules.linesMax) lines",
                                      field: "lines")
        }
        var problems: [DomainError.Item] = []
        var priced: [PricedLine] = []
        for (index, input) in inputs.enumerated() {
            func problem(_ field: String, _ code: String, _ message: String) {
                problems.append(.init(index: index, field: "lines[\(index)].\(field)", code: code,
                                      message: "Line \(index + 1): \(message)"))
            }
            var product: Product?
            if let reference = input.product.map({ String($0.trimmed) }), !reference.isEmpty {
                do {
                    product = try await catalog.product(reference, by: actor)
                    if product?.archived == true { problem("product", "sales.line.product_archived", "product \(reference) is archived") }
                } catch let error as DomainError where error.kind == .notFound {
                    problem("product", "sales.line.product_unknown", "there is no product '\(reference)'")
                }
            }
            let description = input.description.nonBlank ?? product?.name
            if description == nil || description!.count > 500 {
                problem("description", "sales.line.description_invalid", "a line has a description of 1 to 500 characters")
            }
            var quantity: Decimal = 1
            if let text = input.quantity.map({ String($0.trimmed) }), !text.isEmpty {
                do throws(DomainError) {
                    quantity = try Decimals.parse(text, field: "lines[\(index)].quantity")
                    try DocumentRules.checkNumber(quantity, positive: true, max: DocumentRules.quantityMax,
                                                  field: "lines[\(index)].quantity", what: "quantity")
                } catch { problem("quantity", error.code, error.message) }
            }
            var unitPrice: Decimal?
            if let text = input.unitPrice.map({ String($0.trimmed) }), !text.isEmpty {
                do throws(DomainError) {
                    let value = try Decimals.parse(text, field: "lines[\(index)].unitPrice")
                    try DocumentRules.checkNumber(value, positive: false, max: DocumentRules.unitPriceMax,
                                                  field: "lines[\(index)].unitPrice", what: "unit price")
                    unitPrice = value
                } catch { problem("unitPrice", error.code, error.message) }
            } else if let product {
                unitPrice = product.prices[currency.code]
                if unitPrice == nil {
                    problem("unitPrice", "sales.line.price_missing",
                            "product \(product.sku) has no \(currency.code) price; give a unit price")
                }
            } else {
                problem("unitPrice", "sales.line.price_missing", "give a unit price or a product")
            }
            var taxCode: TaxCode?
            if let code = (input.taxCode ?? product?.taxCode).map({ String($0.trimmed) }), !code.isEmpty {
                taxCode = books.taxCodes[code]
                if taxCode == nil { problem("taxCode", "ledger.tax_code.unknown", "there is no tax code '\(code)'") }
                if taxCode?.archived == true { problem("taxCode", "ledger.tax_code.archived", "tax code \(code) is archived") }
            }
            var account: Account?
            if let reference = (input.account ?? product?.incomeAccount).map({ String($0.trimmed) }), !reference.isEmpty {
                account = books.account(reference)
                if account == nil { problem("account", "ledger.account.unknown", "there is no account '\(reference)'") }
            } else {
                account = books.accounts.filter { $0.type == .income && !$0.isHeader && !$0.archived }
                    .min { $0.code < $1.code }
                if account == nil { problem("account", "sales.line.account_missing", "give the line an income account") }
            }
            if let found = account, found.isHeader || found.archived || !(found.type == .income || found.type == .liability) {
                problem("account", "sales.line.account_invalid",
                        "account \(found.code) is not an active, postable income (or deferred revenue) account")
            }
            if let description, let unitPrice, let account {
                priced.append(PricedLine(sku: product?.sku, description: description, quantity: quantity,
                                         unitPrice: unitPrice, taxCode: taxCode, account: account.code,
                                         dimensions: input.dimensions ?? [:]))
            }
        }
        guard problems.isEmpty else {
            throw DomainError(.invalid, "sales.lines.invalid", problems[0].message, field: problems[0].field, items: problems)
        }
        return priced
    }

    static func terms(_ text: String?, default fallback: PaymentTerms) throws(DomainError) -> PaymentTerms {
        guard let text = text.map({ String($0.trimmed) }), !text.isEmpty else { return fallback }
        return try PaymentTerms.parse(text)
    }

    static func optionalText(_ text: String?, field: String, max: Int) throws(DomainError) -> String? {
        guard let text = text.map({ String($0.trimmed) }), !text.isEmpty else { return nil }
        guard text.count <= max else {
            throw .invalid("sales.\(field)_too_long", "\(field) has at most \(max) characters", field: field)
        }
        return text
    }
}
