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
/// FluentSQL as fluent-sqlite-driver does. The connection is opened with `SQLITE_OPEN_NOMUTEX`, unlike sqlite-nio's:
/// SQLite then takes no lock of its own around each call (a lock and an unlock per bound value, about 3 % of an
/// import's writer thread). It needs no lock: `SQLiteWriter` gives the connection to one transaction at a time, and
/// a transaction's statements run one after another (whatever thread each resumes on), never two at once.
final class SQLiteWriterConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    /// Prepared statements by SQL text. Only the writer's transaction uses the connection at a time (`SQLiteWriter`
    /// queues them), so the caches need no lock of their own. Long statements (a bulk insert's thousands of rows,
    /// a few megabytes prepared) are kept apart, only a few of them.
    private var statements: [String: OpaquePointer] = [:]
    private var longStatements: [String: LongStatement] = [:]
    /// Counts runs of long statements, so a full long cache lets go of the one used longest ago.
    private var longRuns = 0
    /// How many statements to keep prepared. Keel's write paths use a few hundred distinct short statements; when a
    /// cache is full it is emptied and refilled by what is used next.
    static let cacheLimit = 512
    static let longCacheLimit = 16
    static let longStatement = 8_192

    /// Copies the WAL into the database file off this connection's commits (its WAL hook calls it).
    private let checkpointer: SQLiteCheckpointer?

    /// Opens (creating if needed) the file at `path` with the connection rules of `DatabaseSetup`. With a
    /// `checkpointer`, commits hand the WAL's checkpoints to it instead of running SQLite's automatic one.
    init(path: String, pragmas: [String], checkpointer: SQLiteCheckpointer? = nil) throws {
        self.checkpointer = checkpointer
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
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
            if let checkpointer {
                // Replaces the automatic checkpoint (SQLite's own WAL hook). The connection holds the checkpointer,
                // so the pointer the hook is given stays valid as long as the handle.
                sqlite_nio_sqlite3_wal_hook(handle, { context, handle, _, frames in
                    Unmanaged<SQLiteCheckpointer>.fromOpaque(context!).takeUnretainedValue()
                        .committed(frames: frames, on: handle)
                    return SQLITE_OK
                }, Unmanaged.passUnretained(checkpointer).toOpaque())
            }
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
        try execute(key: sql, long: sql.utf8.count > Self.longStatement, sql: { sql }, binds, cache: cache, onRow)
    }

    /// Runs a statement known by a short `key` that stands for its text, made by `sql` only when the statement is
    /// not prepared yet: a bulk insert's statement is a hundred kilobytes of placeholders, which would otherwise be
    /// built, hashed and compared on every run. `long` keeps it with the long statements.
    func execute<Values: Sequence>(key: String, long: Bool, sql: () -> String, _ binds: Values, cache: Bool = true,
                                   _ onRow: (SQLiteWriterColumns, [SQLiteData]) throws -> Void) throws
    where Values.Element: SQLiteWriterBindable {
        guard let handle else { throw SQLiteWriterError(code: SQLITE_MISUSE, message: "the writer is closed", sql: key) }
        let (statement, kept) = try prepare(key: key, sql: sql, on: handle, cache: cache, long: long)
        let sql = key
        // A kept bulk statement (thousands of parameters) is only reset after a run, not cleared: the next run binds
        // every parameter again (the loops below). A short statement's values are cleared, so none (a document's
        // bytes, say) stays held until the statement's next run.
        defer {
            if !cache {
                sqlite_nio_sqlite3_finalize(statement)
            } else {
                sqlite_nio_sqlite3_reset(statement)
                if !long { sqlite_nio_sqlite3_clear_bindings(statement) }
            }
        }
        var index: Int32 = 0
        if let kept {
            // A kept bulk statement's text goes into its own buffer first, bound from there without SQLite copying
            // each value into memory of its own (a malloc and a free per value, a tenth of a batch's posting). The
            // buffer lives as long as the statement, so what SQLite points at stays valid until it is bound again.
            var bytes = 0
            for value in binds { bytes += value.arenaBytes }
            var arena = kept.arena(bytes)
            for value in binds {
                index += 1
                try check(value.bind(at: index, in: statement, arena: &arena), handle, sql)
            }
        } else {
            for value in binds {
                index += 1
                try check(value.bind(at: index, in: statement), handle, sql)
            }
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

    /// Runs a statement once, not kept prepared, and returns the text of its first row's first column (a pragma's
    /// answer), or nil.
    func text(_ sql: String) throws -> String? {
        var answer: String?
        try execute(sql, [SQLiteData](), cache: false) { _, values in
            if answer == nil, case .text(let text)? = values.first { answer = text }
        }
        return answer
    }

    private func prepare(key: String, sql: () -> String, on handle: OpaquePointer, cache: Bool,
                         long: Bool) throws -> (OpaquePointer, LongStatement?) {
        if cache {
            if long {
                longRuns += 1
                if let kept = longStatements[key] {
                    kept.used = longRuns
                    return (kept.statement, kept)
                }
            } else if let statement = statements[key] {
                return (statement, nil)
            }
        }
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(handle, sql(), -1, cache ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0,
                                                   &statement, nil)
        guard status == SQLITE_OK, let statement else {
            throw SQLiteWriterError(code: status, message: message(handle), sql: key)
        }
        if cache {
            if long {
                // A batch's last, shorter insert of each kind is seldom seen twice: it replaces the statement used
                // longest ago rather than emptying the cache of the full-size ones every batch runs again.
                if longStatements.count >= Self.longCacheLimit,
                   let oldest = longStatements.min(by: { $0.value.used < $1.value.used }) {
                    oldest.value.finalize()
                    longStatements[oldest.key] = nil
                }
                let kept = LongStatement(statement, used: longRuns)
                longStatements[key] = kept
                return (statement, kept)
            } else {
                if statements.count >= Self.cacheLimit { finalize(&statements) }
                statements[key] = statement
            }
        }
        return (statement, nil)
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
        for kept in longStatements.values { kept.finalize() }
        longStatements.removeAll()
        sqlite_nio_sqlite3_close(handle)
        handle = nil
    }

    deinit { if handle != nil { close() } }
}

/// A long statement the writer keeps prepared, with the buffer its text values are bound from.
private final class LongStatement {
    let statement: OpaquePointer
    /// When it last ran (the connection's count of long runs).
    var used: Int
    private var buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    init(_ statement: OpaquePointer, used: Int) {
        self.statement = statement
        self.used = used
    }

    /// The buffer for a run whose text takes `bytes`, grown if needed. Growing frees the old buffer, which the
    /// statement's previous values may still point at: the run binds every parameter anew before its first step.
    func arena(_ bytes: Int) -> SQLiteBindArena {
        if buffer.count < bytes {
            buffer.deallocate()
            buffer = .allocate(byteCount: max(bytes, buffer.count * 2), alignment: 1)
        }
        return SQLiteBindArena(buffer: buffer)
    }

    /// Finalises the statement, then lets go of the buffer its values pointed at.
    func finalize() {
        sqlite_nio_sqlite3_finalize(statement)
        buffer.deallocate()
        buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    }
}

/// Where a run's text values are written before SQLite is pointed at them (bound as SQLITE_STATIC).
struct SQLiteBindArena {
    let buffer: UnsafeMutableRawBufferPointer
    var used = 0

    /// Copies `bytes` in and binds them as UTF-8 text to parameter `index`.
    mutating func bindText(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int32, in statement: OpaquePointer) -> Int32 {
        guard bytes.count > 0, buffer.baseAddress != nil else {
            return sqlite_nio_sqlite3_bind_text64(statement, index, "", 0, nil, UInt8(SQLITE_UTF8))
        }
        return bindText(count: bytes.count, at: index, in: statement) {
            $0.copyMemory(from: UnsafeRawPointer(bytes.baseAddress!), byteCount: bytes.count)
        }
    }

    /// Writes a UUID's canonical text in and binds it, as `bindText` would bind that text.
    mutating func bindUUID(_ value: UUID, at index: Int32, in statement: OpaquePointer) -> Int32 {
        bindText(count: 36, at: index, in: statement) { value.writeCanonicalText(into: $0) }
    }

    /// Takes the next `count` bytes of the arena, has `write` fill them, and binds them as UTF-8 text.
    private mutating func bindText(count: Int, at index: Int32, in statement: OpaquePointer,
                                   write: (UnsafeMutableRawPointer) -> Void) -> Int32 {
        precondition(used + count <= buffer.count, "the arena was sized for every value of the run")
        let start = buffer.baseAddress! + used
        write(start)
        used += count
        return sqlite_nio_sqlite3_bind_text64(statement, index, start.assumingMemoryBound(to: CChar.self),
                                              UInt64(count), nil, UInt8(SQLITE_UTF8))
    }
}

/// SQLite's "copy the value now" destructor for bound text and blobs.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A value the writer's connection binds to a statement parameter.
protocol SQLiteWriterBindable {
    /// Binds the value to parameter `index` (from 1) of `statement`, returning SQLite's status.
    func bind(at index: Int32, in statement: OpaquePointer) -> Int32
    /// The bytes the value takes in a bind arena (0: bound as by `bind(at:in:)`).
    var arenaBytes: Int { get }
    /// Binds the value, its text from `arena`.
    func bind(at index: Int32, in statement: OpaquePointer, arena: inout SQLiteBindArena) -> Int32
}

extension SQLiteWriterBindable {
    var arenaBytes: Int { 0 }
    func bind(at index: Int32, in statement: OpaquePointer, arena: inout SQLiteBindArena) -> Int32 {
        bind(at: index, in: statement)
    }
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
                // An empty buffer may have no address, which SQLite would bind as NULL: an empty blob is a zero blob.
                guard let base = bytes.baseAddress, !bytes.isEmpty else {
                    return sqlite_nio_sqlite3_bind_zeroblob(statement, index, 0)
                }
                return sqlite_nio_sqlite3_bind_blob64(statement, index, base, UInt64(bytes.count), sqliteTransient)
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

    var arenaBytes: Int {
        switch self {
        case .integer, .null: 0
        case .text(let value): value.utf8.count
        case .uuid: 36
        }
    }

    func bind(at index: Int32, in statement: OpaquePointer, arena: inout SQLiteBindArena) -> Int32 {
        switch self {
        case .integer(let value): return sqlite_nio_sqlite3_bind_int64(statement, index, value)
        case .null: return sqlite_nio_sqlite3_bind_null(statement, index)
        case .text(var value): return value.withUTF8 { arena.bindText($0, at: index, in: statement) }
        case .uuid(let value): return arena.bindUUID(value, at: index, in: statement)
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
