/// Who acts: a signed-in user (by session or API token) or the system itself (jobs, the CLI's own work).
public struct Principal: Sendable, Hashable, CustomStringConvertible {
    public let userID: String?
    public let username: String
    public let roles: Set<String>
    public let permissions: Set<Permission>
    /// Scopes of the API token used, if any; `nil` for sessions and the system.
    public let tokenScopes: Set<String>?

    public init(userID: String?, username: String, roles: Set<String>, permissions: Set<Permission>,
                tokenScopes: Set<String>? = nil) {
        self.userID = userID
        self.username = username
        self.roles = roles
        self.permissions = permissions
        self.tokenScopes = tokenScopes
    }

    /// The system acting on its own behalf (migrations, jobs, the CLI run by the operator).
    public static let system = Principal(userID: nil, username: "system", roles: ["system"],
                                         permissions: Set(Permission.all))

    public func can(_ permission: Permission) -> Bool {
        guard permissions.contains(permission) else { return false }
        guard let scopes = tokenScopes else { return true }
        return scopes.contains(permission.description) || scopes.contains("\(permission.area):*")
            || scopes.contains("*")
    }

    public var description: String { username }
}

/// A permission: an action on an area ("platform.users:admin", "ledger:write").
public struct Permission: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Action: String, Sendable, CaseIterable { case read, write, approve, admin }

    public let area: String
    public let action: Action

    public init(_ area: String, _ action: Action) {
        self.area = area
        self.action = action
    }

    /// Parses "area:action".
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let action = Action(rawValue: String(parts[1])) else { return nil }
        self.init(String(parts[0]), action)
    }

    public var description: String { "\(area):\(action.rawValue)" }

    public static func < (lhs: Permission, rhs: Permission) -> Bool { lhs.description < rhs.description }

    /// The areas that exist so far; later areas add theirs here.
    public static let areas = ["users", "audit", "tokens", "settings", "ledger", "sales", "purchasing", "banking",
                               "inventory", "people", "payroll", "assets", "servicedesk", "governance"]

    public static var all: [Permission] {
        areas.flatMap { area in Action.allCases.map { Permission(area, $0) } }
    }

    /// Field groups: sensitive data seen only with an explicit grant, whatever else one may read.
    public static let personalFields = Permission("fields.personal", .read)
    public static let bankFields = Permission("fields.bank", .read)
    public static let payFields = Permission("fields.pay", .read)
    public static let caseFields = Permission("fields.cases", .read)
}
