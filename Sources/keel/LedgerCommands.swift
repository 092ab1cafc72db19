import ArgumentParser
import Foundation
import Kernel
import Ledger
import Platform
import Vapor
import Web

struct CompanyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "company", abstract: "The company the books are for.",
                                                    subcommands: [Init.self])

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the company up once and load the standard chart of accounts.")
        @ArgumentParser.Option var name: String
        @ArgumentParser.Option(help: "Functional currency, ISO 4217 (EUR, USD, ...).") var currency: String
        @ArgumentParser.Option(help: "Month the fiscal year starts in, 1-12.") var fiscalYearStartMonth = 1
        @ArgumentParser.Option(help: "What 'today' means, e.g. Europe/Berlin.") var timeZone = "UTC"

        func run() async throws {
            try await withApplication { app, _ in
                let company = try await LedgerService(db: app.db, context: app.keelContext).setUpCompany(
                    name: name, currency: currency, fiscalYearStartMonth: fiscalYearStartMonth, timeZone: timeZone,
                    by: .system)
                say("company \(company.name) set up in \(company.currency.code); standard chart loaded")
            }
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Print reports.",
                                                    subcommands: [TrialBalance.self, BalanceSheet.self, IncomeStatement.self,
                                                                  CashFlow.self, GeneralLedgerDetail.self,
                                                                  BudgetVsActual.self, Dimensions.self])

    struct TrialBalance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trial-balance",
            abstract: "Balances per postable account and currency, debit positive (as ledger-cli prints them).")
        @ArgumentParser.Option(help: "Last day included, YYYY-MM-DD (default: today in the company's time zone).")
        var asOf: String?
        @ArgumentParser.Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() async throws {
            try await withApplication { app, _ in
                let ledger = LedgerService(db: app.db, context: app.keelContext)
                let company = try await ledger.requireCompany()
                let date = try asOf.map { try CivilDate.parse($0, field: "--as-of") } ?? company.today(app.keelContext.clock)
                let rows = try await ledger.trialBalance(asOf: date)
                switch format {
                case .table: print(TrialBalanceFormat.table(rows, functional: company.currency, asOf: date), terminator: "")
                case .csv: print(TrialBalanceFormat.csv(rows, functional: company.currency), terminator: "")
                case .json:
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    let items = rows.map {
                        ["account": $0.account.fullName, "code": $0.account.code, "currency": $0.currency.code,
                         "balance": Money(minorUnits: $0.balance, currency: $0.currency).decimalString,
                         "functionalBalance": Money(minorUnits: $0.functionalBalance, currency: company.currency).decimalString]
                    }
                    print(String(decoding: try encoder.encode(items), as: UTF8.self))
                }
            }
        }
    }
}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export the books.",
                                                    subcommands: [LedgerFile.self, BeancountFile.self, Chart.self])

    struct Chart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the chart of accounts as CSV.")
        @ArgumentParser.Argument(help: "The file to write ('-' for standard output).") var file: String

        func run() async throws {
            try await withApplication { app, _ in
                let text = try await LedgerService(db: app.db, context: app.keelContext).chartCSV()
                if file == "-" {
                    print(text, terminator: "")
                } else {
                    guard FileManager.default.createFile(atPath: file, contents: Data(text.utf8)) else {
                        throw DomainError.invalid("export.file", "Cannot write \(file)")
                    }
                    say("wrote the chart to \(file)")
                }
            }
        }
    }

    struct LedgerFile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ledger", abstract: "Write the books as a ledger-cli / hledger journal.")
        @ArgumentParser.Argument(help: "The file to write ('-' for standard output).") var file: String
        func run() async throws { try await exportBooks(.ledger, to: file) }
    }

    struct BeancountFile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "beancount", abstract: "Write the books as a beancount file (bean-check accepts it).")
        @ArgumentParser.Argument(help: "The file to write ('-' for standard output).") var file: String
        func run() async throws { try await exportBooks(.beancount, to: file) }
    }
}

