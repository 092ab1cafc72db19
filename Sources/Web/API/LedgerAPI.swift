import Foundation
import Kernel
import Ledger
import OpenAPIRuntime
import Platform
import Vapor

extension Request {
    var ledger: LedgerService { LedgerService(db: db, context: context) }
}

extension APIHandler {
    func listAccounts(_ input: Operations.ListAccounts.Input) async throws -> Operations.ListAccounts.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        _ = try await request.ledger.requireCompany()
        return .ok(.init(body: .json(.init(items: try await request.ledger.accounts().map(\.api)))))
    }

    func postEntry(_ input: Operations.PostEntry.Input) async throws -> Operations.PostEntry.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let company = try await request.ledger.requireCompany()
        var entry = try EntryWire.entry(body, functional: company.currency, prefix: "")
        if let key = input.headers.idempotencyKey { entry.idempotencyKey = key }
        let result = try await request.ledger.post(entry, by: principal)
        return .created(.init(body: .json(.init(id: result.id, number: result.number, replayed: result.replayed))))
    }

    func postEntryBatch(_ input: Operations.PostEntryBatch.Input) async throws -> Operations.PostEntryBatch.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let company = try await request.ledger.requireCompany()
        var entries: [ProposedEntry] = []
        var problems: [DomainError.Item] = []
        for (index, wire) in body.entries.enumerated() {
            do {
                entries.append(try EntryWire.entry(wire, functional: company.currency, prefix: "entries[\(index)]."))
            } catch {
                problems.append(.init(index: index, field: error.field, code: error.code, message: error.message))
            }
        }
        if !problems.isEmpty {
            throw DomainError(.invalid, "ledger.batch.invalid", "\(problems.count) entries cannot be read; nothing was posted",
                              items: problems)
        }
        let results = try await request.ledger.post(batch: entries, by: principal,
                                                           auditAs: "api-\(UUID().lowercaseText)")
        return .created(.init(body: .json(.init(items: results.map {
            .init(id: $0.id, number: $0.number, replayed: $0.replayed)
        }))))
    }

    func getTrialBalance(_ input: Operations.GetTrialBalance.Input) async throws -> Operations.GetTrialBalance.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        let company = try await request.ledger.requireCompany()
        let asOf = try input.query.asOf.map { try CivilDate.parse($0, field: "asOf") } ?? company.today(request.context.clock)
        let rows = try await request.ledger.trialBalance(asOf: asOf)
        return .ok(.init(body: .json(.init(asOf: asOf.description, currency: company.currency.code, items: rows.map {
            .init(account: $0.account.fullName, code: $0.account.code, currency: $0.currency.code,
                  balance: Money(minorUnits: $0.balance, currency: $0.currency).decimalString,
                  functionalBalance: Money(minorUnits: $0.functionalBalance, currency: company.currency).decimalString)
        }))))
    }
}

