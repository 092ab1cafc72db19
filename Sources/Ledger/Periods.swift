import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// A month of the books and whether it takes postings.
public struct PeriodInfo: Sendable, Codable, Equatable {
    public let month: String
    public let state: PeriodState
    public let reason: String?
}

extension LedgerService {
    public func periods() async throws -> [PeriodInfo] {
        try await PeriodModel.query(on: db).sort(\.$month).all().map {
            PeriodInfo(month: $0.month, state: PeriodState(rawValue: $0.state) ?? .closed, reason: $0.reason)
        }
    }

    /// Closes a month (`YYYY-MM`): nothing can be posted into it afterwards, by anyone.
    public func closePeriod(_ month: String, by actor: Principal) async throws -> PeriodInfo {
        try require(actor, Permission("ledger", .approve))
        return try await setPeriod(month, to: .closed, reason: nil, by: actor, action: "ledger.period.close")
    }

    /// Reopens a closed month. Only an admin may, with a reason; the audit log keeps both.
    public func reopenPeriod(_ month: String, reason: String, by actor: Principal) async throws -> PeriodInfo {
        guard actor.roles.contains("admin") || actor.roles.contains("system") else {
            throw DomainError.forbidden("ledger.period.reopen_forbidden", "Only an admin may reopen a closed period")
        }
        let reason = reason.trimmingCharacters(in: .whitespaces)
        guard reason.count >= 5 else {
            throw DomainError.invalid("ledger.period.reason_required", "Say why the period is reopened", field: "reason")
        }
        return try await setPeriod(month, to: .open, reason: reason, by: actor, action: "ledger.period.reopen")
    }

    /// Locks a closed month for good: unlike a closed month, a locked one can never be reopened (after the audit,
    /// or once the tax return is filed).
    public func lockPeriod(_ month: String, by actor: Principal) async throws -> PeriodInfo {
        guard actor.roles.contains("admin") || actor.roles.contains("system") else {
            throw DomainError.forbidden("ledger.period.lock_forbidden", "Only an admin may lock a period")
        }
        if let row = try await PeriodModel.query(on: db).filter(\.$month == month).first(), row.state == PeriodState.open.rawValue {
            throw DomainError.conflict("ledger.period.not_closed", "Close \(month) before locking it")
        }
        return try await setPeriod(month, to: .locked, reason: nil, by: actor, action: "ledger.period.lock")
    }

    func setPeriod(_ month: String, to state: PeriodState, reason: String?, by actor: Principal,
                   action: String) async throws -> PeriodInfo {
        guard month.count == 7, (try? CivilDate.parse(month + "-01")) != nil else {
            throw DomainError.invalid("ledger.period.invalid", "'\(month)' is not a month like 2026-03", field: "month")
        }
        return try await writeTransaction(db) { tx in
            let row = try await PeriodModel.row(for: month, on: tx)
            let before = PeriodInfo(month: month, state: PeriodState(rawValue: row.state) ?? .open, reason: row.reason)
            if before.state == .locked {
                throw DomainError.conflict("ledger.period.locked", "\(month) is locked and cannot change")
            }
            if before.state == state {
                throw DomainError.conflict("ledger.period.unchanged", "\(month) is already \(state.rawValue)")
            }
            row.state = state.rawValue
            row.reason = reason
            try await row.save(on: tx)
            let after = PeriodInfo(month: month, state: state, reason: reason)
            try await context.audit(tx, actor, action, entity: "period", id: month, before: before, after: after)
            return after
        }
    }
}

/// What a year-end close did.
public struct YearEndClose: Sendable, Codable, Equatable {
    public let from: CivilDate
    public let to: CivilDate
    /// The closing entry (journal CLS), dated the last day of the year.
    public let entry: PostingResult
    /// The year's earnings moved to retained earnings, credit positive (a loss is negative).
    public let earnings: Int64
    /// The months this close closed (months already closed or locked are left as they are).
    public let monthsClosed: [String]
}

