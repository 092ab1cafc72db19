import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Kernel
import NIOCore
import SQLKit

/// One value in a bulk insert.
public enum SQLCell: Sendable, Equatable {
    case text(String)
    case integer(Int64)
    case uuid(UUID)
    case null

    public static func text(_ value: String?) -> SQLCell { value.map { .text($0) } ?? .null }
    public static func uuid(_ value: UUID?) -> SQLCell { value.map { .uuid($0) } ?? .null }

    /// A column's type, so PostgreSQL reads a column of NULLs as what it is.
    public enum Kind: String, Sendable { case text, integer = "bigint", uuid }
}

/// Many rows into one table, by the driver's own binding rather than SQLKit's expression tree and `Encodable`
/// encoder, which dominate the profile of a large import. Rows go in multi-row `INSERT ... VALUES` statements as
/// large as the driver allows (SQLite binds at most 32,766 values a statement, PostgreSQL 65,535). UUIDs are bound
/// the way Fluent stores them: text in canonical upper case on SQLite, `uuid` on PostgreSQL.
public enum BulkInsert {
    public static func run(_ db: any Database, into table: String, columns: [(String, SQLCell.Kind)],
                           rows: [[SQLCell]]) async throws {
        guard !rows.isEmpty else { return }
        precondition(rows.allSatisfy { $0.count == columns.count }, "every row has a value per column")
        let postgres = db.isPostgres
        let rowsPerStatement = max(1, (postgres ? 65_535 : 32_766) / columns.count)
        let head = "INSERT INTO \"\(table)\" (" + columns.map { "\"\($0.0)\"" }.joined(separator: ", ") + ") VALUES "
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + rowsPerStatement, rows.count)]
            start += chunk.count
            if postgres {
                try await runPostgres(db, head: head, columns: columns.map(\.1), rows: chunk)
            } else {
                try await runSQLite(db, head: head, columns: columns.count, rows: chunk)
            }
        }
    }

    static func placeholders(_ count: Int, columns: Int, _ parameter: (Int) -> String) -> String {
        var sql = ""
        sql.reserveCapacity(count * columns * 6)
        for row in 0..<count {
            sql += row == 0 ? "(" : ", ("
            for column in 0..<columns {
                if column > 0 { sql += ", " }
                sql += parameter(row * columns + column + 1)
            }
            sql += ")"
        }
        return sql
    }

    static func runSQLite(_ db: any Database, head: String, columns: Int, rows: ArraySlice<[SQLCell]>) async throws {
        guard let sqlite = db as? any SQLiteDatabase else { preconditionFailure("a SQLite database speaks SQLite") }
        var binds: [SQLiteData] = []
        binds.reserveCapacity(rows.count * columns)
        for row in rows {
            for cell in row {
                switch cell {
                case .text(let value): binds.append(.text(value))
                case .integer(let value): binds.append(.integer(Int(value)))
                case .uuid(let value): binds.append(.text(value.canonicalText))
                case .null: binds.append(.null)
                }
            }
        }
        _ = try await sqlite.query(head + placeholders(rows.count, columns: columns) { _ in "?" }, binds)
    }

    static func runPostgres(_ db: any Database, head: String, columns kinds: [SQLCell.Kind],
                            rows: ArraySlice<[SQLCell]>) async throws {
        let columns = kinds.count
        guard let postgres = db as? any PostgresDatabase else { preconditionFailure("a PostgreSQL database speaks PostgreSQL") }
        var binds = PostgresBindings(capacity: rows.count * columns)
        for row in rows {
            for cell in row {
                switch cell {
                case .text(let value): binds.append(value)
                case .integer(let value): binds.append(value)
                case .uuid(let value): binds.append(value)
                case .null: binds.appendNull()
                }
            }
        }
        let query = PostgresQuery(unsafeSQL: head + placeholders(rows.count, columns: columns) {
            // The first row's casts give each column its type.
            $0 <= columns ? "$\($0)::\(kinds[$0 - 1].rawValue)" : "$\($0)"
        }, binds: binds)
        let logger = db.logger
        try await postgres.withConnection { connection in
            connection.eventLoop.makeFutureWithTask { _ = try await connection.query(query, logger: logger) }
        }.get()
    }
}

extension UUID {
    /// The UUID as Foundation's `uuidString` writes it (upper case, hyphenated), without its `sprintf`.
    public var canonicalText: String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        withUnsafeBytes(of: uuid) { bytes in
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { out.append(45) }
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
