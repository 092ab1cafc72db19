/// The standard small-business chart loaded when a company is set up. Codes group by type
/// (1 assets, 2 liabilities, 3 equity, 4 income, 5-7 expenses); names nest with ":" as in plain-text ledgers.
public enum StandardChart {
    public struct Row: Sendable {
        public let code: String
        public let fullName: String
        public let type: AccountType
        public let subtype: AccountSubtype
        public let isHeader: Bool
    }

    static func header(_ code: String, _ name: String, _ type: AccountType) -> Row {
        Row(code: code, fullName: name, type: type, subtype: .none, isHeader: true)
    }

    static func account(_ code: String, _ name: String, _ type: AccountType, _ subtype: AccountSubtype = .none) -> Row {
        Row(code: code, fullName: name, type: type, subtype: subtype, isHeader: false)
    }

    /// Parents come before their children.
    public static let rows: [Row] = [
        header("1", "Assets", .asset),
        header("10", "Assets:Current Assets", .asset),
        account("1000", "Assets:Current Assets:Cash", .asset, .cash),
        account("1010", "Assets:Current Assets:Bank", .asset, .bank),
        account("1100", "Assets:Current Assets:Accounts Receivable", .asset, .receivable),
        account("1200", "Assets:Current Assets:Inventory", .asset, .inventory),
        account("1300", "Assets:Current Assets:VAT Receivable", .asset, .tax),
        account("1400", "Assets:Current Assets:Prepaid Expenses", .asset),
        header("15", "Assets:Fixed Assets", .asset),
        account("1500", "Assets:Fixed Assets:Equipment", .asset, .fixedAsset),
        account("1510", "Assets:Fixed Assets:Vehicles", .asset, .fixedAsset),
        account("1590", "Assets:Fixed Assets:Accumulated Depreciation", .asset, .accumulatedDepreciation),
        header("2", "Liabilities", .liability),
        account("2000", "Liabilities:Accounts Payable", .liability, .payable),
        account("2100", "Liabilities:VAT Payable", .liability, .tax),
        account("2200", "Liabilities:Payroll Liabilities", .liability),
        account("2300", "Liabilities:Accrued Liabilities", .liability),
        account("2500", "Liabilities:Loans", .liability, .loan),
        header("3", "Equity", .equity),
        account("3000", "Equity:Owner's Capital", .equity),
        account("3100", "Equity:Retained Earnings", .equity, .retainedEarnings),
        account("3900", "Equity:Opening Balances", .equity, .openingBalances),
        header("4", "Income", .income),
        account("4000", "Income:Sales", .income),
        account("4100", "Income:Services", .income),
        account("4900", "Income:Other Income", .income),
        account("4950", "Income:Exchange Gains", .income, .exchangeDifferences),
        header("5", "Expenses", .expense),
        account("5000", "Expenses:Cost of Goods Sold", .expense),
        account("6000", "Expenses:Salaries and Wages", .expense),
        account("6050", "Expenses:Payroll Taxes", .expense),
        account("6100", "Expenses:Rent", .expense),
        account("6200", "Expenses:Utilities", .expense),
        account("6300", "Expenses:Office Supplies", .expense),
        account("6400", "Expenses:Software and Subscriptions", .expense),
        account("6500", "Expenses:Travel", .expense),
        account("6600", "Expenses:Professional Fees", .expense),
        account("6700", "Expenses:Bank Fees", .expense),
        account("6800", "Expenses:Depreciation", .expense),
        account("6950", "Expenses:Exchange Losses", .expense, .exchangeDifferences),
    ]
}
