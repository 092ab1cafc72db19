import Crypto
import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// The Ledger's public face: company, chart, posting, periods and reports. Only this area writes ledger rows.
public struct LedgerService: Sendable {
    public let db: any Database
    public let context: PlatformContext

    public init(db: any Database, context: PlatformContext) {
        self.db = db
        self.context = context
    }

    // MARK: Company

    /// The company, read once per process: its row is written once, at set-up, and never changed (its details
    /// live in settings), while every posting and report asks for it.
    public func company() async throws -> Company? {
        let db = db
        return try await context.settled.value("ledger.company", keep: !db.inTransaction) {
            try await Self.company(on: db)
        }
    }

    /// The company, or `ledger.company.missing` (409) before it is set up.
    public func requireCompany() async throws -> Company {
        guard let company = try await company() else { throw Self.companyMissing }
        return company
    }

    static let companyMissing = DomainError(.conflict, "ledger.company.missing",
                                            "Set the company up first (keel company init, or the setup page)")

    /// Read as a plain row (measured: Fluent's reflective model decoding was 2 % of a server under single-entry
    /// posting load).
    static func company(on db: any Database) async throws -> Company? {
        guard let row = try await db.sql.select().columns("name", "currency", "time_zone", "fiscal_year_start_month")
            .from(CompanyModel.schema).where("id", .equal, 1).first(),
              let currency = Currency(code: try row.decode(column: "currency", as: String.self)) else {
            return nil
        }
        return Company(name: try row.decode(column: "name", as: String.self), currency: currency,
                       timeZone: try row.decode(column: "time_zone", as: String.self),
                       fiscalYearStartMonth: try row.decode(column: "fiscal_year_start_month", as: Int.self))
    }

