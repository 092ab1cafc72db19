import ArgumentParser
import Foundation
import Kernel
import Ledger
import Platform
import Vapor
import Web

/// The dates and format every statement command takes.
struct StatementOptions: ParsableArguments {
    @ArgumentParser.Option(help: "Last day included, YYYY-MM-DD (balance sheet; default: today).") var asOf: String?
    @ArgumentParser.Option(help: "First day of the period, YYYY-MM-DD (default: start of the fiscal year).")
    var from: String?
    @ArgumentParser.Option(help: "Last day of the period, YYYY-MM-DD (default: today).") var to: String?
    @ArgumentParser.Flag(help: "Add a column for the same dates a year earlier.") var compare = false
    @ArgumentParser.Option(help: "table, csv or json.") var format: OutputFormat = .table

    func dates(today: CivilDate) throws(DomainError) -> [CivilDate] {
        try ReportDates.balanceSheet(asOf: asOf ?? to, compare: compare, today: today)
    }

    func ranges(_ company: Company, today: CivilDate) throws(DomainError) -> [DateRange] {
        try ReportDates.periods(from: from, to: to ?? asOf, compare: compare, company: company, today: today)
    }

    /// Boots Keel, builds the statement from the ledger, the company and today, and prints it in the chosen format.
    func run(_ build: (LedgerService, Company, CivilDate) async throws -> Statement) async throws {
        try await withApplication { app, _ in
            let ledger = LedgerService(db: app.db, context: app.keelContext)
            let company = try await ledger.requireCompany()
            try print(try await build(ledger, company, company.today(app.keelContext.clock)))
        }
    }

    func print(_ statement: Statement) throws {
        switch format {
        case .table: Swift.print(StatementFormat.table(statement), terminator: "")
        case .csv: Swift.print(StatementFormat.csv(statement), terminator: "")
        case .json: Swift.print(try prettyJSON(StatementDocument(statement)))
        }
    }
}

func prettyJSON(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

extension ReportCommand {
    struct BalanceSheet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "balance-sheet", abstract: "Assets, liabilities and equity as of a date.")
        @OptionGroup var options: StatementOptions

        func run() async throws {
            try await options.run { ledger, _, today in
                try await ledger.balanceSheet(asOf: try options.dates(today: today))
            }
        }
    }

    struct IncomeStatement: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "income-statement", abstract: "Income and expenses over a period (profit and loss).")
        @OptionGroup var options: StatementOptions

        func run() async throws {
            try await options.run { ledger, company, today in
                try await ledger.incomeStatement(try options.ranges(company, today: today))
            }
        }
    }

    struct CashFlow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cash-flow", abstract: "Cash-flow statement over a period (indirect method).")
        @OptionGroup var options: StatementOptions

        func run() async throws {
            try await options.run { ledger, company, today in
                try await ledger.cashFlow(try options.ranges(company, today: today))
            }
        }
    }

    struct BudgetVsActual: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "budget-vs-actual", abstract: "Income and expenses against the budget over a period.")
        @OptionGroup var options: StatementOptions
        @ArgumentParser.Option(help: "Only one dimension value, e.g. department=Sales.") var dimension = ""

        func run() async throws {
            try await options.run { ledger, company, today in
                try await ledger.budgetVsActual(try options.ranges(company, today: today)[0], dimension: dimension)
            }
        }
    }

    struct Dimensions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dimensions", abstract: "Income and expenses split by one dimension (department, project...).")
        @OptionGroup var options: StatementOptions
        @ArgumentParser.Option(help: "The dimension to split by.") var key = "department"

        func run() async throws {
            try await options.run { ledger, company, today in
                try await ledger.activityByDimension(try options.ranges(company, today: today)[0], key: key)
            }
        }
    }

    struct GeneralLedgerDetail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "general-ledger",
            abstract: "Every line of an account (a header takes in its accounts) with the running balance.")
        @ArgumentParser.Option(help: "The account, by code or full name.") var account: String
        @OptionGroup var options: StatementOptions
        @ArgumentParser.Option(help: "Lines per page, 1-1000.") var limit = 1000
        @ArgumentParser.Option(help: "Lines to skip.") var offset = 0

        func run() async throws {
            try await withApplication { app, _ in
                let ledger = LedgerService(db: app.db, context: app.keelContext)
                let company = try await ledger.requireCompany()
                let range = try options.ranges(company, today: company.today(app.keelContext.clock))[0]
                let detail = try await ledger.generalLedger(account: account, range: range, limit: limit, offset: offset)
                switch options.format {
                case .table: print(GeneralLedgerFormat.table(detail), terminator: "")
                case .csv: print(GeneralLedgerFormat.csv(detail), terminator: "")
                case .json: print(try prettyJSON(GeneralLedgerDocument(detail)))
                }
            }
        }
    }
}

