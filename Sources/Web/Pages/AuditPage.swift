import Kernel
import Platform
import Plot
import Vapor

/// The audit log with filters, newest first, paged by sequence number.
enum AuditPage {
    static let pageRows = 50

    static func register(_ routes: any RoutesBuilder) {
        routes.get("audit", use: show)
    }

    @Sendable static func show(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("audit", .read))
        let query = request.query
        func text(_ key: String) -> String? {
            let value = (try? query.get(String.self, at: key))?.trimmingCharacters(in: .whitespaces)
            return value?.isEmpty == false ? value : nil
        }
        var error: FormError?
        var filter = AuditFilter(actor: text("actor"), entity: text("entity"), entityID: text("entityId"),
                                 action: text("action"), limit: pageRows)
        do {
            filter.from = try text("from").map { try CivilDate.parse($0, field: "from") }
            filter.to = try text("to").map { try CivilDate.parse($0, field: "to") }
            if let before = text("before") {
                guard let seq = Int64(before) else {
                    throw DomainError.invalid("request.before.invalid", "'before' must be a sequence number", field: "before")
                }
                filter.beforeSeq = seq
            }
        } catch let domain as DomainError {
            error = FormError(domain)
        }
        let records = error == nil ? try await AuditChain.list(on: request.db, filter: filter) : []
        var older = URLComponents()
        older.path = "/audit"
        older.queryItems = ["actor", "entity", "entityId", "action", "from", "to"].compactMap { key in
            text(key).map { URLQueryItem(name: key, value: $0) }
        } + [URLQueryItem(name: "before", value: records.last.map { String($0.seq) })]
        return Layout.page("Audit log", request, status: error == nil ? .ok : .unprocessableEntity,
            .form(.method(.get), .action("/audit"), .class("filters"),
                Layout.field("Actor", name: "actor", value: filter.actor ?? "", error: error),
                Layout.field("Entity", name: "entity", value: filter.entity ?? "", error: error),
                Layout.field("Entity id", name: "entityId", value: filter.entityID ?? "", error: error),
                Layout.field("Action", name: "action", value: filter.action ?? "", error: error),
                Layout.field("From", name: "from", type: .date, value: text("from") ?? "", error: error),
                Layout.field("To", name: "to", type: .date, value: text("to") ?? "", error: error),
                Layout.formError(error, fields: ["from", "to"]),
                Layout.submit("Filter")),
            .div(.class("table-wrap"), .table(.class("audit"),
                .thead(.tr(.th("#"), .th("When (UTC)"), .th("Actor"), .th("Action"), .th("Entity"), .th("Change"))),
                .tbody(.forEach(records) { record in
                    .tr(.td(.text(String(record.seq))), .td(.text(record.at)), .td(.text(record.actor)),
                        .td(.code(.text(record.action))),
                        // v7 ids share their leading (time) digits, so the tail tells records apart.
                        .td(.a(.href("/audit?entity=\(record.entity)&entityId=\(record.entityID)"),
                               .attribute(named: "title", value: record.entityID),
                               .text("\(record.entity) …\(record.entityID.suffix(8))"))),
                        .td(.element(named: "details", nodes: [
                            .summary(.text("before / after")),
                            .pre(.text(record.before ?? "—")), .pre(.text(record.after ?? "—")),
                        ])))
                }))),
            .if(records.count == pageRows, .p(.a(.class("button"), .href(older.string ?? "/audit"), .text("Older records")))),
            .if(records.isEmpty && error == nil, .p(.class("muted"), .text("No records match."))))
    }
}
