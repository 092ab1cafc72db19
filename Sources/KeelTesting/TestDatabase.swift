import Fluent
import Foundation
import Kernel
import NIOConcurrencyHelpers
import Platform
import SQLKit
import Vapor
import Web

/// A fresh, migrated database per test. On SQLite it is a copy of a template file migrated once per process;
/// with `KEEL_TEST_DATABASE_URL` (a PostgreSQL URL whose user may create databases) it is a database created
/// from a template database, and dropped after the test. Parallelism is bounded below the server's limits.
public enum TestDatabases {
    /// bcrypt cost for tests: configuration, not a testing branch in production code.
    public static let bcryptCost = 4

    static let postgresURL: String? = {
        let url = ProcessInfo.processInfo.environment["KEEL_TEST_DATABASE_URL"] ?? ""
        return url.isEmpty ? nil : url
    }()

    public static var isPostgres: Bool { postgresURL != nil }

    static let gate = AsyncGate(limit: postgresURL == nil ? 6 : 8)
    static let templates = TemplateStore()

    /// Makes a database and a private folder (for the audit head file) for one test, and the cleanup to run after.
    static func makeDatabase() async throws -> (KeelConfig, @Sendable () async -> Void) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let removeFolder: @Sendable () -> Void = { try? FileManager.default.removeItem(at: folder) }
        if let admin = postgresURL {
            let template = try await templates.postgresTemplate(adminURL: admin)
            let name = "keel_t_" + UUID().lowercaseText.replacingOccurrences(of: "-", with: "")
            try await Admin.run(admin, "CREATE DATABASE \(name) TEMPLATE \(template)")
            var config = config(for: .postgres(url: try Admin.url(admin, database: name)))
            config.auditHeadPath = folder.appendingPathComponent("audit-head").path
            return (config, {
                try? await Admin.run(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
                removeFolder()
            })
        }
        let template = try await templates.sqliteTemplate()
        let path = folder.appendingPathComponent("keel.sqlite").path
        try FileManager.default.copyItem(atPath: template, toPath: path)
        return (config(for: .sqlite(path: path)), { removeFolder() })
    }

    static func config(for location: DatabaseLocation) -> KeelConfig {
        var config = KeelConfig(database: location)
        config.bcryptCost = bcryptCost
        config.postgresConnectionsPerLoop = 2
        return config
    }
}

/// Runs `body` with a configured application on a fresh database (migrated, no users).
public func withTestApp<T>(clock: any Clock = SystemClock(),
                           configure adjust: (inout KeelConfig) -> Void = { _ in },
                           _ body: (Application) async throws -> T) async throws -> T {
    try await TestDatabases.gate.run {
        var (config, cleanup) = try await TestDatabases.makeDatabase()
        adjust(&config)
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        do {
            try await configure(app, config: config, options: .init(migrate: true, backgroundWork: false, clock: clock))
            let result = try await body(app)
            try await app.asyncShutdown()
            await cleanup()
            return result
        } catch {
            try? await app.asyncShutdown()
            await cleanup()
            throw error
        }
    }
}

/// Runs `body` with a fresh database and the platform context (for use-case tests without HTTP).
public func withTestDatabase<T>(clock: any Clock = SystemClock(),
                                _ body: (any Database, PlatformContext) async throws -> T) async throws -> T {
    try await withTestApp(clock: clock) { app in try await body(app.db, app.keelContext) }
}

/// Bounds how many tests hold a database at once.
actor AsyncGate {
    private let limit: Int
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func enter() async {
        if running < limit {
            running += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func leave() {
        if waiters.isEmpty { running -= 1 } else { waiters.removeFirst().resume() }
    }

    nonisolated func run<T>(_ body: () async throws -> T) async throws -> T {
        await enter()
        do {
            let result = try await body()
            await leave()
            return result
        } catch {
            await leave()
            throw error
        }
    }
}

/// Migrates the template once per test process.
/// The first caller starts the work as a task; later callers await the same task (an actor alone would let a
/// second caller in while the first one awaits, and both would build the template).
actor TemplateStore {
    private var sqlite: Task<String, any Error>?
    private var postgres: Task<String, any Error>?

    func sqliteTemplate() async throws -> String {
        if sqlite == nil { sqlite = Task { try await Self.makeSQLiteTemplate() } }
        return try await sqlite!.value
    }

    func postgresTemplate(adminURL: String) async throws -> String {
        if postgres == nil { postgres = Task { try await Self.makePostgresTemplate(adminURL: adminURL) } }
        return try await postgres!.value
    }

    private static func makeSQLiteTemplate() async throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-template-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("template.sqlite").path
        try await migrate(.sqlite(path: path))
        return path
    }

    private static func makePostgresTemplate(adminURL: String) async throws -> String {
        let name = "keel_tpl_\(ProcessInfo.processInfo.processIdentifier)"
        try await Admin.run(adminURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        try await Admin.run(adminURL, "CREATE DATABASE \(name)")
        try await migrate(.postgres(url: try Admin.url(adminURL, database: name)))
        return name
    }

    private static func migrate(_ location: DatabaseLocation) async throws {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        do {
            try await configure(app, config: TestDatabases.config(for: location), options: .init(migrate: true))
            try await app.asyncShutdown()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }
}

/// Statements against the PostgreSQL server's maintenance database (create and drop test databases).
enum Admin {
    static func run(_ adminURL: String, _ statement: String) async throws {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        do {
            app.databases.use(.postgres(configuration: try .init(url: adminURL), maxConnectionsPerEventLoop: 1), as: .psql)
            try await (app.db as! any SQLDatabase).raw(SQLQueryString(statement)).run()
            try await app.asyncShutdown()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    static func url(_ adminURL: String, database: String) throws -> String {
        guard var parts = URLComponents(string: adminURL) else {
            throw DomainError.invalid("test.database_url", "KEEL_TEST_DATABASE_URL is not a URL")
        }
        parts.path = "/" + database
        return parts.string!
    }
}
