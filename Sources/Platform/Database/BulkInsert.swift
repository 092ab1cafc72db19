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
/// encoder, which dominate the profile of a large import. On SQLite, rows go in multi-row `INSERT ... VALUES`
/// statements as large as SQLite allows (32,766 values a statement). On PostgreSQL, each column's values go as one
/// array parameter, unnested into rows (`INSERT ... SELECT u.c0, NULL::text, u.c2 FROM unnest($1::uuid[],
/// $2::bigint[]) AS u(c0, c2)`): the statement stays a few hundred characters however many rows it carries, where a
/// `VALUES` list of 4,000 rows cost PostgreSQL a fifth of an import's time to parse and plan. A column without NULLs
/// goes as a binary array; one with some NULLs as an array literal in text, which PostgreSQL parses; one with
/// nothing but NULLs as a typed NULL in the select list. UUIDs are stored the way Fluent stores them: text in
/// canonical upper case on SQLite, `uuid` on PostgreSQL.
public enum BulkInsert {
    /// What becomes of a row whose `key` columns match a row already in the table: its `add` columns are added to
    /// that row's (materialised sums, such as balances). Rows of one call must not share a key.
    public struct AddOnConflict: Sendable {
        public let key: [String]
        public let add: [String]

        public init(key: [String], add: [String]) {
            self.key = key
            self.add = add
        }

        func clause(table: String) -> String {
            " ON CONFLICT (" + key.map { "\"\($0)\"" }.joined(separator: ", ") + ") DO UPDATE SET "
                + add.map { "\"\($0)\" = \"\(table)\".\"\($0)\" + excluded.\"\($0)\"" }.joined(separator: ", ")
        }
    }

    public static func run(_ db: any Database, into table: String, columns: [(String, SQLCell.Kind)],
                           rows: [[SQLCell]], onConflict: AddOnConflict? = nil) async throws {
        guard !rows.isEmpty else { return }
        precondition(rows.allSatisfy { $0.count == columns.count }, "every row has a value per column")
        let postgres = db.isPostgres
        let rowsPerStatement = postgres ? postgresRowsPerStatement : max(1, 32_766 / columns.count)
        let head = "INSERT INTO \"\(table)\" (" + columns.map { "\"\($0.0)\"" }.joined(separator: ", ") + ") "
        let tail = onConflict?.clause(table: table) ?? ""
        var start = 0
        // Only the SQLite writer keeps statements prepared, and it always runs in a transaction: elsewhere rows that
        // fit one statement stay one statement, all or nothing even outside a transaction.
        let pieces = db is WriterTransaction
        while start < rows.count {
            let count = pieces ? sqliteRows(rows.count - start, most: rowsPerStatement)
                : min(rowsPerStatement, rows.count - start)
            let chunk = rows[start..<start + count]
            start += chunk.count
            if postgres {
                try await runPostgres(db, head: head, tail: tail, columns: columns.map(\.1), rows: chunk)
            } else {
                try await runSQLite(db, head: head + "VALUES ", tail: tail, columns: columns.count, rows: chunk)
            }
        }
    }

    /// How many of the `remaining` rows the next SQLite statement carries: as many as one may (`most`), then the rest
    /// in pieces of a power of two down to 64 rows, and what is left in one statement. The writer keeps statements
    /// prepared by their text, so a long run of batches (an import's chunks) repeats a few sizes, where the rest of
    /// each batch used to be a size of its own, prepared anew (2 % of an import's writer thread).
    static func sqliteRows(_ remaining: Int, most: Int) -> Int {
        if remaining >= most { return most }
        if remaining <= 64 { return remaining }
        return 1 << (Int.bitWidth - 1 - remaining.leadingZeroBitCount)
    }

    /// Rows a PostgreSQL statement carries (its size is in the array parameters, not in the statement text).
    static let postgresRowsPerStatement = 10_000

