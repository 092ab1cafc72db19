import Catalog
import Fluent
import Foundation
import Kernel
import Ledger
import Metrics
import OpenAPIRuntime
import Parties
import People
import Platform
import Prometheus
import Sales
import Vapor
import Yams

/// Options the composition root needs besides the configuration.
public struct ConfigureOptions: Sendable {
    /// Runs pending migrations during `configure` (serve, tests); `keel migrate` runs them itself.
    public var migrate: Bool
    /// Starts the outbox dispatcher inside the process (serve only; tests dispatch by hand).
    public var backgroundWork: Bool
    public var clock: any Clock

    public init(migrate: Bool = true, backgroundWork: Bool = false, clock: any Clock = SystemClock()) {
        self.migrate = migrate
        self.backgroundWork = backgroundWork
        self.clock = clock
    }
}

/// The one composition root: database, migrations, event handlers, middleware, API and pages, in one list.
/// Called by `keel serve`, by the CLI commands that need the database, and by the tests.
public func configure(_ app: Application, config: KeelConfig, options: ConfigureOptions = .init()) async throws {
    MetricsEndpoint.bootstrap()
    let context = PlatformContext(config: config, clock: options.clock, events: EventHandlers())
    app.keel = KeelServices(context: context)
    app.routes.defaultMaxBodySize = ByteCount(integerLiteral: config.requestBodyBytesMax)
    app.passwords.use(.bcrypt(cost: config.bcryptCost))

    // Database and migrations, in dependency order (areas append theirs after the platform's).
    try DatabaseSetup.register(config.database, config: config, on: app)
    try await DatabaseSetup.prepare(app)
    app.migrations.add(PlatformMigrations.all)
    app.migrations.add(LedgerMigrations.all)
    app.migrations.add(PartiesMigrations.all)
    app.migrations.add(CatalogMigrations.all)
    app.migrations.add(SalesMigrations.all)
    app.migrations.add(PeopleMigrations.all)
    if options.migrate { try await migrateUnderLock(app) }

    // Event handlers: areas register their reactions to other areas' events here.
    for event in Webhooks.events {
        context.events.on(event) { event, tx in try await Webhooks.enqueue(event, on: tx, clock: context.clock) }
    }
    app.http.client.configuration.timeout = .init(connect: .seconds(5), read: .seconds(15))

    // Middleware, outermost first.
    app.middleware = Middlewares()
    app.middleware.use(RequestIDMiddleware())
    app.middleware.use(SecurityHeadersMiddleware())
    app.middleware.use(KeelErrorMiddleware())

    registerStaticFiles(app)
    registerOperationalRoutes(app)
    try registerAPI(app)
    registerPages(app)

    if options.backgroundWork {
        OutboxDispatcher.start(app)
        ScheduledJobs.start(app)
    }
}

/// Runs pending migrations; on PostgreSQL under an advisory lock so several starting nodes do not race.
/// Returns the names of the migrations it applied, in order (none when the database was up to date).
@discardableResult
public func migrateUnderLock(_ app: Application) async throws -> [String] {
    @Sendable func run() async throws -> [String] {
        try await app.migrator.setupIfNeeded().get()
        let pending = try await app.migrator.previewPrepareBatch().get().map { $0.0.name }
        try await app.migrator.prepareBatch().get()  // what autoMigrate does after the setup above
        return pending
    }
    let db = app.db
    guard db.isPostgres else { return try await run() }
    return try await db.withConnection { connection in
        try await connection.sql.raw("SELECT pg_advisory_lock(727274)").run()
        do {
            let applied = try await run()
            try await connection.sql.raw("SELECT pg_advisory_unlock(727274)").run()
            return applied
        } catch {
            try? await connection.sql.raw("SELECT pg_advisory_unlock(727274)").run()
            throw error
        }
    }
}

/// The resource folder holding `static/` (stylesheet, icons); `/static/...` URLs map onto it.
func staticDirectory() -> String {
    (Bundle.module.resourceURL ?? URL(fileURLWithPath: ".")).path + "/"
}

/// The stylesheet and icons, under `/static/` only. As a global middleware the file lookup ran for every request
/// (a path decoding and a `stat` per API call) and would have served any other file of the resource folder.
func registerStaticFiles(_ app: Application) {
    app.grouped(FileMiddleware(publicDirectory: staticDirectory(), defaultFile: nil))
        .get("static", "**") { _ -> Response in throw Abort(.notFound) }
}

/// Health, metrics and the API document: outside the page and API middleware.
func registerOperationalRoutes(_ app: Application) {
    app.get("healthz") { request async throws -> Response in
        guard await DatabaseSetup.ping(request.db) else {
            throw DomainError(.unavailable, "health.database", "The database does not answer")
        }
        return try await ["status": "ok"].encodeResponse(for: request)
    }
    app.grouped(BearerAuthMiddleware()).get("metrics", use: MetricsEndpoint.scrape)
    app.get("api", "openapi.json") { request async throws -> Response in
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(data: try OpenAPIDocument.json()))
    }
}

/// The JSON API generated from openapi.yaml, behind bearer-token authentication and the body limit.
func registerAPI(_ app: Application) throws {
    let api = app.grouped(BearerAuthMiddleware(), APIRequestMiddleware())
    let transport = APITransport(routes: api)
    // Compact JSON, keys sorted (as the problem documents are): the runtime's default also pretty-prints, which
    // is bigger on the wire and slower to make for every response.
    try APIHandler().registerHandlers(on: transport, serverURL: URL(string: "/")!,
                                      configuration: OpenAPIRuntime.Configuration(jsonEncodingOptions: [.sortedKeys]))
}

/// The HTML pages: session cookie, CSRF on every unsafe form, and sign-in where needed.
func registerPages(_ app: Application) {
    let pages = app.grouped(SessionAuthMiddleware(), CSRFMiddleware())
    SessionPages.register(pages)
    let signedIn = pages.grouped(RequireSignInMiddleware())
    AccountPages.register(signedIn)
    UserPages.register(signedIn)
    AuditPage.register(signedIn)
    LedgerPages.register(signedIn)
    ReportPages.register(signedIn)
    PeriodPages.register(signedIn)
    RatePages.register(signedIn)
    TaxPages.register(signedIn)
    PartnerPages.register(signedIn)
    ProductPages.register(signedIn)
    SalesPages.register(signedIn)
    WebhookPages.register(signedIn)
    CompanyPages.register(signedIn)
    PeoplePages.register(signedIn)
    LeavePages.register(signedIn)
    HiringPages.register(signedIn)
    WorkPages.register(signedIn)
    PeopleReportPages.register(signedIn)
}

/// The OpenAPI document, converted once from the YAML the server code was generated from.
enum OpenAPIDocument {
    static let cached: Result<Data, any Error> = Result {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw DomainError(.unavailable, "api.document.missing", "openapi.yaml is not in the resources")
        }
        let object = try Yams.load(yaml: String(contentsOf: url, encoding: .utf8)) ?? [:]
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    static func json() throws -> Data { try cached.get() }
}