func exportBooks(_ format: PlainTextFormat, to file: String) async throws {
    try await withApplication { app, _ in
        let output: FileHandle
        if file == "-" {
            output = .standardOutput
        } else {
            guard FileManager.default.createFile(atPath: file, contents: nil) else {
                throw DomainError.invalid("export.file", "Cannot write \(file)")
            }
            output = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        }
        defer { if file != "-" { try? output.close() } }
        let count = try await LedgerService(db: app.db, context: app.keelContext).export(format) {
            output.write(Data($0.utf8))
        }
        if file != "-" { say("exported \(count) entries to \(file)") }
    }
}

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import books.",
                                                    subcommands: [LedgerFile.self, BeancountFile.self, CSVFile.self, Chart.self, Rates.self,
                                                                  Budget.self])

    struct CSVFile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "csv",
            abstract: "Import postings from CSV, one row per line; nothing is written unless the whole file is valid.",
            discussion: """
                Columns (header row, any order): date, entry (consecutive rows with the same value form one entry), \
                account (code or full name), currency, debit and credit (or a signed amount); optional journal, \
                memo, line_memo, functional_amount. One row per entry may leave its amount empty.
                """)
        @ArgumentParser.Argument var file: String
        @ArgumentParser.Option(help: "The functional currency of a fresh database.") var currency: String?
        @ArgumentParser.Flag(help: "Import a file whose content was imported before (its entries post twice).")
        var again = false
        func run() async throws { try await importBooks(.csv, file: file, currency: currency, again: again) }
    }

    struct Chart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add accounts from a chart CSV (code,full_name[,type,subtype,header,archived,currency]).")
        @ArgumentParser.Argument var file: String

        func run() async throws {
            try await importTable(file) { ledger, text, source in
                "added \(try await ledger.importChart(text, source: source, by: .system)) accounts"
            }
        }
    }

    struct Budget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import budget figures from CSV (header account,month,amount[,dimension]), all or nothing.")
        @ArgumentParser.Argument var file: String

        func run() async throws {
            try await importTable(file) { ledger, text, source in
                let count = try await ledger.setBudgets(try LedgerService.budgetCSV(text), source: source, by: .system)
                return "recorded \(count) budget figures"
            }
        }
    }

    struct Rates: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import exchange rates from CSV (header date,currency,rate), all or nothing.")
        @ArgumentParser.Argument var file: String

        func run() async throws {
            try await importTable(file) { ledger, text, source in
                let count = try await ledger.setRates(try LedgerService.ratesCSV(text), source: source, by: .system)
                return "recorded \(count) rates"
            }
        }
    }

    struct LedgerFile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ledger",
            abstract: "Import a ledger-cli / hledger journal; nothing is written unless the whole file is valid.",
            discussion: """
                Imports transactions, postings with ISO 4217 amounts, one elided amount per transaction, \
                '@@ TOTAL' in the functional currency, comments and account directives. Missing accounts are \
                created from their names. On a fresh database the company is set up first.
                """)
        @ArgumentParser.Argument var file: String
        @ArgumentParser.Option(help: "The currency '$' means, and the functional currency of a fresh database.")
        var currency: String?
        @ArgumentParser.Flag(help: "Import a file whose content was imported before (its entries post twice).")
        var again = false
        func run() async throws { try await importBooks(.ledger, file: file, currency: currency, again: again) }
    }

    struct BeancountFile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "beancount",
            abstract: "Import a beancount file; nothing is written unless the whole file is valid.",
            discussion: """
                Imports option operating_currency, open, close, commodity (ISO 4217), transactions with tags, links \
                and metadata (kept in the memo), one elided amount per transaction and '@@ TOTAL'. balance, pad, \
                price, costs and per-unit prices are refused with their line. Accounts are matched to the chart by \
                their beancount names; missing ones are created.
                """)
        @ArgumentParser.Argument var file: String
        @ArgumentParser.Option(help: "The functional currency of a fresh database (default: operating_currency).")
        var currency: String?
        @ArgumentParser.Flag(help: "Import a file whose content was imported before (its entries post twice).")
        var again = false
        func run() async throws { try await importBooks(.beancount, file: file, currency: currency, again: again) }
    }
}

/// Boots Keel, reads a small CSV file whole and hands its text and name to `work`, which returns the line to print.
func importTable(_ file: String, _ work: (LedgerService, String, String) async throws -> String) async throws {
    try await withApplication { app, _ in
        guard let data = FileManager.default.contents(atPath: file) else {
            throw DomainError.notFound("import.file_missing", "Cannot read \(file)")
        }
        let ledger = LedgerService(db: app.db, context: app.keelContext)
        say(try await work(ledger, String(decoding: data, as: UTF8.self), URL(fileURLWithPath: file).lastPathComponent))
    }
}

func importBooks(_ format: PlainTextFormat, file: String, currency: String?, again: Bool) async throws {
    let onTerminal = isatty(STDERR_FILENO) == 1
    let showProgress: @Sendable (Int) -> Void = { count in
        FileHandle.standardError.write(Data("\rposted \(count) entries".utf8))
    }
    try await withApplication { app, _ in
        DatabaseSetup.allowBulkWrites(app)
        let summary = try await LedgerService(db: app.db, context: app.keelContext).importJournal(
            path: file, format: format, currency: currency, again: again, by: .system,
            progress: onTerminal ? showProgress : nil)
        if onTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
        say("imported \(summary.entries) entries from \(summary.file) (sha256 \(summary.sha256.prefix(12))...), "
            + "\(summary.accountsCreated) accounts created"
            + (summary.companyCreated ? ", company set up" : ""))
    }
}
