import Fluent
import Foundation
import Kernel
import Platform
import SQLKit

/// An exchange rate on file: units of functional currency per unit of `currency`, from `date` on.
public struct RateInfo: Sendable, Codable, Equatable {
    public let currency: Currency
    public let date: CivilDate
    public let rate: Decimal
}

/// What a revaluation did, per account and currency.
public struct Revaluation: Sendable, Codable, Equatable {
    public struct Line: Sendable, Codable, Equatable {
        public let account: String
        public let currency: Currency
        public let balance: Int64
        public let rate: Decimal
        public let before: Int64
        public let after: Int64
    }

    public let date: CivilDate
    public let entry: PostingResult
    public let lines: [Line]
    /// Gain positive, loss negative, functional minor units.
    public let difference: Int64
}

extension LedgerService {
    public func rates(currency: String? = nil, limit: Int = 500) async throws -> [RateInfo] {
        var query = RateModel.query(on: db).sort(\.$date, .descending).sort(\.$currency).limit(min(max(limit, 1), 5_000))
        if let currency { query = query.filter(\.$currency == currency) }
        return try await query.all().compactMap { row in
            guard let currency = Currency(code: row.currency), let date = try? CivilDate.parse(row.date),
                  let rate = Decimal(string: row.rate, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
            return RateInfo(currency: currency, date: date, rate: rate)
        }
    }

    /// Records many rates at once, all or nothing: `rows` are (line, currency, date, rate) as text; every bad row is
    /// reported with its line. One audit record for the lot.
    public func setRates(_ rows: [(line: Int, currency: String, date: String, rate: String)], source: String,
                         by actor: Principal) async throws -> Int {
        try require(actor, Permission("ledger", .write))
        let company = try await requireCompany()
        var parsed: [(Currency, CivilDate, Decimal)] = []
        var problems: [DomainError.Item] = []
        for row in rows {
            do throws(DomainError) {
                let currency = try Currency.parse(row.currency, field: "currency")
                if currency == company.currency {
                    throw .invalid("ledger.rate.functional",
                                              "\(currency) is the functional currency; its rate is always 1", field: "currency")
                }
                let date = try CivilDate.parse(row.date, field: "date")
                let rate = try Decimals.parse(row.rate, field: "rate")
                guard rate > 0 else { throw .invalid("ledger.rate.invalid", "A rate is positive", field: "rate") }
                parsed.append((currency, date, rate))
            } catch {
                problems.append(.init(line: row.line, field: error.field, code: error.code, message: error.message))
            }
        }
        if !problems.isEmpty {
            throw Self.rowsError("ledger.rates.invalid", source: source, problems, outcome: "; no rate was recorded")
        }
        guard !parsed.isEmpty else { throw DomainError.invalid("ledger.rates.empty", "\(source) has no rates") }
        // A later row for the same currency and date wins, as it would typed in one after the other.
        var latest: [String: Int] = [:]
        for (index, rate) in parsed.enumerated() { latest["\(rate.0.code)@\(rate.1)"] = index }
        let rates = parsed.enumerated().filter { latest["\($0.element.0.code)@\($0.element.1)"] == $0.offset }.map(\.element)
        return try await writeTransaction(db) { tx in
            for chunk in rates.chunked(200) {
                for (currency, date, _) in chunk {
                    try await RateModel.query(on: tx).filter(\.$currency == currency.code)
                        .filter(\.$date == date.description).delete()
                }
                var insert = tx.sql.insert(into: "ledger_rates").columns("id", "currency", "date", "rate")
                for (currency, date, rate) in chunk {
                    insert = insert.values(SQLBind(UUID.v7()), SQLBind(currency.code), SQLBind(date.description),
                                           SQLBind("\(rate)"))
                }
                try await insert.run()
            }
            try await context.audit(tx, actor, "ledger.rates.import", entity: "rates", id: source,
                                    before: nil as Int?, after: rates.count)
            return rates.count
        }
    }

    /// Reads rates CSV: a header `date,currency,rate` (any order), then one rate per row.
    public static func ratesCSV(_ text: String) throws(DomainError) -> [(line: Int, currency: String, date: String, rate: String)] {
        let (header, lines) = CSVLine.table(text)
        guard let date = header.firstIndex(of: "date"), let currency = header.firstIndex(of: "currency"),
              let rate = header.firstIndex(of: "rate") else {
            throw .invalid("ledger.rates.header", "The first row names the columns: date,currency,rate")
        }
        var rows: [(Int, String, String, String)] = []
        for (line, fields) in lines {
            func field(_ at: Int) -> String { at < fields.count ? fields[at] : "" }
            rows.append((line, field(currency), field(date), field(rate)))
        }
        return rows
    }

    /// Revalues every foreign-currency balance of asset and liability accounts at the rate on file for `date`: one
    /// entry moves each balance's functional value to balance x rate (half up), against Exchange Gains or Losses.
    public func revalue(asOf date: CivilDate, by actor: Principal) async throws -> Revaluation {
        try require(actor, Permission("ledger", .approve))
        let company = try await requireCompany()
        return try await writeTransaction(db) { tx in
            let ledger = LedgerService(db: tx, context: context)
            let accounts = Dictionary(uniqueKeysWithValues: try await ledger.accounts().map { (UUID(uuidString: $0.id)!, $0) })
            var lines: [Revaluation.Line] = []
            var proposed: [ProposedLine] = []
            var missing: [String] = []
            let sums = try await ledger.balanceSums(asOf: date).sorted { ($0.key.account.uuidString, $0.key.currency) <
                ($1.key.account.uuidString, $1.key.currency) }
            let foreign = Set(sums.compactMap { Currency(code: $0.key.currency) }).subtracting([company.currency])
            let rates = try await RateTable.load(on: tx, for: Dictionary(uniqueKeysWithValues: foreign.map {
                ($0, date...date)
            }))
            for (key, value) in sums where key.currency != company.currency.code {
                guard let account = accounts[key.account], account.type == .asset || account.type == .liability,
                      let currency = Currency(code: key.currency), value.0 != 0 || value.1 != 0 else { continue }
                guard let rate = rates.rate(currency, on: date) else {
                    missing.append(currency.code)
                    continue
                }
                let scale = Decimal(company.currency.minorUnitsPerMajor) / Decimal(currency.minorUnitsPerMajor)
                let target = try Money.round(Decimal(value.0) * rate * scale, .halfUp)
                let difference = target - value.1
                guard difference != 0 else { continue }
                lines.append(.init(account: account.fullName, currency: currency, balance: value.0, rate: rate,
                                   before: value.1, after: target))
                proposed.append(ProposedLine(account: account.code, debit: difference > 0 ? 0 : nil,
                                             credit: difference < 0 ? 0 : nil, currency: currency,
                                             functionalAmount: abs(difference),
                                             memo: "Revalue \(currency.code) \(Money(minorUnits: value.0, currency: currency).decimalString) at \(rate)"))
            }
            if !missing.isEmpty {
                throw DomainError.invalid("ledger.rate.missing", "No rate on file on or before \(date) for "
                                          + Set(missing).sorted().joined(separator: ", "), field: "date")
            }
            let net = lines.reduce(Int64(0)) { $0 + $1.after - $1.before }
            guard !proposed.isEmpty else {
                throw DomainError.conflict("ledger.revaluation.nothing",
                                           "Every foreign-currency balance already has its value at the rates of \(date)")
            }
            if net != 0 {
                let type: AccountType = net > 0 ? .income : .expense
                guard let target = accounts.values.sorted(by: { $0.code < $1.code }).first(where: {
                    $0.subtype == .exchangeDifferences && $0.type == type && !$0.isHeader && !$0.archived
                }) else {
                    throw DomainError.conflict("ledger.revaluation.account_missing",
                                               "There is no \(type.rawValue) account of subtype exchange_differences")
                }
                proposed.append(ProposedLine(account: target.code, debit: net < 0 ? -net : nil, credit: net > 0 ? net : nil,
                                             currency: company.currency, memo: "Exchange difference"))
            }
            let entry = try await ledger.post(ProposedEntry(journal: "GEN", date: date, memo: "FX revaluation as of \(date)",
                                                            lines: proposed), by: actor)
            return Revaluation(date: date, entry: entry, lines: lines, difference: net)
        }
    }
}
