import Fluent
import Foundation
import Kernel
import SQLKit

/// Gap-free document numbers per series and year: INV-2026-000001, INV-2026-000002, ...
///
/// A number is taken inside the caller's write transaction: if the document is not saved, the transaction
/// rolls back and the number is handed out again, so the series never has a hole.
public enum DocumentNumbers {
    /// Takes the next number of `series` for `year`, formatted `SERIES-YEAR-NNNNNN`.
    public static func next(_ series: String, year: Int, on db: any Database) async throws -> String {
        let value = try await nextValue(series, year: year, on: db)
        return format(series: series, year: year, value: value)
    }

    public static func format(series: String, year: Int, value: Int64) -> String {
        let digits = String(value)
        return "\(series)-\(year)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    static func nextValue(_ series: String, year: Int, on db: any Database) async throws -> Int64 {
        precondition(db.inTransaction, "document numbers are taken inside the write transaction of the document")
        precondition(!series.isEmpty && series.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" },
                     "series names are plain words")
        try await db.sql.raw("""
            INSERT INTO document_sequences (id, series, year, next_value)
            VALUES (\(bind: UUID.v7()), \(bind: series), \(bind: year), 1)
            ON CONFLICT (series, year) DO NOTHING
            """).run()
        guard let row = try await db.sql.raw("""
            UPDATE document_sequences SET next_value = next_value + 1
            WHERE series = \(bind: series) AND year = \(bind: year) RETURNING next_value
            """).first() else { preconditionFailure("sequence row vanished inside its transaction") }
        return try row.decode(column: "next_value", as: Int64.self) - 1
    }
}

extension DocumentNumbers {
    /// Reserves `count` consecutive numbers of a series in one statement (for batch posting); returns the first.
    public static func reserve(_ series: String, year: Int, count: Int, on db: any Database) async throws -> Int64 {
        precondition(db.inTransaction && count > 0, "numbers are reserved inside the batch's write transaction")
        try await db.sql.raw("""
            INSERT INTO document_sequences (id, series, year, next_value)
            VALUES (\(bind: UUID.v7()), \(bind: series), \(bind: year), 1)
            ON CONFLICT (series, year) DO NOTHING
            """).run()
        guard let row = try await db.sql.raw("""
            UPDATE document_sequences SET next_value = next_value + \(bind: Int64(count))
            WHERE series = \(bind: series) AND year = \(bind: year) RETURNING next_value
            """).first() else { preconditionFailure("sequence row vanished inside its transaction") }
        return try row.decode(column: "next_value", as: Int64.self) - Int64(count)
    }
}
