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

    func setPeriod(_ month: String, to state: PeriodState, reason: String?, by actor: Principal,
                   action: String) async throws -> PeriodInfo {
        guard month.count == 7, (try? CivilDate.parse(month + "-01")) != nil else {
            throw DomainError.invalid("ledger.period.invalid", "'\(month)' is not a month like 2026-03", field: "month")
        }
        return try await writeTransaction(db) { tx in
            let row = try await PeriodModel.query(on: tx).filter(\.$month == month).first() ?? {
                let fresh = PeriodModel()
                fresh.id = UUID.v7()
                fresh.month = month
                fresh.state = PeriodState.open.rawValue
                return fresh
            }()
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
