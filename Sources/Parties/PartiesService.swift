import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// The Parties area's public face: customers and vendors (one partner record each), their contacts, addresses,
/// tax ids, bank account and payment terms. Reading takes `sales:read` or `purchasing:read`; changing takes the
/// matching write.
public struct PartiesService: Sendable {
    public let db: any Database
    public let context: PlatformContext

    public static let pageLimitMax = 500
    /// Rows in one CSV import.
    public static let importRowsMax = 10_000

    public init(db: any Database, context: PlatformContext) {
        self.db = db
        self.context = context
    }

    static func requireRead(_ actor: Principal) throws(DomainError) {
        if actor.can(Permission("purchasing", .read)) { return }
        try require(actor, Permission("sales", .read))
    }

    static func requireWrite(_ actor: Principal) throws(DomainError) {
        if actor.can(Permission("purchasing", .write)) { return }
        try require(actor, Permission("sales", .write))
    }

    // MARK: Reading

    /// Which partners to list.
    public struct Filter: Sendable {
        public enum Role: String, Sendable { case customer, vendor }
        public enum Sort: String, Sendable, CaseIterable { case name, code, created }
        public var search: String?
        public var role: Role?
        public var includeArchived: Bool
        public var sort: Sort
        public var limit: Int
        public var offset: Int

        public init(search: String? = nil, role: Role? = nil, includeArchived: Bool = false, sort: Sort = .name,
                    limit: Int = 100, offset: Int = 0) {
            self.search = search
            self.role = role
            self.includeArchived = includeArchived
            self.sort = sort
            self.limit = limit
            self.offset = offset
        }
    }

    /// Partners matching `filter` (name, code, tax id or email containing the search text), with the total count.
    public func partners(_ filter: Filter, by actor: Principal) async throws -> (partners: [Partner], total: Int) {
        try Self.requireRead(actor)
        try Paging.check(limit: filter.limit, offset: filter.offset, limitMax: Self.pageLimitMax, noun: "partners",
                         codePrefix: "parties.list")
        func filtered(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
            var query = query
            if !filter.includeArchived { query = query.where("archived", .equal, false) }
            switch filter.role {
            case .customer: query = query.where("is_customer", .equal, true)
            case .vendor: query = query.where("is_vendor", .equal, true)
            case nil: break
            }
            if let search = filter.search?.trimmed, !search.isEmpty {
                let pattern = "%" + search.lowercased().replacing("%", with: "").replacing("_", with: "") + "%"
                query = query.where { group in
                    var group = group
                    for column in ["name", "code", "tax_id", "email"] {
                        group = group.orWhere(SQLFunction("LOWER", args: SQLIdentifier(column)), .like, SQLBind(pattern))
                    }
                    return group
                }
            }
            return query
        }
        let total = try await filtered(db.sql.select().column(SQLRaw("COUNT(*)"), as: "n").from("partners")).first()?
            .decode(column: "n", as: Int.self) ?? 0
        let order: (String, SQLDirection) = switch filter.sort {
        case .name: ("name", .ascending)
        case .code: ("code", .ascending)
        case .created: ("created_at", .descending)
        }
        let rows = try await filtered(db.sql.select().column("*").from("partners"))
            .orderBy(order.0, order.1).orderBy("id").limit(filter.limit).offset(filter.offset).all()
        let ids = try rows.map { try $0.decode(column: "id", as: UUID.self) }
        let contacts = try await PartnerRows.contacts(of: ids, on: db)
        let partners = try zip(rows, ids).map { try PartnerRows.partner($0, contacts: contacts[$1] ?? []) }
        return (partners, total)
    }

    /// One partner by id or code.
    public func partner(_ reference: String, by actor: Principal) async throws -> Partner {
        try Self.requireRead(actor)
        return try await find(reference, on: db)
    }

    func find(_ reference: String, on db: any Database) async throws -> Partner {
        let query = db.sql.select().column("*").from("partners")
        let row = try await (UUID(uuidString: reference).map { query.where("id", .equal, $0) }
            ?? query.where("code", .equal, reference)).first()
        guard let row else {
            throw DomainError.notFound("parties.partner.not_found", "There is no partner '\(reference)'")
        }
        let id = try row.decode(column: "id", as: UUID.self)
        return try PartnerRows.partner(row, contacts: try await PartnerRows.contacts(of: [id], on: db)[id] ?? [])
    }

    // MARK: Changing

    /// Creates a partner; without a code it gets the next P-number. With an idempotency key, a repeat of the same
    /// request by the same user returns the partner the first one created; the key with other content is a 409.
    public func create(_ input: PartnerInput, idempotencyKey: String? = nil, by actor: Principal) async throws -> Partner {
        try Self.requireWrite(actor)
        let valid = try PartnerRules.validate(input)
        let context = context
        return try await Idempotency.run(db, actor: actor, scope: "parties.partner.create", key: idempotencyKey,
                                         request: input, clock: context.clock) { tx in
            try await PartiesService(db: tx, context: context).insert(valid, by: actor)
        }.value
    }