extension APIHandler {
    func createAccount(_ input: Operations.CreateAccount.Input) async throws -> Operations.CreateAccount.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let subtype = try AccountSubtype.parse(body.subtype)
        let account = try await request.ledger.createAccount(code: body.code, fullName: body.fullName, subtype: subtype,
                                                             isHeader: body.header ?? false, currency: body.currency,
                                                             by: principal)
        return .created(.init(body: .json(account.api)))
    }

    func archiveAccount(_ input: Operations.ArchiveAccount.Input) async throws -> Operations.ArchiveAccount.Output {
        let account = try await request.ledger.archiveAccount(code: input.path.code, by: try request.requirePrincipal())
        return .ok(.init(body: .json(account.api)))
    }

    func listEntries(_ input: Operations.ListEntries.Input) async throws -> Operations.ListEntries.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        let company = try await request.ledger.requireCompany()
        let from = try input.query.from.map { text throws(DomainError) in try CivilDate.parse(text, field: "from") }
        let to = try input.query.to.map { text throws(DomainError) in try CivilDate.parse(text, field: "to") }
        let items = try await request.ledger.entries(journal: input.query.journal, from: from, to: to,
                                                     limit: input.query.limit ?? 50, offset: input.query.offset ?? 0)
        return .ok(.init(body: .json(.init(items: items.map {
            .init(id: $0.id, number: $0.number, journal: $0.journal, date: $0.date.description, memo: $0.memo,
                  amount: Money(minorUnits: $0.amount, currency: company.currency).decimalString, reversed: $0.reversed)
        }))))
    }

    func getEntry(_ input: Operations.GetEntry.Input) async throws -> Operations.GetEntry.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        let company = try await request.ledger.requireCompany()
        let entry = try await request.ledger.entry(id: input.path.id)
        return .ok(.init(body: .json(.init(
            id: entry.id, number: entry.number, journal: entry.journal, date: entry.date.description, memo: entry.memo,
            reversalOf: entry.reversalOf, reversedBy: entry.reversedBy, createdBy: entry.createdBy,
            lines: entry.lines.map { line in
                .init(account: line.account.fullName, code: line.account.code, currency: line.currency.code,
                      debit: Money(minorUnits: line.debit, currency: line.currency).decimalString,
                      credit: Money(minorUnits: line.credit, currency: line.currency).decimalString,
                      functionalDebit: Money(minorUnits: line.functionalDebit, currency: company.currency).decimalString,
                      functionalCredit: Money(minorUnits: line.functionalCredit, currency: company.currency).decimalString,
                      rate: line.rate, memo: line.memo, partner: line.partner, dueDate: line.dueDate?.description,
                      dimensions: line.dimensions.isEmpty ? nil : .init(additionalProperties: line.dimensions))
            }))))
    }

    func reverseEntry(_ input: Operations.ReverseEntry.Input) async throws -> Operations.ReverseEntry.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let date = try CivilDate.parse(body.date, field: "date")
        let result = try await request.ledger.reverse(entryID: input.path.id, on: date, by: principal)
        return .created(.init(body: .json(.init(id: result.id, number: result.number, replayed: result.replayed))))
    }

    func getStatement(_ input: Operations.GetStatement.Input) async throws -> Operations.GetStatement.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        let ledger = request.ledger
        let company = try await ledger.requireCompany()
        let today = company.today(request.context.clock)
        let query = input.query
        let statement: Statement
        switch input.path.report {
        case .balanceSheet:
            statement = try await ledger.balanceSheet(asOf: try ReportDates.balanceSheet(
                asOf: query.asOf ?? query.to, compare: query.compare ?? false, today: today))
        case .incomeStatement:
            statement = try await ledger.incomeStatement(try ReportDates.periods(
                from: query.from, to: query.to, compare: query.compare ?? false, company: company, today: today))
        case .cashFlow:
            statement = try await ledger.cashFlow(try ReportDates.periods(
                from: query.from, to: query.to, compare: query.compare ?? false, company: company, today: today))
        case .budgetVsActual:
            statement = try await ledger.budgetVsActual(try ReportDates.periods(
                from: query.from, to: query.to, compare: false, company: company, today: today)[0],
                dimension: query.dimension ?? "")
        case .dimensionActivity:
            statement = try await ledger.activityByDimension(try ReportDates.periods(
                from: query.from, to: query.to, compare: false, company: company, today: today)[0], key: query.key ?? "")
        }
        let document = StatementDocument(statement)
        return .ok(.init(body: .json(.init(
            report: document.report, title: document.title, currency: document.currency, columns: document.columns,
            rows: document.rows.map {
                .init(kind: .init(rawValue: $0.kind)!, level: $0.level, label: $0.label, account: $0.account,
                      code: $0.code, amounts: $0.amounts)
            }))))
    }

    func getGeneralLedger(_ input: Operations.GetGeneralLedger.Input) async throws -> Operations.GetGeneralLedger.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        let ledger = request.ledger
        let company = try await ledger.requireCompany()
        let range = try ReportDates.periods(from: input.query.from, to: input.query.to, compare: false, company: company,
                                            today: company.today(request.context.clock))[0]
        let document = GeneralLedgerDocument(try await ledger.generalLedger(
            account: input.query.account, range: range, limit: input.query.limit ?? 100, offset: input.query.offset ?? 0))
        return .ok(.init(body: .json(.init(
            account: document.account, code: document.code, currency: document.currency, from: document.from,
            to: document.to, opening: document.opening, closing: document.closing, count: document.count,
            offset: document.offset, limit: document.limit, lines: document.lines.map {
                .init(entryId: $0.entryId, number: $0.number, journal: $0.journal, date: $0.date, memo: $0.memo,
                      account: $0.account, partner: $0.partner, currency: $0.currency, amount: $0.amount,
                      debit: $0.debit, credit: $0.credit, balance: $0.balance)
            }))))
    }

    func listPeriods(_ input: Operations.ListPeriods.Input) async throws -> Operations.ListPeriods.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        return .ok(.init(body: .json(.init(items: try await request.ledger.periods().map(\.api)))))
    }

    func changePeriod(_ input: Operations.ChangePeriod.Input) async throws -> Operations.ChangePeriod.Output {
        let principal = try request.requirePrincipal()
        var reason: String?
        if case .json(let body) = input.body { reason = body.reason }
        let ledger = request.ledger
        let month = input.path.month
        let period: PeriodInfo
        switch input.path.action {
        case .close: period = try await ledger.closePeriod(month, by: principal)
        case .reopen: period = try await ledger.reopenPeriod(month, reason: reason ?? "", by: principal)
        case .lock: period = try await ledger.lockPeriod(month, by: principal)
        }
        return .ok(.init(body: .json(period.api)))
    }

    func closeYear(_ input: Operations.CloseYear.Input) async throws -> Operations.CloseYear.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let company = try await request.ledger.requireCompany()
        let result = try await request.ledger.closeYear(endingOn: try CivilDate.parse(body.date, field: "date"),
                                                        by: principal)
        return .created(.init(body: .json(.init(
            from: result.from.description, to: result.to.description,
            entry: .init(id: result.entry.id, number: result.entry.number, replayed: result.entry.replayed),
            earnings: Money(minorUnits: result.earnings, currency: company.currency).decimalString,
            monthsClosed: result.monthsClosed))))
    }
}

