import Foundation
import Kernel

/// Who may see which employee, and which field groups of them. Pure, and the one place the rule lives: lists,
/// detail pages, the API and CSV exports all ask it.
///
/// - `people:read` sees every employee's record without field groups.
/// - Field groups come only from explicit grants: hr has personal, bank, pay and cases; payroll pay and bank.
///   admin and auditor have none unless also given hr or payroll.
/// - Everyone sees their own record with personal, bank and pay (not cases: those are HR's).
/// - A manager (a user linked to an employee with reports) sees the reports below them, without field groups.
public struct PeopleViewer: Sendable, Equatable {
    public let principal: Principal
    /// The employee linked to the viewer's user, if any.
    public let employeeID: String?
    /// Everyone below that employee in the manager hierarchy today.
    public let reports: Set<String>

    public init(principal: Principal, employeeID: String?, reports: Set<String>) {
        self.principal = principal
        self.employeeID = employeeID
        self.reports = reports
    }

    public var readsAll: Bool { principal.can(Permission("people", .read)) }
    public var isManager: Bool { !reports.isEmpty }

    /// Field groups granted by role, whoever the employee is.
    public var grantedGroups: Set<FieldGroup> {
        var groups: Set<FieldGroup> = []
        if principal.can(Permission.personalFields) { groups.insert(.personal) }
        if principal.can(Permission.bankFields) { groups.insert(.bank) }
        if principal.can(Permission.payFields) { groups.insert(.pay) }
        if principal.can(Permission.caseFields) { groups.insert(.cases) }
        return groups
    }

    public func isSelf(_ employeeID: String) -> Bool { self.employeeID == employeeID }

    /// Whom a viewer without `people:read` may see: themselves and their reports.
    public var ownAndReports: [String] { [employeeID].compactMap { $0 } + reports }

    /// Whether the viewer may see that the employee exists and read their record.
    public func canSee(_ employeeID: String) -> Bool {
        readsAll || isSelf(employeeID) || reports.contains(employeeID)
    }

    /// The field groups the viewer sees on that employee's record.
    public func groups(of employeeID: String) -> Set<FieldGroup> {
        guard canSee(employeeID) else { return [] }
        var groups = grantedGroups
        if isSelf(employeeID) { groups.formUnion([.personal, .bank, .pay]) }
        return groups
    }

    /// Whether the viewer may approve for that employee (leave, timesheets): their manager, never themselves, or
    /// someone with `people:approve` (hr) for anyone but themselves.
    public func canApprove(for employeeID: String) -> Bool {
        guard !isSelf(employeeID) else { return false }
        return reports.contains(employeeID) || principal.can(Permission("people", .approve))
    }

    /// The employee with every group the viewer lacks removed.
    public func redacted(_ employee: Employee) -> Employee {
        let visible = groups(of: employee.id)
        var result = employee
        if !visible.contains(.personal) { result.personal = nil }
        if !visible.contains(.bank) { result.bank = nil }
        if !visible.contains(.pay), var assignment = result.assignment {
            assignment.salary = nil
            assignment.currency = nil
            assignment.payFrequency = nil
            result.assignment = assignment
        }
        result.hidden = FieldGroup.allCases.filter { !visible.contains($0) }
        return result
    }

    public func redacted(_ history: [Assignment], of employeeID: String) -> [Assignment] {
        guard !groups(of: employeeID).contains(.pay) else { return history }
        return history.map { row in
            var row = row
            row.salary = nil
            row.currency = nil
            row.payFrequency = nil
            return row
        }
    }
}
