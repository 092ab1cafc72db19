import FluentKit
import FluentSQL
import Foundation
import Logging
import NIOCore
import SQLKit
import SQLiteKit
import SQLiteNIO
import VaporCSQLite

/// The SQLite writer's own connection: SQLite's C interface called directly, on the calling thread, with every
/// statement kept prepared.
///
/// sqlite-nio runs each statement on a thread pool and answers through an event loop: a hop there and back per
/// statement. Under HTTP load each hop back waited for a core (about 300 µs), and a posting group's fifteen
/// statements spent most of their time waiting while SQLite itself was idle. It also parses every statement anew.
/// The writer's transactions run on the writer's own event loop (`SQLiteWriter`), so this connection is called
/// there, synchronously: a transaction's statements follow each other on one thread without a hop, and a statement
/// seen before (the same SQL text) is reset and re-bound instead of parsed again.
///
/// It is the same SQLite library sqlite-nio links (one copy in the process, so its file locks and WAL index are
/// shared correctly with the readers' connections), values are converted to and from SQLite by sqlite-kit's
/// `SQLiteDataEncoder`/`SQLiteDataDecoder` exactly as the readers do, and Fluent's queries are turned into SQL by
/// FluentSQL as fluent-sqlite-driver does. The connection is opened with `SQLITE_OPEN_FULLMUTEX`, as sqlite-nio's
/// are, so a call from another thread is safe, only slower.
final class SQLiteWriterConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    /// Prepared statements by SQL text. Only the writer's transaction uses the connection at a time (`SQLiteWriter`
    /// queues them), so the caches need no lock of their own. Long statements (a bulk insert's thousands of rows,
    /// a few megabytes prepared) are kept apart, only a few of them.
    private var statements: [String: OpaquePointer] = [:]
    private var longStatements: [String: OpaquePointer] = [:]
    /// How many statements to keep prepared. Keel's write paths use a few hundred distinct short statements; when a
    /// cache is full it is emptied and refilled by what is used next.
    static let cacheLimit = 512
    static let longCacheLimit = 8
    static let longStatement = 8_192

    /// Opens (creating if needed) the file at `path` with the connection rules of `DatabaseSetup`.
    init(path: String, pragmas: [String]) throws {
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI
            | SQLITE_OPEN_EXRESCODE
        var handle: OpaquePointer?
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open"
            sqlite_nio_sqlite3_close(handle)
            throw SQLiteWriterError(code: status, message: "\(message) (\(path))", sql: nil)
        }
        self.handle = handle
        do {
            for pragma in pragmas { try execute(pragma, [SQLiteData](), cache: false) { _, _ in } }
        } catch {
            close()
            throw error
        }
    }

    /// Runs one statement with its parameters, handing each result row to `onRow` (the column names are shared by
    /// all of a statement's rows). `cache: false` prepares a statement for this one run only. Parameters the values
    /// do not reach are NULL.
    func execute<Values: Sequence>(_ sql: String, _ binds: Values, cache: Bool = true,
                                   _ onRow: (SQLiteWriterColumns, [SQLiteData]) throws -> Void) throws
    where Values.Element: SQLiteWriterBindable {
        guard let handle else { throw SQLiteWriterError(code: SQLITE_MISUSE, message: "the writer is closed", sql: sql) }
        let long = sql.utf8.count > Self.longStatement
        let statement = try prepare(sql, on: handle, cache: cache, long: long)
        // A kept bulk statement (thousands of parameters) is only reset after a run, not cleared: the next run binds
        // every parameter again (the loops below) and SQLite reuses the memory of the values it replaces. A short
        // statement's values are cleared, so none (a document's bytes, say) stays held until the statement's next run.
        defer {
            if !cache {
                sqlite_nio_sqlite3_finalize(statement)
            } else {
                sqlite_nio_sqlite3_reset(statement)
                if !long { sqlite_nio_sqlite3_clear_bindings(statement) }
            }
        }
        var index: Int32 = 0
        for value in binds {
            index += 1
            try check(value.bind(at: index, in: statement), handle, sql)
        }
        let parameters = sqlite_nio_sqlite3_bind_parameter_count(statement)
        while index < parameters {
            index += 1
            try check(sqlite_nio_sqlite3_bind_null(statement, index), handle, sql)
        }
        var columns: SQLiteWriterColumns?
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else {
                // The statement's own error code (the extended one) and message, read before the reset clears them.
                throw SQLiteWriterError(code: sqlite_nio_sqlite3_extended_errcode(handle), message: message(handle),
                                        sql: sql)
            }
            let count = sqlite_nio_sqlite3_column_count(statement)
            if columns == nil {
                columns = SQLiteWriterColumns((0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(statement, $0)) })
            }
            var values: [SQLiteData] = []
            values.reserveCapacity(Int(count))
            for column in 0..<count { values.append(value(at: column, in: statement)) }
            try onRow(columns!, values)
        }
    }

    private func prepare(_ sql: String, on handle: OpaquePointer, cache: Bool, long: Bool) throws -> OpaquePointer {
        if cache, let statement = long ? longStatements[sql] : statements[sql] { return statement }
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, cache ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0,
                                                   &statement, nil)
        guard status == SQLITE_OK, let statement else {
            throw SQLiteWriterError(code: status, message: message(handle), sql: sql)
        }
        if cache {
            if long {
                if longStatements.count >= Self.longCacheLimit { finalize(&longStatements) }
                longStatements[sql] = statement
            } else {
                if statements.count >= Self.cacheLimit { finalize(&statements) }
                statements[sql] = statement
            }
        }
        return statement
    }

    private func value(at column: Int32, in statement: OpaquePointer) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .text("") }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: count))
            }
            return .blob(buffer)
        default: return .null
        }
    }

    private func check(_ status: Int32, _ handle: OpaquePointer, _ sql: String) throws {
        guard status == SQLITE_OK else { throw SQLiteWriterError(code: status, message: message(handle), sql: sql) }
    }

    private func message(_ handle: OpaquePointer) -> String {
        sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "unknown error"
    }

    private func finalize(_ cache: inout [String: OpaquePointer]) {
        for statement in cache.values { sqlite_nio_sqlite3_finalize(statement) }
        cache.removeAll()
    }

    /// Finalises the prepared statements and closes the connection; later calls fail.
    func close() {
        finalize(&statements)
        finalize(&longStatements)
        sqlite_nio_sqlite3_close(handle)
        handle = nil
    }

    deinit { if handle != nil { close() } }
}

