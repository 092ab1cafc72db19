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
        let labels = [("database", databaseLabel(request))]
        func gauge(_ name: String, unit: String = "", _ help: String) -> Prometheus.Gauge {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "keel", metricName: name, unitName: unit,
                                                                helpText: help), labels: labels)
        }
        gauge("db_up", "1 when the database answers").set(healthy ? 1.0 : 0.0)
        gauge("db_ping", unit: "seconds", "How long a SELECT 1 took at scrape time").set(pingSeconds)
        gauge("db_pool_connections_max", "Connections the pool may open").set(Double(poolSize(request)))
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