    private func insert(_ valid: PartnerRules.Valid, by actor: Principal) async throws -> Partner {
        precondition(db.inTransaction, "a partner is inserted inside its write transaction")
        var code = valid.code ?? ""
        if valid.code == nil { code = try await Self.nextCode(on: db) }
        try await Self.requireFreeCode(code, except: nil, on: db)
        let id = UUID.v7()
        let now = RFC3339.format(context.clock.now())
        var values = PartnerRows.values(valid, code: code)
        values += [("id", id), ("archived", false), ("created_by", actor.username), ("created_at", now),
                   ("updated_at", now)]
        try await db.sql.insert(into: "partners").columns(values.map(\.0)).values(values.map { SQLBind($0.1) }).run()
        try await PartnerRows.replaceContacts(of: id, with: valid.contacts, on: db)
        let partner = try await find(id.uuidString, on: db)
        try await context.audit(db, actor, "partner.create", entity: "partner", id: partner.id,
                                before: nil as Partner?, after: partner)
        return partner
    }

    /// Replaces a partner's fields (and its contacts, when `input.contacts` is given).
    public func update(_ reference: String, _ input: PartnerInput, by actor: Principal) async throws -> Partner {
        try Self.requireWrite(actor)
        let valid = try PartnerRules.validate(input)
        let now = RFC3339.format(context.clock.now())
        return try await writeTransaction(db) { tx in
            let before = try await find(reference, on: tx)
            let code = valid.code ?? before.code
            try await Self.requireFreeCode(code, except: before.id, on: tx)
            let id = UUID(uuidString: before.id)!
            var update = tx.sql.update("partners")
            for (column, value) in PartnerRows.values(valid, code: code) { update = update.set(column, to: value) }
            try await update.set("updated_at", to: now).where("id", .equal, id).run()
            if input.contacts != nil { try await PartnerRows.replaceContacts(of: id, with: valid.contacts, on: tx) }
            let after = try await find(before.id, on: tx)
            try await context.audit(tx, actor, "partner.update", entity: "partner", id: after.id,
                                    before: before, after: after)
            return after
        }
    }

    /// Archives a partner (it stays on its documents, but new ones cannot pick it), or brings it back.
    public func setArchived(_ reference: String, _ archived: Bool, by actor: Principal) async throws -> Partner {
        try Self.requireWrite(actor)
        let now = RFC3339.format(context.clock.now())
        return try await writeTransaction(db) { tx in
            let before = try await find(reference, on: tx)
            guard before.archived != archived else { return before }
            try await tx.sql.update("partners").set("archived", to: archived).set("updated_at", to: now)
                .where("id", .equal, UUID(uuidString: before.id)!).run()
            let after = try await find(before.id, on: tx)
            try await context.audit(tx, actor, archived ? "partner.archive" : "partner.restore", entity: "partner",
                                    id: after.id, before: before, after: after)
            return after
        }
    }

    static func nextCode(on db: any Database) async throws -> String {
        // One series for all years: a partner code is a reference, not a dated document number.
        let number = try await DocumentNumbers.reserve("PARTNER", year: 0, count: 1, on: db)
        let digits = String(number)
        return "P-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    static func requireFreeCode(_ code: String, except id: String?, on db: any Database) async throws {
        let rows = try await db.sql.select().column("id").from("partners").where("code", .equal, code).all()
        let others = try rows.map { try $0.decode(column: "id", as: UUID.self).lowercaseText }.filter { $0 != id }
        if !others.isEmpty {
            throw DomainError(.conflict, "parties.partner.code_taken", "Another partner has the code '\(code)'",
                              field: "code")
        }
    }
}

// MARK: CSV

extension PartiesService {
    /// The CSV columns, in order; an import takes them in any order, `name` required, the rest optional.
    public static let csvColumns = [
        "code", "name", "customer", "vendor", "tax_id", "email", "phone", "currency", "payment_terms", "credit_limit",
        "billing_line1", "billing_line2", "billing_postal_code", "billing_city", "billing_region", "billing_country",
        "shipping_line1", "shipping_line2", "shipping_postal_code", "shipping_city", "shipping_region",
        "shipping_country", "iban", "bic", "notes",
    ]

    /// Every partner matching `filter` (all pages) as CSV with a header row; contacts are not part of it.
    public func csv(_ filter: Filter, by actor: Principal) async throws -> String {
        var text = Self.csvColumns.joined(separator: ",") + "\n"
        var page = filter
        page.limit = Self.pageLimitMax
        page.offset = 0
        while true {
            let (partners, _) = try await partners(page, by: actor)
            for partner in partners { text += CSVLine.join(Self.csvRow(partner)) + "\n" }
            guard partners.count == page.limit else { return text }
            page.offset += page.limit
        }
    }

