import Foundation
import Kernel
import Ledger
import Platform
import Plot
import Vapor

/// The manual journal entry form: a grid of lines, errors beside the cell they concern.
extension LedgerPages {
    struct EntryForm: Content {
        struct Line: Content {
            var account: String?
            var debit: String?
            var credit: String?
            var currency: String?
            var memo: String?
        }
        var journal: String?
        var date: String?
        var memo: String?
        var lines: [Line]?
        /// "post" (the default) or "draft".
        var action: String?

        init(journal: String?, date: String?, memo: String?, lines: [Line]?, action: String? = nil) {
            self.journal = journal
            self.date = date
            self.memo = memo
            self.lines = lines
            self.action = action
        }

        /// The rows a person typed something into; empty rows of the grid are ignored.
        var filledLines: [Line] {
            (lines ?? []).filter { line in
                [line.account, line.debit, line.credit, line.memo]
                    .contains { !($0 ?? "").trimmingCharacters(in: .whitespaces).isEmpty }
            }
        }

        /// The form showing a saved draft.
        init(_ entry: ProposedEntry) {
            func amount(_ minor: Int64?, _ currency: Currency) -> String? {
                minor.map { Money(minorUnits: $0, currency: currency).decimalString }
            }
            self.init(journal: entry.journal, date: entry.date.description, memo: entry.memo, lines: entry.lines.map {
                Line(account: $0.account, debit: amount($0.debit, $0.currency), credit: amount($0.credit, $0.currency),
                     currency: $0.currency.code, memo: $0.memo)
            })
        }
    }