    /// `count` rows of `columns` SQLite placeholders: `(?, ?), (?, ?)`.
    static func placeholders(_ count: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: count).joined(separator: ", ")
    }

    static func runSQLite(_ db: any Database, head: String, tail: String, columns: Int,
                          rows: ArraySlice<[SQLCell]>) async throws {
        // The writer binds the cells as they are, to a statement it keeps prepared by its head and row count;
        // elsewhere (a migration) they go as sqlite-nio's values.
        if let writer = db as? WriterTransaction {
            return try writer.run(key: head + "... \(rows.count) rows" + tail,
                                  sql: { head + placeholders(rows.count, columns: columns) + tail }, rows.joined())
        }
        let sql = head + placeholders(rows.count, columns: columns) + tail
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
        _ = try await sqlite.query(sql, binds)
    }

    static func runPostgres(_ db: any Database, head: String, tail: String, columns kinds: [SQLCell.Kind],
                            rows: ArraySlice<[SQLCell]>) async throws {
        guard let postgres = db as? any PostgresDatabase else { preconditionFailure("a PostgreSQL database speaks PostgreSQL") }
        var binds = PostgresBindings(capacity: kinds.count)
        // Each column is a parameter unnested into rows, except one that is NULL in every row (an entry's reversed
        // entry, a line's partner and dimensions, mostly): that one is a typed NULL in the select list, rather than
        // an array literal of thousands of NULLs built here and parsed by PostgreSQL.
        var selected: [String] = []  // the select list, a column each
        var arrays: [String] = []    // the parameters unnested
        var unnested: [String] = []  // their names in the select list
        for column in kinds.indices {
            if rows.allSatisfy({ $0[column] == .null }) {
                selected.append("NULL::\(kinds[column].rawValue)")
                continue
            }
            /// The column as a binary array of one type, if every one of its cells is of that type (none NULL).
            func all<Value>(_ pick: (SQLCell) -> Value?) -> [Value]? {
                var values: [Value] = []
                values.reserveCapacity(rows.count)
                for row in rows {
                    guard let value = pick(row[column]) else { return nil }
                    values.append(value)
                }
                return values
            }
            if let values = all({ if case .uuid(let value) = $0 { value } else { nil } }) {
                binds.append(values)
            } else if let values = all({ if case .integer(let value) = $0 { value } else { nil } }) {
                binds.append(values)
            } else if let values = all({ if case .text(let value) = $0 { value } else { nil } }) {
                binds.append(values)
            } else {
                // postgres-nio binds no array with NULL elements: such a column goes as an array literal in text.
                binds.append(arrayLiteral(rows.lazy.map { $0[column] }))
            }
            arrays.append("$\(binds.count)::\(kinds[column].rawValue)[]")
            unnested.append("c\(column)")
            selected.append("u.c\(column)")
        }
        // Each parameter is cast to its column's array type (a no-op for a binary array of that type; a parse of
        // the literal for text), so one parameter carries a column.
        let source = arrays.isEmpty ? "generate_series(1, \(rows.count))"
            : "unnest(" + arrays.joined(separator: ", ") + ") AS u(" + unnested.joined(separator: ", ") + ")"
        let query = PostgresQuery(unsafeSQL: head + "SELECT " + selected.joined(separator: ", ") + " FROM " + source + tail,
                                  binds: binds)
        let logger = db.logger
        try await postgres.withConnection { connection in
            connection.eventLoop.makeFutureWithTask { _ = try await connection.query(query, logger: logger) }
        }.get()
    }

    /// A column's values as a PostgreSQL array literal: `{"text with \"quotes\"",NULL,42}`. Text is always quoted
    /// (so an empty string, a comma, a brace or the word NULL stay text), with backslash and double quote escaped.
    static func arrayLiteral<Cells: Sequence<SQLCell>>(_ cells: Cells) -> String {
        var literal = "{"
        var first = true
        for cell in cells {
            if !first { literal += "," }
            first = false
            switch cell {
            case .null: literal += "NULL"
            case .integer(let value): literal += String(value)
            case .uuid(let value): literal += value.canonicalText
            case .text(let value):
                literal += "\""
                if value.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                    for character in value.unicodeScalars {
                        if character == "\"" || character == "\\" { literal += "\\" }
                        literal.unicodeScalars.append(character)
                    }
                } else {
                    literal += value
                }
                literal += "\""
            }
        }
        return literal + "}"
    }
}
