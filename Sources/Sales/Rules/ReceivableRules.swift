import Foundation
import Kernel
import Parties

/// An item that can take part of a payment: an open invoice (or a refund waiting for credit).
public struct OpenItem: Sendable, Equatable {
    public let id: String
    public let dueDate: CivilDate
    public let issueDate: CivilDate
    public let number: String
    public let open: Int64

    public init(id: String, dueDate: CivilDate, issueDate: CivilDate, number: String, open: Int64) {
        self.id = id
        self.dueDate = dueDate
        self.issueDate = issueDate
        self.number = number
        self.open = open
    }
}

/// Allocation and aging: pure rules over amounts and dates.
public enum ReceivableRules {
    /// Shares `amount` out over the items, oldest due first (then oldest issued, then by number), each up to what is
    /// open on it. Returns (item id, amount) for the items that take something; what is left is `amount` minus their
    /// sum (customer credit).
    public static func oldestFirst(_ amount: Int64, over items: [OpenItem]) -> [(id: String, amount: Int64)] {
        var left = amount
        var result: [(id: String, amount: Int64)] = []
        for item in ordered(items) where left > 0 {
            let take = min(left, item.open)
            result.append((item.id, take))
            left -= take
        }
        return result
    }

    /// Open items in the order payments settle them: oldest due, then oldest issued, then by number.
    static func ordered(_ items: [OpenItem]) -> [OpenItem] {
        items.filter { $0.open > 0 }.sorted { ($0.dueDate, $0.issueDate, $0.number) < ($1.dueDate, $1.issueDate, $1.number) }
    }

    /// The early-payment discount a payment made on `paidOn` earns on an invoice: the terms' rate on what is open,
    /// when the payment is made from the invoice date to the last discount day; otherwise 0.
    public static func earlyPaymentDiscount(terms: PaymentTerms, invoiceDate: CivilDate, open: Int64,
                                            paidOn: CivilDate) -> Int64 {
        guard let deadline = terms.discountDeadline(invoiceDate: invoiceDate), paidOn >= invoiceDate, paidOn <= deadline,
              open > 0 else { return 0 }
        let discount = terms.discount(on: open)
        return discount < open ? discount : 0
    }

    /// Oldest first, with early-payment discounts: when `amount` is exactly what the oldest items come to after
    /// their discounts (`discounts` by item id; at least one discounted), each of those is settled by its discounted
    /// amount and earns its discount. Any other amount is shared out plainly oldest first and earns none: a payment of
    /// the full amount, or of some other sum, is not taken as a discounted one.
    public static func oldestFirst(_ amount: Int64, over items: [OpenItem],
                                   discounts: [String: Int64]) -> [(id: String, amount: Int64, discount: Int64)] {
        var due: Int64 = 0
        var prefix: [(id: String, amount: Int64, discount: Int64)] = []
        for item in ordered(items) {
            let discount = discounts[item.id] ?? 0
            due += item.open - discount
            prefix.append((item.id, item.open - discount, discount))
            if due == amount, prefix.contains(where: { $0.discount > 0 }) { return prefix }
            if due > amount { break }
        }
        return oldestFirst(amount, over: items).map { ($0.id, $0.amount, 0) }
    }

    /// The aging buckets: not yet due, then 1–30, 31–60, 61–90 and more than 90 days past due.
    public enum Bucket: Int, Sendable, Codable, CaseIterable, Comparable {
        case current, days1to30, days31to60, days61to90, over90

        public var label: String {
            switch self {
            case .current: "Current"
            case .days1to30: "1–30"
            case .days31to60: "31–60"
            case .days61to90: "61–90"
            case .over90: "Over 90"
            }
        }

        public var key: String {
            switch self {
            case .current: "current"
            case .days1to30: "1-30"
            case .days31to60: "31-60"
            case .days61to90: "61-90"
            case .over90: "over90"
            }
        }

        public static func < (lhs: Bucket, rhs: Bucket) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The bucket of an item due on `dueDate`, seen on `asOf`: due that day or later is current.
    public static func bucket(dueDate: CivilDate, asOf: CivilDate) -> Bucket {
        let overdue = dueDate.days(until: asOf)
        switch overdue {
        case ...0: return .current
        case 1...30: return .days1to30
        case 31...60: return .days31to60
        case 61...90: return .days61to90
        default: return .over90
        }
    }

    /// The earliest due date in each bucket on `asOf` (due on or after it falls in that bucket or a younger one):
    /// lets a query bucket by comparing dates.
    public static func bucketStarts(asOf: CivilDate) -> [(Bucket, CivilDate)] {
        [(.current, asOf), (.days1to30, asOf.addingDays(-30)), (.days31to60, asOf.addingDays(-60)),
         (.days61to90, asOf.addingDays(-90))]
    }
}
