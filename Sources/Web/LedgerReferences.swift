import Catalog
import Parties
import Sales
import Fluent
import Kernel
import Ledger
import Platform

/// The catalog's references into the ledger, checked through the ledger's public face: an income account must be
/// a postable, active income account; a tax code must exist and not be archived.
public struct LedgerReferences: ProductReferences {
    let db: any Database
    let context: PlatformContext

    public init(db: any Database, context: PlatformContext) {
        self.db = db
        self.context = context
    }

    public func problems(incomeAccount: String?, taxCode: String?) async throws -> [DomainError.Item] {
        var problems: [DomainError.Item] = []
        let ledger = LedgerService(db: db, context: context)
        if let incomeAccount {
            let account = try await ledger.accounts().first { $0.code == incomeAccount || $0.fullName == incomeAccount }
            if let account {
                if account.isHeader || account.archived || account.type != .income {
                    problems.append(.init(field: "incomeAccount", code: "catalog.product.income_account_invalid",
                                          message: "Account \(account.code) is not an active, postable income account"))
                }
            } else {
                problems.append(.init(field: "incomeAccount", code: "ledger.account.unknown",
                                      message: "There is no account '\(incomeAccount)'"))
            }
        }
        if let taxCode {
            let code = try await ledger.taxCodes().first { $0.code == taxCode }
            if code == nil || code?.archived == true {
                problems.append(.init(field: "taxCode", code: code == nil ? "ledger.tax_code.unknown" : "ledger.tax_code.archived",
                                      message: code == nil ? "There is no tax code '\(taxCode)'" : "Tax code \(taxCode) is archived"))
            }
        }
        return problems
    }
}

/// Ledger lines that name a partner, for `PartiesService.merge`: any posted line blocks it; nothing moves.
public struct LedgerPartnerDocuments: PartnerDocuments {
    let context: PlatformContext

    public init(context: PlatformContext) { self.context = context }

    public func posted(_ partner: Partner, on db: any Database) async throws -> [String] {
        let count = try await LedgerService(db: db, context: context).lineCount(partner: partner.code)
        return count == 0 ? [] : ["\(count) ledger line\(count == 1 ? "" : "s")"]
    }

    public func reassign(from duplicate: Partner, to survivor: Partner, on db: any Database) async throws -> Int { 0 }
}

extension PartiesService {
    /// Every area's view of a partner's documents, as the merge needs them.
    public static func documents(_ context: PlatformContext) -> [any PartnerDocuments] {
        [SalesPartnerDocuments(), LedgerPartnerDocuments(context: context)]
    }
}
