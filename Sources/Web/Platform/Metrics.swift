import Kernel
import Metrics
import Platform
import Prometheus
import Vapor

/// Prometheus metrics: Vapor reports requests and latencies through swift-metrics; Keel adds the database pool.
/// The metrics system is process-wide, so it is bootstrapped once, however many applications a test makes.
enum MetricsEndpoint {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    static func bootstrap() { _ = registry }

    /// Served to loopback callers and to bearers of a token with `users:admin` only.
    @Sendable static func scrape(_ request: Request) async throws -> Response {
        let isLoopback = request.remoteAddress?.ipAddress.map { $0 == "::1" || $0.hasPrefix("127.") } ?? false
        let forwarded = request.headers.first(name: "X-Forwarded-For") != nil
        let isAdmin = request.principal?.can(Permission("users", .admin)) ?? false
        guard (isLoopback && !forwarded) || isAdmin else {
            throw DomainError.forbidden("metrics.forbidden", "Metrics are served to loopback or with an admin token")
        }
        let started = ContinuousClock.now
        let healthy = await DatabaseSetup.ping(request.db)
        let pingSeconds = (ContinuousClock.now - started).seconds
        registry.makeGauge(name: "keel_db_up", labels: [("database", databaseLabel(request))]).set(healthy ? 1.0 : 0.0)
        registry.makeGauge(name: "keel_db_ping_seconds", labels: [("database", databaseLabel(request))]).set(pingSeconds)
        registry.makeGauge(name: "keel_db_pool_connections_max", labels: [("database", databaseLabel(request))])
            .set(Double(poolSize(request)))
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4"])
        return Response(status: .ok, headers: headers, body: .init(data: Data(buffer)))
    }

    static func databaseLabel(_ request: Request) -> String { request.db.isPostgres ? "postgresql" : "sqlite" }

    /// Fluent keeps one SQLite connection per event loop, and the configured number per loop on PostgreSQL.
    static func poolSize(_ request: Request) -> Int {
        let loops = Array(request.application.eventLoopGroup.makeIterator()).count
        return request.db.isPostgres ? loops * request.context.config.postgresConnectionsPerLoop : loops
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Delivers outbox events inside `keel serve`: every second, or at once after a commit that wrote events.
enum OutboxDispatcher {
    static func start(_ app: Application) {
        let context = app.keelContext
        let logger = app.logger
        let db = app.db
        let task = Task.detached {
            while !Task.isCancelled {
                do {
                    try await Outbox.dispatch(on: db, handlers: context.events, clock: context.clock, logger: logger)
                } catch {
                    logger.warning("outbox dispatch failed: \(error)")
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        app.lifecycle.use(CancelOnShutdown(task: task))
    }

    struct CancelOnShutdown: LifecycleHandler {
        let task: Task<Void, Never>
        func shutdown(_ application: Application) { task.cancel() }
        func shutdownAsync(_ application: Application) async { task.cancel() }
    }
}