extension LedgerService {
    /// Closes a fiscal year: one entry in the closing journal, dated the year's last day, brings every income and
    /// expense balance (per account and currency) to zero against the retained-earnings account, then every month of
    /// the year is closed. Closing again after a late posting (once the months are reopened) moves only what is left.
    public func closeYear(endingOn end: CivilDate, by actor: Principal) async throws -> YearEndClose {
        try require(actor, Permission("ledger", .approve))
        let company = try await requireCompany()
        let year = company.fiscalYear(containing: end)
        guard year.end == end else {
            throw DomainError.invalid("ledger.year.end_invalid",
                                      "The fiscal year containing \(end) ends on \(year.end); close it on that date",
                                      field: "date")
        }
        return try await writeTransaction(db) { tx in
            let ledger = LedgerService(db: tx, context: context)
            let accounts = try await ledger.accounts()
            guard let retained = accounts.first(where: { $0.subtype == .retainedEarnings && !$0.isHeader && !$0.archived }) else {
                throw DomainError.conflict("ledger.year.retained_earnings_missing",
                                           "There is no active account of subtype retained_earnings to close into")
            }
            let byID = Dictionary(uniqueKeysWithValues: accounts.map { (UUID(uuidString: $0.id)!, $0) })
            var lines: [ProposedLine] = []
            var net: Int64 = 0
            let sums = try await ledger.balanceSums(asOf: end).compactMap { key, value -> (Account, String, Int64, Int64)? in
                guard let account = byID[key.account], account.type == .income || account.type == .expense else { return nil }
                return (account, key.currency, value.0, value.1)
            }.sorted { ($0.0.code, $0.1) < ($1.0.code, $1.1) }
            for (account, code, balance, functional) in sums where functional != 0 {
                net += functional
                // The line takes the balance out in its own currency when it has the functional amount's sign;
                // otherwise (a rounding residue) in functional currency.
                let foreign = Currency(code: code) ?? company.currency
                let sameSign = (balance > 0) == (functional > 0) && balance != 0
                let currency = sameSign ? foreign : company.currency
                let amount = sameSign ? abs(balance) : abs(functional)
                lines.append(ProposedLine(account: account.code, debit: functional < 0 ? amount : nil,
                                          credit: functional > 0 ? amount : nil, currency: currency,
                                          functionalAmount: currency == company.currency ? nil : abs(functional),
                                          memo: "Close \(account.fullName)"))
            }
            guard !lines.isEmpty else {
                throw DomainError.conflict("ledger.year.nothing_to_close",
                                           "Income and expense accounts have nothing to close for \(year.start)..\(end)")
            }
            if net != 0 {
                lines.append(ProposedLine(account: retained.code, debit: net > 0 ? net : nil, credit: net < 0 ? -net : nil,
                                          currency: company.currency, memo: "Earnings \(year.start)..\(end)"))
            }
            let entry = try await ledger.post(ProposedEntry(journal: "CLS", date: end,
                                                            memo: "Year-end close \(year.start)..\(end)", lines: lines),
                                              by: actor)
            var closed: [String] = []
            for month in year.months.map({ $0.start.monthText }) {
                let row = try await PeriodModel.row(for: month, on: tx)
                guard row.state == PeriodState.open.rawValue else { continue }
                row.state = PeriodState.closed.rawValue
                row.reason = nil
                try await row.save(on: tx)
                closed.append(month)
            }
            let result = YearEndClose(from: year.start, to: end, entry: entry, earnings: -net, monthsClosed: closed)
            try await context.audit(tx, actor, "ledger.year.close", entity: "fiscal_year", id: "\(year.start)..\(end)",
                                    before: nil as YearEndClose?, after: result)
            return result
        }
    }
}

extension PeriodModel {
    /// The month's row, or a new open one (not yet saved) for a month nothing has been posted into.
    static func row(for month: String, on db: any Database) async throws -> PeriodModel {
        if let row = try await PeriodModel.query(on: db).filter(\.$month == month).first() { return row }
        let fresh = PeriodModel()
        fresh.id = UUID.v7()
        fresh.month = month
        fresh.state = PeriodState.open.rawValue
        return fresh
    }
}
