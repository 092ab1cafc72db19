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
        return try await take(1, of: series, year: year, on: db)
    }
}

extension DocumentNumbers {
    /// Reserves `count` consecutive numbers of a series in one statement (for batch posting); returns the first.
    public static func reserve(_ series: String, year: Int, count: Int, on db: any Database) async throws -> Int64 {
        precondition(db.inTransaction && count > 0, "numbers are reserved inside the batch's write transaction")
        return try await take(count, of: series, year: year, on: db)
    }

    /// Takes `count` consecutive numbers in one statement: the series' row is created at its first use and
    /// advanced otherwise (the row lock it takes on PostgreSQL orders concurrent takers). Returns the first.
    static func take(_ count: Int, of series: String, year: Int, on db: any Database) async throws -> Int64 {
        let count = Int64(count)
        guard let row = try await db.sql.raw("""
            INSERT INTO document_sequences (id, series, year, next_value)
            VALUES (\(bind: UUID.v7()), \(bind: series), \(bind: year), \(bind: 1 + count))
            ON CONFLICT (series, year) DO UPDATE SET next_value = document_sequences.next_value + \(bind: count)
            RETURNING next_value
            """).first() else { preconditionFailure("an upsert with RETURNING returns its row") }
        return try row.decode(column: "next_value", as: Int64.self) - count
    }
}
