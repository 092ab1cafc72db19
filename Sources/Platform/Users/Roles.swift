import Kernel

/// The roles every Keel database starts with. A role grants permissions per area and action;
/// field groups (personal, bank, pay, cases) are granted explicitly and only to hr and payroll.
public enum Roles {
    public struct Definition: Sendable {
        public let name: String
        public let summary: String
        public let permissions: Set<Permission>
    }

    static func grant(_ areas: [String], _ actions: [Permission.Action]) -> Set<Permission> {
        Set(areas.flatMap { area in actions.map { Permission(area, $0) } })
    }

    static let businessAreas = Permission.areas.filter { !["users", "audit", "tokens", "settings"].contains($0) }

    public static let seeded: [Definition] = [
        Definition(name: "admin", summary: "Administers users, roles, tokens and settings; full access to every area",
                   permissions: Set(Permission.all)),
        Definition(name: "accountant", summary: "Keeps the books: ledger, sales, purchasing, banking, inventory",
                   permissions: grant(["ledger", "sales", "purchasing", "banking", "inventory"],
                                      [.read, .write, .approve])
                    .union(grant(["assets", "payroll"], [.read]))),
        Definition(name: "hr", summary: "Human resources: people records with personal, bank, pay and case data",
                   permissions: grant(["people"], [.read, .write, .approve])
                    .union([Permission.personalFields, Permission.bankFields, Permission.payFields,
                            Permission.caseFields])),
        Definition(name: "payroll", summary: "Runs payroll; sees pay and bank data",
                   permissions: grant(["payroll"], [.read, .write, .approve]).union(grant(["people"], [.read]))
                    .union([Permission.payFields, Permission.bankFields])),
        Definition(name: "it", summary: "IT: assets, licences, helpdesk and access",
                   permissions: grant(["assets", "servicedesk"], [.read, .write, .approve])
                    .union(grant(["people"], [.read]))),
        Definition(name: "facilities", summary: "Facilities: sites, equipment and maintenance",
                   permissions: grant(["assets", "servicedesk"], [.read, .write, .approve])),
        Definition(name: "compliance", summary: "Compliance: obligations, policies, risks, controls; reads the audit log",
                   permissions: grant(["governance"], [.read, .write, .approve])
                    .union(grant(businessAreas, [.read])).union([Permission("audit", .read)])),
        Definition(name: "employee", summary: "Self-service: own profile, requests and tokens", permissions: []),
        Definition(name: "auditor", summary: "Reads every area and the audit log; no personal data fields",
                   permissions: grant(Permission.areas, [.read])),
    ]

    public static var names: [String] { seeded.map(\.name) }
}
