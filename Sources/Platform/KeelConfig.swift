import Foundation
import Kernel

/// Everything an operator can set, read once from the environment. Defaults suit a laptop.
public struct KeelConfig: Sendable {
    public var database: DatabaseLocation
    /// bcrypt work factor: 12 in production; tests set it low through `KEEL_BCRYPT_COST`.
    public var bcryptCost: Int
    /// Forces the `Secure` cookie flag (set it when a TLS proxy sits in front of Keel).
    public var secureCookies: Bool
    /// Where the audit chain head is written outside the database.
    public var auditHeadPath: String
    public var sessionHours: Int
    public var loginFailuresMax: Int
    public var loginBackoffSecondsMax: Int
    public var requestBodyBytesMax: Int
    /// How many connections each event loop may open to PostgreSQL.
    public var postgresConnectionsPerLoop: Int
    /// How long an API token's principal is kept after it was read (`BearerCache`); 0 reads it on every request.
    public var tokenCacheMilliseconds: Int

    public init(database: DatabaseLocation, bcryptCost: Int = 12, secureCookies: Bool = false,
                auditHeadPath: String? = nil, sessionHours: Int = 12, loginFailuresMax: Int = 10,
                loginBackoffSecondsMax: Int = 900, requestBodyBytesMax: Int = 1_048_576,
                postgresConnectionsPerLoop: Int = 4, tokenCacheMilliseconds: Int = 1_000) {
        self.database = database
        self.bcryptCost = bcryptCost
        self.secureCookies = secureCookies
        self.auditHeadPath = auditHeadPath ?? database.defaultAuditHeadPath
        self.sessionHours = sessionHours
        self.loginFailuresMax = loginFailuresMax
        self.loginBackoffSecondsMax = loginBackoffSecondsMax
        self.requestBodyBytesMax = requestBodyBytesMax
        self.postgresConnectionsPerLoop = postgresConnectionsPerLoop
        self.tokenCacheMilliseconds = tokenCacheMilliseconds
    }

    /// Reads `KEEL_*` variables; a malformed value is a `config.*` error naming the variable.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment)
        throws(DomainError) -> KeelConfig {
        let database = try DatabaseLocation.parse(env["KEEL_DATABASE_URL"] ?? "")
        var config = KeelConfig(database: database, auditHeadPath: env["KEEL_AUDIT_HEAD_PATH"])
        config.bcryptCost = try integer(env, "KEEL_BCRYPT_COST", default: 12, in: 4...31)
        config.secureCookies = env["KEEL_SECURE_COOKIES"] == "1"
        config.sessionHours = try integer(env, "KEEL_SESSION_HOURS", default: 12, in: 1...720)
        config.requestBodyBytesMax = try integer(env, "KEEL_REQUEST_BYTES_MAX", default: 1_048_576,
                                                 in: 1024...(256 * 1_048_576))
        config.postgresConnectionsPerLoop = try integer(env, "KEEL_PG_CONNECTIONS_PER_LOOP", default: 4, in: 1...64)
        config.tokenCacheMilliseconds = try integer(env, "KEEL_TOKEN_CACHE_MS", default: 1_000, in: 0...60_000)
        return config
    }

    private static func integer(_ env: [String: String], _ name: String, default value: Int,
                                in range: ClosedRange<Int>) throws(DomainError) -> Int {
        guard let text = env[name], !text.isEmpty else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw .invalid("config.invalid", "\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }
}

/// Where the data lives: an SQLite file (the embedded default) or a PostgreSQL server.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    public static let defaultSQLitePath = "./keel-data/keel.sqlite"

    /// Accepts `sqlite:///absolute/path.sqlite`, `sqlite://relative/path`, a bare path, or `postgres://...`.
    public static func parse(_ text: String) throws(DomainError) -> DatabaseLocation {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return .sqlite(path: defaultSQLitePath) }
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            guard let url = URL(string: trimmed), url.host != nil else {
                throw .invalid("config.database_url", "KEEL_DATABASE_URL is not a valid postgres:// URL")
            }
            return .postgres(url: trimmed)
        }
        if trimmed.hasPrefix("sqlite://") {
            let path = String(trimmed.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw .invalid("config.database_url", "KEEL_DATABASE_URL names no SQLite file") }
            return .sqlite(path: path)
        }
        if trimmed.contains("://") {
            throw .invalid("config.database_url",
                           "KEEL_DATABASE_URL must start with sqlite:// or postgres:// (or be a file path)")
        }
        return .sqlite(path: trimmed)
    }

    public var isSQLite: Bool { if case .sqlite = self { true } else { false } }

    var defaultAuditHeadPath: String {
        switch self {
        case .sqlite(let path): return path + ".audit-head"
        case .postgres(let url):
            // One head file per database, so two databases served from one folder never share a chain head.
            let parts = URLComponents(string: url)
            let name = [parts?.host, parts?.port.map(String.init), parts?.path.replacingOccurrences(of: "/", with: "")]
                .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "-")
            let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" })
            return "./keel-data/audit-head-\(safe)"
        }
    }

    /// Safe to print: a PostgreSQL password is masked.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite://\(path)"
        case .postgres(let url):
            guard var parts = URLComponents(string: url) else { return "postgres://..." }
            if parts.password != nil { parts.password = "***" }
            return parts.string ?? "postgres://..."
        }
    }
}
