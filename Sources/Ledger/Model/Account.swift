import Kernel

/// The five kinds of account; their sign convention decides how balances read in statements.
public enum AccountType: String, Sendable, Codable, CaseIterable {
    case asset, liability, equity, income, expense

    /// Assets and expenses normally carry debit balances; the others credit balances.
    public var isDebitNormal: Bool { self == .asset || self == .expense }

    /// The top-level name a plain-text ledger uses for this type.
    public var rootName: String {
        switch self {
        case .asset: "Assets"
        case .liability: "Liabilities"
        case .equity: "Equity"
        case .income: "Income"
        case .expense: "Expenses"
        }
    }

    /// Reads a plain-text ledger's top-level name (Assets, Liabilities, Equity, Income/Revenue, Expenses).
    public init?(rootName: String) {
        switch rootName.lowercased() {
        case "assets", "asset": self = .asset
        case "liabilities", "liability": self = .liability
        case "equity": self = .equity
        case "income", "revenue", "revenues": self = .income
        case "expenses", "expense": self = .expense
        default: return nil
        }
    }
}

/// What an account is for, beyond its type: other areas find their accounts by subtype.
public enum AccountSubtype: String, Sendable, Codable, CaseIterable {
    case none, cash, bank, receivable, payable, tax, inventory, fixedAsset = "fixed_asset"
    case accumulatedDepreciation = "accumulated_depreciation", retainedEarnings = "retained_earnings"
    case openingBalances = "opening_balances", exchangeDifferences = "exchange_differences"
    /// Borrowing: the cash-flow statement shows its changes under financing, not operating.
    case loan
}

/// An account of the chart, as other areas and the pages see it.
public struct Account: Sendable, Codable, Equatable, Hashable {
    public let id: String
    public let code: String
    /// Its own name, e.g. "Bank".
    public let name: String
    /// The colon-separated path, e.g. "Assets:Current Assets:Bank"; unique, and the name plain-text ledgers use.
    public let fullName: String
    public let type: AccountType
    public let subtype: AccountSubtype
    public let parentID: String?
    /// Header accounts group others and take no postings.
    public let isHeader: Bool
    public let archived: Bool
    /// When set, postings to this account must be in this currency.
    public let currency: Currency?
}

extension AccountSubtype {
    /// Reads a subtype name; nothing or "" is `.none`.
    public static func parse(_ text: String?, field: String = "subtype") throws(DomainError) -> AccountSubtype {
        guard let text, !text.isEmpty else { return .none }
        guard let subtype = AccountSubtype(rawValue: text) else {
            throw .invalid("ledger.account.subtype_unknown",
                           "'\(text)' is not a subtype; use one of \(allCases.map(\.rawValue).joined(separator: ", "))",
                           field: field)
        }
        return subtype
    }
}