    /// Sets the company up once and loads the standard chart of accounts.
    public func setUpCompany(name: String, currency code: String, fiscalYearStartMonth: Int = 1,
                             timeZone: String = "UTC", by actor: Principal) async throws -> Company {
        try require(actor, Permission("settings", .admin))
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...200).contains(trimmed.count) else {
            throw DomainError.invalid("ledger.company.name_invalid", "A company name has 1 to 200 characters", field: "name")
        }
        let currency = try Currency.parse(code)
        guard (1...12).contains(fiscalYearStartMonth) else {
            throw DomainError.invalid("ledger.company.fiscal_month_invalid", "The fiscal year starts in month 1 to 12",
                                      field: "fiscalYearStartMonth")
        }
        guard TimeZone(identifier: timeZone) != nil else {
            throw DomainError.invalid("ledger.company.time_zone_invalid",
                                      "'\(timeZone)' is not a time zone like Europe/Berlin", field: "timeZone")
        }
        let company = Company(name: trimmed, currency: currency, timeZone: timeZone,
                              fiscalYearStartMonth: fiscalYearStartMonth)
        try await writeTransaction(db) { tx in
            if try await CompanyModel.find(1, on: tx) != nil {
                throw DomainError.conflict("ledger.company.exists", "The company is already set up")
            }
            let row = CompanyModel()
            row.id = 1
            row.name = company.name
            row.currency = currency.code
            row.timeZone = timeZone
            row.fiscalYearStartMonth = fiscalYearStartMonth
            try await row.create(on: tx)
            var ids: [String: UUID] = [:]
            for chartRow in StandardChart.rows {
                let parent = chartRow.fullName.split(separator: ":").dropLast().joined(separator: ":")
                let model = AccountModel.make(code: chartRow.code, fullName: chartRow.fullName, type: chartRow.type,
                                              subtype: chartRow.subtype, parentID: ids[parent],
                                              isHeader: chartRow.isHeader, currency: nil)
                try await model.create(on: tx)
                ids[chartRow.fullName] = model.id
            }
            try await Settings.set("company.name", company.name, on: tx)
            // Areas that may not read the ledger (People) take the time zone and currency from settings.
            try await Settings.set("company.time_zone", timeZone, on: tx)
            try await Settings.set("company.currency", currency.code, on: tx)
            try await context.audit(tx, actor, "ledger.company.setup", entity: "company", id: "1",
                                    before: nil as Company?, after: company)
        }
        return company
    }

    // MARK: Accounts

    public func accounts(includeArchived: Bool = true) async throws -> [Account] {
        try await Self.accounts(on: db, includeArchived: includeArchived)
    }

    /// The chart by code, read as plain rows: decoding Fluent models (by reflection) was the largest single cost of
    /// an HTTP posting. `named`: only the accounts whose code or full name is in the set, which is all a posting
    /// reads, so its cost does not grow with the chart.
    static func accounts(on db: any Database, includeArchived: Bool = true,
                         named: Set<String>? = nil) async throws -> [Account] {
        guard let named else { return try await accounts(on: db, includeArchived: includeArchived, among: nil) }
        var found: [String: Account] = [:]
        for chunk in named.sorted().chunked(500) {
            for account in try await accounts(on: db, includeArchived: includeArchived, among: Array(chunk)) {
                found[account.id] = account
            }
        }
        return found.values.sorted { $0.code < $1.code }
    }

    private static func accounts(on db: any Database, includeArchived: Bool,
                                 among names: [String]?) async throws -> [Account] {
        var query = db.sql.select()
            .columns("id", "code", "name", "full_name", "type", "subtype", "parent_id", "is_header", "archived", "currency")
            .from(AccountModel.schema)
        if let names {
            query = query.where { $0.where(SQLIdentifier("code"), .in, SQLBind.group(names))
                .orWhere(SQLIdentifier("full_name"), .in, SQLBind.group(names)) }
        }
        if !includeArchived { query = query.where("archived", .equal, false) }
        return try await query.orderBy("code").all().map { row in
            Account(id: try row.decode(column: "id", as: UUID.self).lowercaseText,
                    code: try row.decode(column: "code", as: String.self),
                    name: try row.decode(column: "name", as: String.self),
                    fullName: try row.decode(column: "full_name", as: String.self),
                    type: AccountType(rawValue: try row.decode(column: "type", as: String.self)) ?? .asset,
                    subtype: AccountSubtype(rawValue: try row.decode(column: "subtype", as: String.self)) ?? .none,
                    parentID: try row.decode(column: "parent_id", as: UUID?.self)?.lowercaseText,
                    isHeader: try row.decode(column: "is_header", as: Bool.self),
                    archived: try row.decode(column: "archived", as: Bool.self),
                    currency: try row.decode(column: "currency", as: String?.self).flatMap(Currency.init(code:)))
        }
    }

    /// Adds an account under an existing header, named by its full path ("Expenses:Marketing").
    public func createAccount(code: String, fullName: String, subtype: AccountSubtype = .none, isHeader: Bool = false,
                              currency: String? = nil, by actor: Principal) async throws -> Account {
        try require(actor, Permission("ledger", .admin))
        let code = code.trimmingCharacters(in: .whitespaces)
        guard !code.isEmpty, code.count <= 20, code.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }) else {
            throw DomainError.invalid("ledger.account.code_invalid", "A code has 1 to 20 letters, digits, '-' or '.'",
                                      field: "code")
        }
        let path = try AccountNames.parse(fullName)
        let restriction = try currency.flatMap { $0.isEmpty ? nil : try Currency.parse($0) }
        return try await writeTransaction(db) { tx in
            let existing = try await AccountModel.query(on: tx).group(.or) {
                $0.filter(\.$code == code).filter(\.$fullName == path.fullName)
            }.first()
            if let existing {
                throw DomainError.conflict("ledger.account.exists",
                                           "An account with code \(existing.code) or name \(existing.fullName) exists",
                                           field: existing.code == code ? "code" : "fullName")
            }
            guard let parent = try await AccountModel.query(on: tx).filter(\.$fullName == path.parent).first(),
                  parent.isHeader else {
                throw DomainError.invalid("ledger.account.parent_missing",
                                          "'\(path.parent)' is not a header account to put '\(path.name)' under",
                                          field: "fullName")
            }
            let model = AccountModel.make(code: code, fullName: path.fullName, type: path.type, subtype: subtype,
                                          parentID: parent.id, isHeader: isHeader, currency: restriction)
            try await model.create(on: tx)
            try await context.audit(tx, actor, "ledger.account.create", entity: "account", id: model.id!.uuidString,
                                    before: nil as Account?, after: model.account)
            return model.account
        }
    }

    /// Archives an account: it keeps its history but takes no new postings.
    public func archiveAccount(code: String, by actor: Principal) async throws -> Account {
        try require(actor, Permission("ledger", .admin))
        return try await writeTransaction(db) { tx in
            guard let model = try await AccountModel.query(on: tx).filter(\.$code == code).first() else {
                throw DomainError.notFound("ledger.account.unknown", "There is no account '\(code)'")
            }
            let before = model.account
            model.archived = true
            try await model.save(on: tx)
            try await context.audit(tx, actor, "ledger.account.archive", entity: "account", id: before.id,
                                    before: before, after: model.account)
            return model.account
        }
    }

    // MARK: Rates

    /// Records the rate of `currency` in functional currency on a date (replacing one on the same date).
    public func setRate(_ currencyCode: String, on date: CivilDate, rate text: String, by actor: Principal) async throws {
        try require(actor, Permission("ledger", .write))
        let currency = try Currency.parse(currencyCode)
        let rate = try Decimals.parse(text, field: "rate")
        guard rate > 0 else { throw DomainError.invalid("ledger.rate.invalid", "A rate is positive", field: "rate") }
        try await writeTransaction(db) { tx in
            try await RateModel.query(on: tx).filter(\.$currency == currency.code).filter(\.$date == date.description).delete()
            let row = RateModel()
            row.id = UUID.v7()
            row.currency = currency.code
            row.date = date.description
            row.rate = "\(rate)"
            try await row.create(on: tx)
            try await context.audit(tx, actor, "ledger.rate.set", entity: "rate", id: "\(currency.code)@\(date)",
                                    before: nil as String?, after: "\(rate)")
        }
    }
}