    @Sendable static func newEntry(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("ledger", .write))
        guard let company = try await request.ledger.company() else { return needsSetup(request) }
        let blank = EntryForm(journal: "GEN", date: company.today(request.context.clock).description, memo: "", lines: [])
        return try await renderEntryForm(request, form: blank, company: company, errors: [])
    }

    static func renderEntryForm(_ request: Request, form: EntryForm, company: Company, errors: [DomainError.Item],
                                status: HTTPResponseStatus = .ok, draft: Draft? = nil,
                                notice: String? = nil) async throws -> Response {
        let accounts = try await request.ledger.accounts(includeArchived: false).filter { !$0.isHeader }
        var byField: [String: String] = [:]
        for item in errors { if let field = item.field, byField[field] == nil { byField[field] = item.message } }
        let general = errors.filter { $0.field == nil || $0.field == "lines" }.map(\.message)
        let lines = (form.lines ?? []) + Array(repeating: EntryForm.Line(), count: max(0, formLines - (form.lines?.count ?? 0)))
        func cell(_ index: Int, _ key: String, _ value: String?, type: HTMLInputType = .text,
                  list: String? = nil) -> Node<HTML.TableRowContext> {
            let message = byField["lines[\(index)].\(key)"] ?? (key == "debit" ? byField["lines[\(index)]"] : nil)
            return .td(.class(message == nil ? "cell" : "cell invalid"),
                .input(.name("lines[\(index)][\(key)]"), .type(type), .value(value ?? ""),
                       .attribute(named: "aria-label", value: "line \(index + 1) \(key)"),
                       .attribute(named: "list", value: list), .attribute(named: "autocomplete", value: "off")),
                .unwrap(message) { .p(.class("error"), .text($0)) })
        }
        let formError = FormError(field: byField["date"] != nil ? "date" : byField["memo"] != nil ? "memo"
                                  : byField["journal"] != nil ? "journal" : nil,
                                  message: byField["date"] ?? byField["memo"] ?? byField["journal"] ?? "")
        return Layout.page(draft == nil ? "New journal entry" : "Draft entry", request, status: status, notice: notice,
            .unwrap(draft) { draft in
                .p(.class("muted"), .text("Saved by \(draft.updatedBy). A draft is not numbered and not in any balance "
                    + "until it is posted."))
            },
            .form(.method(.post), .action(draft.map { "/ledger/drafts/\($0.id)" } ?? "/ledger/entries"), .class("card"),
                Layout.csrfField(request),
                .forEach(general) { .p(.class("error banner"), .attribute(named: "role", value: "alert"), .text($0)) },
                .div(.class("filters"),
                    Layout.field("Date", name: "date", type: .date, value: form.date ?? "",
                                 error: formError.field == nil ? nil : formError, required: true),
                    Layout.field("Journal", name: "journal", value: form.journal ?? "GEN",
                                 error: formError.field == nil ? nil : formError, hint: "GEN, SAL, PUR, BNK, PAY, OPN"),
                    Layout.field("Memo", name: "memo", value: form.memo ?? "",
                                 error: formError.field == nil ? nil : formError, required: true)),
                .element(named: "datalist", nodes: [.id("accounts"), .forEach(accounts) { account in
                    .element(named: "option", nodes: [.attribute(named: "value", value: account.code),
                                                      .text("\(account.code) \(account.fullName)")])
                }]),
                .div(.class("table-wrap"), .table(.class("lines"),
                    .thead(.tr(.th("Account (code or name)"), .th("Debit"), .th("Credit"), .th("Currency"), .th("Memo"))),
                    .tbody(.forEach(Array(lines.enumerated())) { index, line in
                        .tr(cell(index, "account", line.account, list: "accounts"),
                            cell(index, "debit", line.debit), cell(index, "credit", line.credit),
                            cell(index, "currency", line.currency ?? company.currency.code),
                            cell(index, "memo", line.memo))
                    }))),
                .p(.class("muted"), .text("Empty rows are ignored. Amounts like 1,234.50; debits must equal credits.")),
                .div(.class("actions"),
                    .button(.type(.submit), .name("action"), .value("post"), .class("primary"), .text("Post entry")),
                    .button(.type(.submit), .name("action"), .value("draft"), .text("Save as draft")))),
            .unwrap(draft) { draft in
                .form(.method(.post), .action("/ledger/drafts/\(draft.id)/delete"),
                      Layout.csrfField(request), Layout.submit("Delete draft", style: "danger"))
            })
    }

    @Sendable static func postEntry(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        guard let company = try await request.ledger.company() else { return needsSetup(request) }
        let form = try request.form(EntryForm.self)
        let filled = form.filledLines
        do {
            let entry = try proposed(form, lines: filled, company: company)
            if form.action == "draft" {
                let draft = try await request.ledger.saveDraft(entry, by: principal)
                return try await renderEntryForm(request, form: EntryForm(draft.entry), company: company, errors: [],
                                                 draft: draft, notice: "Draft saved.")
            }
            let result = try await request.ledger.post(entry, by: principal)
            return try await renderEntry(request, id: result.id, company: company, principal: principal,
                                         notice: "Entry \(result.number) posted.", error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderRefused(request, form: form, lines: filled, company: company, error: error)
        }
    }

    // MARK: Drafts

    @Sendable static func draft(_ request: Request) async throws -> Response {
        try require(try request.requirePrincipal(), Permission("ledger", .write))
        guard let company = try await request.ledger.company() else { return needsSetup(request) }
        let draft = try await request.ledger.draft(id: request.parameters.get("id") ?? "")
        return try await renderEntryForm(request, form: EntryForm(draft.entry), company: company, errors: [], draft: draft)
    }

    /// Saves the edited draft, then posts it when asked; a refused posting keeps the edits in the draft.
    @Sendable static func updateDraft(_ request: Request) async throws -> Response {
        let principal = try request.requirePrincipal()
        guard let company = try await request.ledger.company() else { return needsSetup(request) }
        var draft = try await request.ledger.draft(id: request.parameters.get("id") ?? "")
        let form = try request.form(EntryForm.self)
        let filled = form.filledLines
        do {
            draft = try await request.ledger.saveDraft(try proposed(form, lines: filled, company: company), id: draft.id,
                                                       by: principal)
            if form.action == "draft" {
                return try await renderEntryForm(request, form: EntryForm(draft.entry), company: company, errors: [],
                                                 draft: draft, notice: "Draft saved.")
            }
            let result = try await request.ledger.postDraft(id: draft.id, by: principal)
            return try await renderEntry(request, id: result.id, company: company, principal: principal,
                                         notice: "Entry \(result.number) posted.", error: nil)
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await renderRefused(request, form: form, lines: filled, company: company, error: error,
                                           draft: draft)
        }
    }

    @Sendable static func deleteDraft(_ request: Request) async throws -> Response {
        try await request.ledger.deleteDraft(id: request.parameters.get("id") ?? "", by: try request.requirePrincipal())
        return request.redirect(to: "/ledger/entries")
    }

    /// The form again, with the lines that were filled in and every problem beside its cell.
    static func renderRefused(_ request: Request, form: EntryForm, lines: [EntryForm.Line], company: Company,
                              error: DomainError, draft: Draft? = nil) async throws -> Response {
        var compacted = form
        compacted.lines = lines
        let items = error.items.isEmpty ? [DomainError.Item(field: error.field, code: error.code, message: error.message)]
            : error.items
        return try await renderEntryForm(request, form: compacted, company: company, errors: items,
                                         status: .unprocessableEntity, draft: draft)
    }

    /// Reads the form into an entry; unreadable cells are reported with their line's field path.
    static func proposed(_ form: EntryForm, lines: [EntryForm.Line], company: Company) throws(DomainError) -> ProposedEntry {
        let date = try CivilDate.parse(form.date ?? "", field: "date")
        var problems: [DomainError.Item] = []
        var result: [ProposedLine] = []
        for (index, line) in lines.enumerated() {
            let path = "lines[\(index)]."
            do {
                let code = (line.currency ?? "").trimmingCharacters(in: .whitespaces)
                let currency = try Currency.parse(code.isEmpty ? company.currency.code : code, field: path + "currency")
                func amount(_ text: String?, _ name: String) throws(DomainError) -> Int64? {
                    let trimmed = (text ?? "").trimmingCharacters(in: .whitespaces)
                    return trimmed.isEmpty ? nil : try Money.parse(trimmed, currency: currency, field: path + name).minorUnits
                }
                result.append(ProposedLine(account: (line.account ?? "").trimmingCharacters(in: .whitespaces),
                                           debit: try amount(line.debit, "debit"), credit: try amount(line.credit, "credit"),
                                           currency: currency, memo: (line.memo ?? "").isEmpty ? nil : line.memo))
            } catch {
                problems.append(.init(field: error.field, code: error.code, message: error.message))
            }
        }
        if !problems.isEmpty {
            throw DomainError(.invalid, problems[0].code, problems[0].message, field: problems[0].field, items: problems)
        }
        let journal = (form.journal ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        return ProposedEntry(journal: journal.isEmpty ? "GEN" : journal, date: date, memo: form.memo ?? "", lines: result)
    }
}