/// SQLite's "copy the value now" destructor for bound text and blobs.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A value the writer's connection binds to a statement parameter.
protocol SQLiteWriterBindable {
    /// Binds the value to parameter `index` (from 1) of `statement`, returning SQLite's status.
    func bind(at index: Int32, in statement: OpaquePointer) -> Int32
}

/// Binds UTF-8 text, which SQLite copies. An empty buffer may have no address; SQLite would read that as NULL, so
/// the empty string is bound from a literal.
private func bindText(_ text: UnsafeBufferPointer<UInt8>, at index: Int32, in statement: OpaquePointer) -> Int32 {
    guard let base = text.baseAddress, !text.isEmpty else {
        return sqlite_nio_sqlite3_bind_text64(statement, index, "", 0, sqliteTransient, UInt8(SQLITE_UTF8))
    }
    return base.withMemoryRebound(to: CChar.self, capacity: text.count) {
        sqlite_nio_sqlite3_bind_text64(statement, index, $0, UInt64(text.count), sqliteTransient, UInt8(SQLITE_UTF8))
    }
}

/// Text by its UTF-8 bytes in place (a short string's from the stack), without the C string copy Swift makes when a
/// short string is passed as a `char *`.
private func bindText(_ text: String, at index: Int32, in statement: OpaquePointer) -> Int32 {
    var text = text
    return text.withUTF8 { bindText($0, at: index, in: statement) }
}

extension SQLiteData: SQLiteWriterBindable {
    func bind(at index: Int32, in statement: OpaquePointer) -> Int32 {
        switch self {
        case .integer(let value): sqlite_nio_sqlite3_bind_int64(statement, index, Int64(value))
        case .float(let value): sqlite_nio_sqlite3_bind_double(statement, index, value)
        case .null: sqlite_nio_sqlite3_bind_null(statement, index)
        case .text(let value): bindText(value, at: index, in: statement)
        case .blob(let value):
            value.withUnsafeReadableBytes { bytes in
                sqlite_nio_sqlite3_bind_blob64(statement, index, bytes.baseAddress, UInt64(bytes.count), sqliteTransient)
            }
        }
    }
}