extension AccountModel {
    static func make(code: String, fullName: String, type: AccountType, subtype: AccountSubtype, parentID: UUID?,
                     isHeader: Bool, currency: Currency?) -> AccountModel {
        let model = AccountModel()
        model.id = UUID.v7()
        model.code = code
        model.name = String(fullName.split(separator: ":").last ?? Substring(fullName))
        model.fullName = fullName
        model.type = type.rawValue
        model.subtype = subtype.rawValue
        model.parentID = parentID
        model.isHeader = isHeader
        model.archived = false
        model.currency = currency?.code
        return model
    }

    var account: Account {
        Account(id: id!.lowercaseText, code: code, name: name, fullName: fullName,
                type: AccountType(rawValue: type) ?? .asset, subtype: AccountSubtype(rawValue: subtype) ?? .none,
                parentID: parentID?.lowercaseText, isHeader: isHeader, archived: archived,
                currency: currency.flatMap(Currency.init(code:)))
    }
}

/// Account paths as plain-text ledgers write them: "Assets:Current Assets:Bank".
public enum AccountNames {
    public struct Path: Sendable {
        public let fullName: String
        public let name: String
        public let parent: String
        public let type: AccountType
    }

    public static func parse(_ text: String, field: String = "fullName") throws(DomainError) -> Path {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 100 }),
              !text.contains("  "), !text.contains("\t"), !text.contains(";") else {
            throw .invalid("ledger.account.name_invalid",
                           "'\(text)' is not an account path like Expenses:Marketing (names separated by ':')",
                           field: field)
        }
        guard let type = AccountType(rootName: parts[0]) else {
            throw .invalid("ledger.account.root_unknown",
                           "'\(parts[0])' is not Assets, Liabilities, Equity, Income (or Revenue) or Expenses",
                           field: field)
        }
        return Path(fullName: parts.joined(separator: ":"), name: parts.last!,
                    parent: parts.dropLast().joined(separator: ":"), type: type)
    }
}