extension APIHandler {
    func listDrafts(_ input: Operations.ListDrafts.Input) async throws -> Operations.ListDrafts.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .write))
        let company = try await request.ledger.requireCompany()
        return .ok(.init(body: .json(.init(items: try await request.ledger.drafts().map { $0.api(company.currency) }))))
    }

    func createDraft(_ input: Operations.CreateDraft.Input) async throws -> Operations.CreateDraft.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let company = try await request.ledger.requireCompany()
        let draft = try await request.ledger.saveDraft(try EntryWire.entry(body, functional: company.currency, prefix: ""),
                                                       by: principal)
        return .created(.init(body: .json(draft.api(company.currency))))
    }

    func getDraft(_ input: Operations.GetDraft.Input) async throws -> Operations.GetDraft.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .write))
        let company = try await request.ledger.requireCompany()
        return .ok(.init(body: .json(try await request.ledger.draft(id: input.path.id).api(company.currency))))
    }

    func updateDraft(_ input: Operations.UpdateDraft.Input) async throws -> Operations.UpdateDraft.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let company = try await request.ledger.requireCompany()
        let draft = try await request.ledger.saveDraft(try EntryWire.entry(body, functional: company.currency, prefix: ""),
                                                       id: input.path.id, by: principal)
        return .ok(.init(body: .json(draft.api(company.currency))))
    }

    func deleteDraft(_ input: Operations.DeleteDraft.Input) async throws -> Operations.DeleteDraft.Output {
        try await request.ledger.deleteDraft(id: input.path.id, by: try request.requirePrincipal())
        return .noContent(.init())
    }

    func postDraft(_ input: Operations.PostDraft.Input) async throws -> Operations.PostDraft.Output {
        let result = try await request.ledger.postDraft(id: input.path.id, by: try request.requirePrincipal())
        return .created(.init(body: .json(.init(id: result.id, number: result.number, replayed: result.replayed))))
    }
}

extension Draft {
    func api(_ functional: Currency) -> Components.Schemas.Draft {
        .init(id: id, entry: EntryWire.wire(entry, functional: functional), createdBy: createdBy, updatedBy: updatedBy)
    }
}

extension APIHandler {
    func listRates(_ input: Operations.ListRates.Input) async throws -> Operations.ListRates.Output {
        try require(try request.requirePrincipal(), Permission("ledger", .read))
        let rates = try await request.ledger.rates(currency: input.query.currency)
        return .ok(.init(body: .json(.init(items: rates.map {
            .init(currency: $0.currency.code, date: $0.date.description, rate: "\($0.rate)")
        }))))
    }