struct PeriodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "period", abstract: "Open, close and lock months; close a fiscal year.",
        subcommands: [List.self, Close.self, Reopen.self, Lock.self, CloseYear.self, Revalue.self])

    struct Revalue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revalue foreign-currency balances at the rates on file for a date.")
        @ArgumentParser.Option(help: "The revaluation date, YYYY-MM-DD (usually a month end).") var date: String
        func run() async throws {
            try await withApplication { app, _ in
                let ledger = LedgerService(db: app.db, context: app.keelContext)
                let company = try await ledger.requireCompany()
                let result = try await ledger.revalue(asOf: try CivilDate.parse(date, field: "--date"), by: .system)
                say("posted \(result.entry.number): \(result.lines.count) balances revalued, difference "
                    + Money(minorUnits: result.difference, currency: company.currency).decimalString
                    + " \(company.currency.code)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Months with postings and their state.")
        func run() async throws {
            try await withApplication { app, _ in
                for period in try await LedgerService(db: app.db, context: app.keelContext).periods() {
                    say("\(period.month)  \(period.state.rawValue)" + (period.reason.map { "  (\($0))" } ?? ""))
                }
            }
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a month (YYYY-MM): nothing can be posted into it.")
        @ArgumentParser.Argument var month: String
        func run() async throws {
            try await withApplication { app, _ in
                _ = try await LedgerService(db: app.db, context: app.keelContext).closePeriod(month, by: .system)
                say("\(month) closed")
            }
        }
    }

    struct Reopen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reopen a closed month; the reason is audited.")
        @ArgumentParser.Argument var month: String
        @ArgumentParser.Option var reason: String
        func run() async throws {
            try await withApplication { app, _ in
                _ = try await LedgerService(db: app.db, context: app.keelContext).reopenPeriod(month, reason: reason,
                                                                                               by: .system)
                say("\(month) reopened")
            }
        }
    }

    struct Lock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lock a closed month for good.")
        @ArgumentParser.Argument var month: String
        func run() async throws {
            try await withApplication { app, _ in
                _ = try await LedgerService(db: app.db, context: app.keelContext).lockPeriod(month, by: .system)
                say("\(month) locked")
            }
        }
    }

    struct CloseYear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "close-year",
            abstract: "Move the year's income and expenses to retained earnings and close its months.")
        @ArgumentParser.Option(help: "The fiscal year's last day, YYYY-MM-DD.") var date: String
        func run() async throws {
            try await withApplication { app, _ in
                let ledger = LedgerService(db: app.db, context: app.keelContext)
                let company = try await ledger.requireCompany()
                let result = try await ledger.closeYear(endingOn: try CivilDate.parse(date, field: "--date"), by: .system)
                say("closed \(result.from)..\(result.to) with entry \(result.entry.number): earnings "
                    + Money(minorUnits: result.earnings, currency: company.currency).decimalString
                    + " \(company.currency.code) to retained earnings; \(result.monthsClosed.count) months closed")
            }
        }
    }
}