/// A bulk insert's cells bind straight from what the caller built: a UUID as its canonical text from the stack, as
/// `BulkInsert` stores it on SQLite.
extension SQLCell: SQLiteWriterBindable {
    func bind(at index: Int32, in statement: OpaquePointer) -> Int32 {
        switch self {
        case .integer(let value): sqlite_nio_sqlite3_bind_int64(statement, index, value)
        case .null: sqlite_nio_sqlite3_bind_null(statement, index)
        case .text(let value): bindText(value, at: index, in: statement)
        case .uuid(let value): value.withCanonicalText { bindText($0, at: index, in: statement) }
        }
    }
}

/// The column names of a statement's result, and where each first appears (as sqlite-nio: the first of two columns
/// with one name wins).
final class SQLiteWriterColumns: Sendable {
    let names: [String]
    let offsets: [String: Int]

    init(_ names: [String]) {
        self.names = names
        offsets = Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }
}

/// A SQLite error from the writer's connection, with SQLite's extended result code. Fluent reads it as a
/// `DatabaseError`, as it reads sqlite-nio's `SQLiteError`.
struct SQLiteWriterError: Error, DatabaseError, CustomStringConvertible {
    let code: Int32
    let message: String
    let sql: String?

    private var primary: Int32 { code & 0xFF }
    var isSyntaxError: Bool { primary == SQLITE_ERROR || primary == SQLITE_SCHEMA }
    var isConnectionClosed: Bool { primary == SQLITE_MISUSE || primary == SQLITE_CANTOPEN }
    var isConstraintFailure: Bool { primary == SQLITE_CONSTRAINT }
    var description: String { "SQLite error \(code): \(message)" }

    /// A statement SQLite cannot run (SQLITE_ERROR).
    static func unsupported(_ message: String) -> SQLiteWriterError {
        SQLiteWriterError(code: SQLITE_ERROR, message: message, sql: nil)
    }
}

/// A result row from the writer's connection, read through SQLKit's `SQLRow` with sqlite-kit's decoder.
struct SQLiteWriterRow: SQLRow {
    let columns: SQLiteWriterColumns
    let values: [SQLiteData]

    var allColumns: [String] { columns.names }
    func contains(column: String) -> Bool { columns.offsets[column] != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let offset = columns.offsets[column] else { return true }
        return values[offset] == .null
    }

    func decode<D: Decodable>(column: String, as: D.Type) throws -> D {
        guard let offset = columns.offsets[column] else {
            throw DecodingError.keyNotFound(SQLiteWriterColumnKey(column), .init(codingPath: [],
                                            debugDescription: "No column \(column) in the row"))
        }
        return try Self.decoder.decode(D.self, from: values[offset])
    }

    /// One decoder for all rows, as sqlite-kit shares one per database.
    static let decoder = SQLiteDataDecoder()
}

private struct SQLiteWriterColumnKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A row as Fluent reads a model from it: a field of a joined model is the column `schema_field`. (The same rule as
/// fluent-sqlite-driver's adapter, which is internal to it.)
struct SQLiteWriterOutput: DatabaseOutput {
    let row: any SQLRow
    let schema: String?

    var description: String { String(describing: row) }

    private func column(_ key: FieldKey) -> String {
        (schema.map { .prefix(.prefix(.string($0), "_"), key) } ?? key).description
    }

    func schema(_ schema: String) -> any DatabaseOutput { SQLiteWriterOutput(row: row, schema: schema) }
    func contains(_ key: FieldKey) -> Bool { row.contains(column: column(key)) }
    func decodeNil(_ key: FieldKey) throws -> Bool { try row.decodeNil(column: column(key)) }
    func decode<T: Decodable>(_ key: FieldKey, as: T.Type) throws -> T { try row.decode(column: column(key), as: T.self) }
}

/// Fluent's SQLite column types (as fluent-sqlite-driver maps them, so a schema made through the writer matches one
/// made by the migrations).
struct SQLiteWriterConverterDelegate: SQLConverterDelegate {
    func customDataType(_ dataType: DatabaseSchema.DataType) -> (any SQLExpression)? {
        switch dataType {
        case .string: SQLRaw("TEXT")
        case .datetime: SQLRaw("REAL")
        case .int64: SQLRaw("INTEGER")
        case .enum: SQLRaw("TEXT")
        default: nil
        }
    }
}