    func setRates(_ input: Operations.SetRates.Input) async throws -> Operations.SetRates.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        do {
            let count = try await request.ledger.setRates(body.items.enumerated().map {
                (line: $0.offset, currency: $0.element.currency, date: $0.element.date, rate: $0.element.rate)
            }, source: "api", by: principal)
            return .created(.init(body: .json(.init(recorded: count))))
        } catch let error as DomainError where error.code == "ledger.rates.invalid" {
            throw Self.byIndex(error, "rates")
        }
    }

    func setBudgets(_ input: Operations.SetBudgets.Input) async throws -> Operations.SetBudgets.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        do {
            let count = try await request.ledger.setBudgets(body.items.enumerated().map {
                BudgetRow(line: $0.offset, account: $0.element.account, month: $0.element.month, amount: $0.element.amount,
                          dimension: $0.element.dimension ?? "")
            }, source: "api", by: principal)
            return .created(.init(body: .json(.init(recorded: count))))
        } catch let error as DomainError where error.code == "ledger.budget.invalid" {
            throw Self.byIndex(error, "budget rows")
        }
    }

    /// A bulk write's problems come from the Ledger numbered like the rows of a file; over the API the items are
    /// numbered by their index in the request.
    static func byIndex(_ error: DomainError, _ what: String) -> DomainError {
        DomainError(error.kind, error.code, "\(error.items.count) \(what) cannot be recorded; none was",
                    items: error.items.map { .init(index: $0.line, field: $0.field, code: $0.code, message: $0.message) })
    }

    func revalue(_ input: Operations.Revalue.Input) async throws -> Operations.Revalue.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let company = try await request.ledger.requireCompany()
        let result = try await request.ledger.revalue(asOf: try CivilDate.parse(body.date, field: "date"), by: principal)
        return .created(.init(body: .json(.init(
            entry: .init(id: result.entry.id, number: result.entry.number, replayed: result.entry.replayed),
            difference: Money(minorUnits: result.difference, currency: company.currency).decimalString))))
    }
}

extension PeriodInfo {
    var api: Components.Schemas.Period {
        .init(month: month, state: .init(rawValue: state.rawValue)!, reason: reason)
    }
}

/// Reading entries from the wire: decimal strings with a currency code, dates as YYYY-MM-DD. Each problem
/// names its JSON path.
enum EntryWire {
    static func entry(_ wire: Components.Schemas.NewEntry, functional: Currency, prefix: String)
        throws(DomainError) -> ProposedEntry {
        let date = try CivilDate.parse(wire.date, field: prefix + "date")
        var lines: [ProposedLine] = []
        for (index, line) in wire.lines.enumerated() {
            let path = "\(prefix)lines[\(index)]."
            let currency = try Currency.parse(line.currency, field: path + "currency")
            func amount(_ text: String?, _ name: String, in currency: Currency) throws(DomainError) -> Int64? {
                guard let text else { return nil }
                return try Money.parse(text, currency: currency, field: path + name).minorUnits
            }
            var rate: Decimal?
            if let text = line.rate { rate = try Decimals.parse(text, field: path + "rate") }
            var dueDate: CivilDate?
            if let text = line.dueDate { dueDate = try CivilDate.parse(text, field: path + "dueDate") }
            lines.append(ProposedLine(
                account: line.account, debit: try amount(line.debit, "debit", in: currency),
                credit: try amount(line.credit, "credit", in: currency), currency: currency,
                rate: rate,
                functionalAmount: try amount(line.functionalAmount, "functionalAmount", in: functional),
                memo: line.memo, partner: line.partner,
                dueDate: dueDate,
                dimensions: line.dimensions?.additionalProperties ?? [:]))
        }
        return ProposedEntry(journal: wire.journal ?? "GEN", date: date, memo: wire.memo, lines: lines,
                             idempotencyKey: wire.idempotencyKey)
    }

    /// An entry as the wire writes it (drafts are read back this way).
    static func wire(_ entry: ProposedEntry, functional: Currency) -> Components.Schemas.NewEntry {
        .init(journal: entry.journal, date: entry.date.description, memo: entry.memo,
              idempotencyKey: entry.idempotencyKey, lines: entry.lines.map { line in
                  func amount(_ minor: Int64?, _ currency: Currency) -> String? {
                      minor.map { Money(minorUnits: $0, currency: currency).decimalString }
                  }
                  return .init(account: line.account, debit: amount(line.debit, line.currency),
                               credit: amount(line.credit, line.currency), currency: line.currency.code,
                               rate: line.rate.map { "\($0)" }, functionalAmount: amount(line.functionalAmount, functional),
                               memo: line.memo, partner: line.partner, dueDate: line.dueDate?.description,
                               dimensions: line.dimensions.isEmpty ? nil : .init(additionalProperties: line.dimensions))
              })
    }
}

extension Account {
    var api: Components.Schemas.Account {
        .init(id: id, code: code, name: name, fullName: fullName, _type: .init(rawValue: type.rawValue)!,
              subtype: subtype.rawValue, header: isHeader, archived: archived, currency: currency?.code)
    }
}
