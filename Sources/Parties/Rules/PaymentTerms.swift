import Kernel

/// When an invoice is due, and what discount paying early earns. Written as text the way invoices print it:
/// `net 30` (30 days after the invoice date), `eom+15` (15 days after the end of the invoice's month),
/// `2/10 net 30` (2 % off when paid within 10 days, else due in 30), `immediate` (due on the invoice date).
public struct PaymentTerms: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Basis: String, Sendable, Codable { case invoiceDate, endOfMonth }

    public static let daysMax = 365
    /// A discount of at most 50 %, in hundredths of a percent.
    public static let discountBasisPointsMax = 5_000

    public let basis: Basis
    public let days: Int
    /// Early-payment discount in hundredths of a percent (200 = 2 %), with the days it stays open.
    public let discountBasisPoints: Int?
    public let discountDays: Int?

    public static let net30 = PaymentTerms(basis: .invoiceDate, days: 30, discountBasisPoints: nil, discountDays: nil)

    /// Builds terms from their parts; the parts are checked as `parse` checks them.
    public init(basis: Basis, days: Int, discountBasisPoints: Int? = nil, discountDays: Int? = nil) {
        precondition((0...Self.daysMax).contains(days), "payment days out of range")
        precondition((discountBasisPoints == nil) == (discountDays == nil), "a discount has a rate and days")
        self.basis = basis
        self.days = days
        self.discountBasisPoints = discountBasisPoints
        self.discountDays = discountDays
    }

    /// Reads `immediate`, `net N`, `eom+N` (or `eom N`, `end of month + N`), optionally led by a discount
    /// `P/D` (percent, days): `2/10 net 30`, `1.5/14 eom+30`.
    public static func parse(_ text: String, field: String = "paymentTerms") throws(DomainError) -> PaymentTerms {
        let words = text.lowercased().replacing("end of month", with: "eom").replacing("+", with: " ")
            .split(separator: " ").map(String.init)
        func fail() -> DomainError {
            .invalid("parties.payment_terms.invalid", "'\(text)' are not payment terms; write net 30, eom+15, "
                     + "2/10 net 30 or immediate", field: field)
        }
        var rest = words[...]
        var discount: (Int, Int)?
        if let first = rest.first, first.contains("/") {
            let parts = first.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, let points = basisPoints(parts[0]), let days = Int(parts[1]) else { throw fail() }
            guard (1...discountBasisPointsMax).contains(points) else {
                throw .invalid("parties.payment_terms.discount_range", "An early-payment discount is more than 0 % and "
                               + "at most \(discountBasisPointsMax / 100) %", field: field)
            }
            discount = (points, days)
            rest = rest.dropFirst()
        }
        let basis: Basis
        let days: Int
        switch (rest.first, rest.count) {
        case ("immediate", 1): (basis, days) = (.invoiceDate, 0)
        case ("net", 2): guard let n = Int(rest.last!) else { throw fail() }; (basis, days) = (.invoiceDate, n)
        case ("eom", 1): (basis, days) = (.endOfMonth, 0)
        case ("eom", 2): guard let n = Int(rest.last!) else { throw fail() }; (basis, days) = (.endOfMonth, n)
        default: throw fail()
        }
        guard (0...daysMax).contains(days) else {
            throw .invalid("parties.payment_terms.days_range", "Payment is due within 0 to \(daysMax) days", field: field)
        }
        if let (_, discountDays) = discount {
            // Paying early means before the due date; with end-of-month terms the due date varies, so only the range.
            let limit = basis == .invoiceDate ? days : daysMax
            guard discountDays >= 1, discountDays <= limit else {
                throw .invalid("parties.payment_terms.discount_days", "The discount period is 1 day or more and ends "
                               + "no later than the payment is due", field: field)
            }
        }
        return PaymentTerms(basis: basis, days: days, discountBasisPoints: discount?.0, discountDays: discount?.1)
    }

    /// "2", "1.5", "0.75" percent as hundredths of a percent; at most two decimals.
    static func basisPoints(_ text: String) -> Int? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int(parts[0]), whole >= 0, parts[0].count <= 3 else { return nil }
        guard parts.count == 2 else { return whole * 100 }
        guard (1...2).contains(parts[1].count), parts[1].allSatisfy(\.isASCIIDigitCharacter), let fraction = Int(parts[1]) else {
            return nil
        }
        return whole * 100 + (parts[1].count == 1 ? fraction * 10 : fraction)
    }

    public var description: String {
        let due: String
        switch basis {
        case .invoiceDate: due = days == 0 ? "immediate" : "net \(days)"
        case .endOfMonth: due = "eom+\(days)"
        }
        guard let points = discountBasisPoints, let discountDays else { return due }
        let percent = points % 100 == 0 ? "\(points / 100)"
            : points % 10 == 0 ? "\(points / 100).\(points % 100 / 10)" : "\(points / 100).\(points % 100 < 10 ? "0" : "")\(points % 100)"
        return "\(percent)/\(discountDays) \(due)"
    }

    /// The day an invoice dated `invoiceDate` is due.
    public func dueDate(invoiceDate: CivilDate) -> CivilDate {
        switch basis {
        case .invoiceDate: invoiceDate.addingDays(days)
        case .endOfMonth: invoiceDate.monthEnd.addingDays(days)
        }
    }

    /// The last day payment earns the discount, if the terms give one.
    public func discountDeadline(invoiceDate: CivilDate) -> CivilDate? {
        discountDays.map { invoiceDate.addingDays($0) }
    }

    /// The discount on `amount` minor units, rounded half up to the minor unit (commercial rounding).
    public func discount(on amount: Int64) -> Int64 {
        guard let points = discountBasisPoints, amount > 0 else { return 0 }
        let (scaled, overflow) = amount.multipliedReportingOverflow(by: Int64(points))
        precondition(!overflow, "amount too large for a discount")
        return (scaled + 5_000) / 10_000
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try Self.parse(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}