    static func csvRow(_ partner: Partner) -> [String] {
        func parts(_ address: Address) -> [String] {
            [address.line1, address.line2, address.postalCode, address.city, address.region, address.country].map { $0 ?? "" }
        }
        return [partner.code, partner.name, partner.isCustomer ? "yes" : "no", partner.isVendor ? "yes" : "no",
                partner.taxID ?? "", partner.email ?? "", partner.phone ?? "", partner.currency?.code ?? "",
                partner.paymentTerms.description, partner.creditLimitText ?? ""]
            + parts(partner.billingAddress) + parts(partner.shippingAddress)
            + [partner.iban ?? "", partner.bic ?? "", partner.notes ?? ""]
    }

    /// Reads a partners CSV (header row, then one partner per row). Problems with the header and with the shape
    /// of rows are all reported, by line; the partners themselves are checked by `importCSV`.
    public static func readCSV(_ text: String) throws(DomainError) -> [CSVImport.Row] {
        try CSVImport.read(text, area: "parties", isColumn: csvColumns.contains,
                           columnsHint: csvColumns.joined(separator: ", "), required: ["name"], rowsMax: importRowsMax)
    }

    /// `base` with the row's columns laid over it: a column the file does not have keeps the base's value, so an
    /// update by CSV changes only what the file names. Nil when a yes/no column holds something else.
    static func input(_ row: CSVImport.Row, over base: PartnerInput) -> PartnerInput? {
        let fields = row.fields
        var input = base
        func flag(_ column: String) -> Bool?? {
            guard let text = fields[column] else { return .some(nil) }
            switch text.lowercased() {
            case "yes", "true", "1", "y": return true
            case "no", "false", "0", "n": return false
            case "": return .some(nil)
            default: return nil
            }
        }
        guard let customer = flag("customer"), let vendor = flag("vendor") else { return nil }
        if let customer { input.isCustomer = customer }
        if let vendor { input.isVendor = vendor }
        func set(_ column: String, _ path: WritableKeyPath<PartnerInput, String?>) {
            if let value = fields[column] { input[keyPath: path] = value }
        }
        if let name = fields["name"] { input.name = name }
        set("code", \.code)
        set("tax_id", \.taxID)
        set("email", \.email)
        set("phone", \.phone)
        set("currency", \.currency)
        set("payment_terms", \.paymentTerms)
        set("credit_limit", \.creditLimit)
        set("iban", \.iban)
        set("bic", \.bic)
        set("notes", \.notes)
        for (prefix, path) in [("billing", \PartnerInput.billingAddress), ("shipping", \PartnerInput.shippingAddress)] {
            var address = input[keyPath: path] ?? Address()
            let parts: [(String, WritableKeyPath<Address, String?>)] = [
                ("line1", \.line1), ("line2", \.line2), ("postal_code", \.postalCode), ("city", \.city),
                ("region", \.region), ("country", \.country)]
            for (part, partPath) in parts {
                if let value = fields["\(prefix)_\(part)"] { address[keyPath: partPath] = value }
            }
            input[keyPath: path] = address
        }
        return input
    }

    /// Imports a partners CSV in one transaction: all rows or none, every problem reported by line. A row whose
    /// code names an existing partner updates the columns the file has and keeps the others; any other row creates
    /// a partner. Each partner created or changed has its own audit record (as from the form), and the import one
    /// more with its counts.
    public func importCSV(_ text: String, by actor: Principal) async throws -> (created: Int, updated: Int) {
        try Self.requireWrite(actor)
        let rows = try Self.readCSV(text)
        let context = context
        return try await writeTransaction(db) { tx in
            let service = PartiesService(db: tx, context: context)
            var existing: [String: Partner] = [:]
            for row in rows {
                guard let code = row.fields["code"].nonBlank, existing[code] == nil,
                      let partner = try? await service.find(code, on: tx) else { continue }
                existing[code] = partner
            }
            var problems: [DomainError.Item] = []
            var firstLine: [String: Int] = [:]
            var plan: [(existing: Partner?, input: PartnerInput)] = []
            for row in rows {
                let code = row.fields["code"].nonBlank
                if let code {
                    if let first = firstLine[code] {
                        problems.append(.init(line: row.line, field: "code", code: "parties.csv.code_repeated",
                                              message: "The code '\(code)' is also on line \(first)"))
                    }
                    firstLine[code] = firstLine[code] ?? row.line
                }
                let current = code.flatMap { existing[$0] }
                guard let input = Self.input(row, over: current.map(PartnerInput.init) ?? PartnerInput(name: "")) else {
                    problems.append(.init(line: row.line, field: "customer", code: "parties.csv.flag_invalid",
                                          message: "customer and vendor are yes or no"))
                    continue
                }
                do throws(DomainError) {
                    _ = try PartnerRules.validate(input)
                    plan.append((current, input))
                } catch {
                    problems += error.items.map { .init(line: row.line, field: $0.field, code: $0.code, message: $0.message) }
                }
            }
            guard problems.isEmpty else { throw CSVImport.error(problems, area: "parties") }
            return try await context.applyImport(
                plan, on: tx, by: actor, action: "partner.import", entity: "partner_import",
                update: { _ = try await service.update($0.id, $1, by: actor) },
                create: { _ = try await service.create($0, by: actor) })
        }
    }
}
