import Foundation
import Kernel

/// Effective-dated history and the manager hierarchy. Pure.
public enum OrgRules {
    /// The row in force on `day`: the latest whose effective date is on or before it.
    public static func assignment(asOf day: CivilDate, in history: [Assignment]) -> Assignment? {
        history.filter { $0.effectiveDate <= day }.max { $0.effectiveDate < $1.effectiveDate }
    }

    /// Everyone below `managerID` (direct and indirect reports) given each employee's manager.
    public static func reports(of managerID: String, managers: [String: String]) -> Set<String> {
        var children: [String: [String]] = [:]
        for (employee, manager) in managers { children[manager, default: []].append(employee) }
        var result: Set<String> = []
        var queue = children[managerID] ?? []
        while let next = queue.popLast() {
            guard result.insert(next).inserted, next != managerID else { continue }
            queue += children[next] ?? []
        }
        result.remove(managerID)
        return result
    }

    /// Whether making `managerID` the manager of `employeeID` would close a loop (someone managing themselves,
    /// directly or through others).
    public static func wouldLoop(employeeID: String, managerID: String, managers: [String: String]) -> Bool {
        if employeeID == managerID { return true }
        return reports(of: employeeID, managers: managers).contains(managerID)
    }

    /// A department and everything under it in the department tree.
    public static func subtree(of departmentID: String, parents: [String: String]) -> Set<String> {
        var result: Set<String> = [departmentID]
        var changed = true
        while changed {
            changed = false
            for (child, parent) in parents where result.contains(parent) && !result.contains(child) {
                result.insert(child)
                changed = true
            }
        }
        return result
    }
}

/// The org chart as a picture: a tidy tree of boxes from the manager hierarchy. Pure layout; Web draws the SVG.
public enum OrgChart {
    public struct Node: Sendable, Equatable {
        public let id: String
        public let title: String
        public let subtitle: String
        public let managerID: String?

        public init(id: String, title: String, subtitle: String, managerID: String?) {
            self.id = id
            self.title = title
            self.subtitle = subtitle
            self.managerID = managerID
        }
    }

    public struct Placed: Sendable, Equatable {
        public let node: Node
        /// Column (in box widths, may be fractional for parents centred over children) and row (depth).
        public let x: Double
        public let y: Int
        /// Listed under its manager in the manager's column rather than side by side.
        public let stacked: Bool
    }

    /// How much a stacked report is indented, in box widths.
    public static let stackIndent = 0.08

    /// Roots are nodes whose manager is not among the nodes. Leaves take consecutive columns in name order and a
    /// parent sits centred over its first and last child, except that three or more reports who manage no one are
    /// listed one under the other in their manager's column, which keeps a wide team from making the chart wide.
    public static func layout(_ nodes: [Node]) -> [Placed] {
        let ids = Set(nodes.map(\.id))
        var children: [String: [Node]] = [:]
        var roots: [Node] = []
        for node in nodes.sorted(by: { ($0.title, $0.id) < ($1.title, $1.id) }) {
            if let manager = node.managerID, ids.contains(manager), manager != node.id {
                children[manager, default: []].append(node)
            } else {
                roots.append(node)
            }
        }
        var placed: [Placed] = []
        var nextColumn = 0.0
        var visiting: Set<String> = []
        func place(_ node: Node, depth: Int) -> Double {
            visiting.insert(node.id)
            let kids = (children[node.id] ?? []).filter { !visiting.contains($0.id) }
            let x: Double
            if kids.isEmpty {
                x = nextColumn
                nextColumn += 1
            } else if kids.count >= 3, kids.allSatisfy({ (children[$0.id] ?? []).isEmpty }) {
                x = nextColumn
                nextColumn += 1
                for (index, kid) in kids.enumerated() {
                    visiting.insert(kid.id)
                    placed.append(Placed(node: kid, x: x + stackIndent, y: depth + 1 + index, stacked: true))
                }
            } else {
                let columns = kids.map { place($0, depth: depth + 1) }
                x = (columns.first! + columns.last!) / 2
            }
            placed.append(Placed(node: node, x: x, y: depth, stacked: false))
            return x
        }
        for root in roots { _ = place(root, depth: 0) }
        return placed.sorted { ($0.y, $0.x) < ($1.y, $1.x) }
    }
}
