import ArgumentParser
import Foundation
import Kernel
import Ledger
import NIOCore
import NIOPosix
import Platform
import Vapor
import Web

/// The process's entry. For `keel serve`, Swift Concurrency's tasks run on NIO's event loops (as in Vapor's own
/// template): a request awaiting a query resumes on the loop that completed it instead of waking a thread of a
/// second pool (measured: `/healthz` 5,600 -> 8,000 /s, an authenticated API read +20-30 %). Other commands keep
/// the default pool: an import's parsing then overlaps its writes (it ran about 10 % slower on the loops). This
/// must be the first thing the process does.
@main
enum Entrypoint {
    static func main() async {
        if CommandLine.arguments.dropFirst().first == "serve" {
            _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await KeelCommand.main()
    }
}

/// `keel`: the one binary. It boots Vapor itself; argv never reaches Vapor's own command system.
struct KeelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel",
        abstract: "Keel, the open-source back office.",
        discussion: "Configuration comes from KEEL_* environment variables; see the README.",
        subcommands: [Serve.self, Migrate.self, UserCommand.self, TokenCommand.self, Verify.self, Backup.self,
                      CompanyCommand.self, PeriodCommand.self, ReportCommand.self, ImportCommand.self, ExportCommand.self,
                      JobsCommand.self, BenchCommand.self]
    )
}

/// Boots an application on the configured database, runs `body`, and shuts it down. A `DomainError`
/// becomes `code: message` on stderr and a non-zero exit.
func withApplication<T>(migrate: Bool = true, backgroundWork: Bool = false, config given: KeelConfig? = nil,
                        _ body: (Application, KeelConfig) async throws -> T) async throws -> T {
    do {
        let config = try given ?? KeelConfig.fromEnvironment()
        let app = try await Application.make(Environment(name: "production", arguments: ["keel"]))
        app.logger.logLevel = ProcessInfo.processInfo.environment["KEEL_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .notice
        do {
            try await configure(app, config: config, options: .init(migrate: migrate, backgroundWork: backgroundWork))
            let result = try await body(app, config)
            try await app.asyncShutdown()
            // The audit head files of this process's commits are written off the committing thread: all of them
            // before the process ends.
            AuditHeadWriter.shared.settle()
            return result
        } catch {
            try? await app.asyncShutdown()
            AuditHeadWriter.shared.settle()
            throw error
        }
    } catch let error as DomainError {
        fail(error)
    }
}

/// Writes a line to stdout at once (no buffering), so a supervisor or a pipe sees it while Keel runs.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func fail(_ error: DomainError, exitCode: Int32 = 1) -> Never {
    AuditHeadWriter.shared.settle()
    FileHandle.standardError.write(Data("\(error.code): \(error.message)\n".utf8))
    for item in error.items {
        let place = item.line.map { "line \($0)" } ?? item.index.map { "item \($0)" } ?? ""
        FileHandle.standardError.write(Data("  \(place) \(item.field ?? ""): \(item.code): \(item.message)\n".utf8))
    }
    Foundation.exit(exitCode)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the web server (pages, API, background work).")

    @ArgumentParser.Option(help: "Address to listen on.") var host = "127.0.0.1"
    @ArgumentParser.Option(help: "Port to listen on.") var port = 8080
    @ArgumentParser.Flag(help: "On a database without an admin, create the demo company and an admin user.")
    var demo = false

    func run() async throws {
        try await withApplication(backgroundWork: true) { app, config in
            if demo {
                let outcome = try await Demo.seedIfNeeded(
                    app, adminPassword: ProcessInfo.processInfo.environment["KEEL_ADMIN_PASSWORD"])
                if let password = outcome.generatedAdminPassword { say("admin password: \(password)") }
                if outcome.created { say("demo company created; sign in as 'admin'") }
            }
            app.http.server.configuration.hostname = host
            app.http.server.configuration.port = port
            try await app.asyncBoot()
            try await app.server.start(address: .hostname(host, port: port))
            say("Keel is serving http://\(host):\(port) on \(config.database)")
            await Signals.waitForTermination()
            say("shutting down")
            await app.server.shutdown()
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run pending database migrations.")

    func run() async throws {
        try await withApplication(migrate: false) { app, config in
            let applied = try await migrateUnderLock(app)
            for name in applied { print("applied \(name)") }
            let count = "\(applied.count) migration\(applied.count == 1 ? "" : "s") applied"
            print(applied.isEmpty ? "migrations were already up to date on \(config.database)"
                                  : "\(count); up to date on \(config.database)")
        }
    }
}

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the audit chain (and, as areas arrive, the books). Exit 1 names the first broken row.")

    func run() async throws {
        let (database, report, books) = try await withApplication { app, config in
            (config.database.description, try await AuditVerifier.verify(on: app.db, headPath: config.auditHeadPath),
             try await LedgerService(db: app.db, context: app.keelContext).verifyBooks())
        }
        // Which database was checked comes first: run without KEEL_DATABASE_URL, verify checks the default file,
        // and "0 rows" there would otherwise read like a chain that was wiped.
        print("database: \(database)")
        if let problem = report.problem {
            fail(DomainError(.conflict, "audit.chain.broken", "row \(report.brokenSeq ?? 0): \(problem)"))
        }
        if let first = books.first {
            for problem in books.dropFirst() { FileHandle.standardError.write(Data("  \(problem)\n".utf8)) }
            fail(DomainError(.conflict, "ledger.books.broken", first))
        }
        if let warning = report.warning { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        print("audit chain intact: \(report.rows) rows" + (report.rows == 0 ? " (nothing has been recorded in this database)" : ""))
        print("books balance: every entry balances and every balance matches its lines")
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a consistent copy of the SQLite database.")

    @ArgumentParser.Option(help: "The file to write; it must not exist.") var to: String

    func run() async throws {
        try await withApplication { app, config in
            guard case .sqlite = config.database else {
                fail(DomainError(.invalid, "backup.postgres",
                                 "On PostgreSQL use pg_dump (for example: pg_dump --format=custom --file=keel.dump "
                                    + "\"$KEEL_DATABASE_URL\")"), exitCode: 2)
            }
            guard !FileManager.default.fileExists(atPath: to) else {
                throw DomainError.conflict("backup.target_exists", "\(to) already exists; choose a new file")
            }
            try await app.db.sql.raw("VACUUM INTO \(bind: to)").run()
            if let head = AuditHeadFile(path: config.auditHeadPath).read() {
                AuditHeadFile(path: to + ".audit-head").advance(to: head.seq, hash: head.hash)
            }
            print("backup written to \(to)")
        }
    }
}
