import Fluent
import Foundation

// The Ledger's own tables. Only the Ledger writes them; other areas call LedgerService.

final class CompanyModel: Model, @unchecked Sendable {
    static let schema = "ledger_company"
    @ID(custom: "id", generatedBy: .user) var id: Int?
    @Field(key: "name") var name: String
    @Field(key: "currency") var currency: String
    @Field(key: "time_zone") var timeZone: String
    @Field(key: "fiscal_year_start_month") var fiscalYearStartMonth: Int
    init() {}
}

final class AccountModel: Model, @unchecked Sendable {
    static let schema = "ledger_accounts"
    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "full_name") var fullName: String
    @Field(key: "type") var type: String
    @Field(key: "subtype") var subtype: String
    @OptionalField(key: "parent_id") var parentID: UUID?
    @Field(key: "is_header") var isHeader: Bool
    @Field(key: "archived") var archived: Bool
    @OptionalField(key: "currency") var currency: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    init() {}
}

final class PeriodModel: Model, @unchecked Sendable {
    static let schema = "ledger_periods"
    @ID(key: .id) var id: UUID?
    /// YYYY-MM of the month.
    @Field(key: "month") var month: String
    @Field(key: "state") var state: String
    @OptionalField(key: "reason") var reason: String?
    init() {}
}

final class JournalModel: Model, @unchecked Sendable {
    static let schema = "ledger_journals"
    @ID(custom: "code", generatedBy: .user) var id: String?
    @Field(key: "name") var name: String
    init() {}
}

final class RateModel: Model, @unchecked Sendable {
    static let schema = "ledger_rates"
    @ID(key: .id) var id: UUID?
    @Field(key: "currency") var currency: String
    @Field(key: "date") var date: String
    /// Units of functional currency per unit of `currency`, as exact decimal text.
    @Field(key: "rate") var rate: String
    init() {}
}

/// An entry being prepared: not numbered, not in any balance, editable until it is posted or deleted.
final class DraftModel: Model, @unchecked Sendable {
    static let schema = "ledger_drafts"
    @ID(key: .id) var id: UUID?
    @Field(key: "date") var date: String
    @Field(key: "memo") var memo: String
    /// The proposed entry as JSON.
    @Field(key: "entry") var entry: String
    @Field(key: "created_by") var createdBy: String
    @Field(key: "updated_by") var updatedBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    init() {}
}
