import Fluent
import Foundation
import KeelTesting
import Kernel
@testable import Platform
import SQLKit
import Testing

@Suite("Bulk inserts")
struct BulkInsertTests {
    @Test("Rows across several statements read back as Fluent wrote them; a failure rolls all of them back")
    func roundTrip() async throws {
        try await withTestDatabase { db, _ in
            try await db.schema("bulk_probe").id().field("name", .string).field("n", .int64, .required)
                .field("ref", .uuid).create()
            let columns: [(String, SQLCell.Kind)] = [("id", .uuid), ("name", .text), ("n", .integer), ("ref", .uuid)]
            // 12,000 rows of 4 values cross SQLite's 32,766-value statement limit; `ref` is NULL throughout.
            let ids = (0..<12_000).map { _ in UUID.v7() }
            try await writeTransaction(db) { tx in
                try await BulkInsert.run(tx, into: "bulk_probe", columns: columns, rows: ids.enumerated().map {
                    [.uuid($0.element), .text($0.offset % 2 == 0 ? "row \($0.offset)" : nil), .integer(Int64($0.offset) - 5_000),
                     .uuid(nil)]
                })
            }
            let rows = try await db.sql.select().columns("id", "name", "n", "ref").from("bulk_probe")
                .orderBy("n").all()
            #expect(rows.count == 12_000)
            #expect(try rows.map { try $0.decode(column: "id", as: UUID.self) } == ids)
            #expect(try rows[0].decode(column: "n", as: Int64.self) == -5_000)
            #expect(try rows[2].decode(column: "name", as: String?.self) == "row 2")
            #expect(try rows[3].decode(column: "name", as: String?.self) == nil)
            #expect(try rows[11_999].decode(column: "ref", as: UUID?.self) == nil)
            // Fluent finds a bulk-inserted row by its id: the same text (SQLite) or uuid (PostgreSQL) form.
            let found = try await db.sql.select().column("n").from("bulk_probe")
                .where("id", .equal, SQLBind(ids[42])).first()
            #expect(try found?.decode(column: "n", as: Int64.self) == 42 - 5_000)

            let clash: [[SQLCell]] = [[.uuid(UUID.v7()), .text("new"), .integer(1), .uuid(ids[0])],
                                      [.uuid(ids[0]), .text("duplicate"), .integer(2), .null]]
            await #expect(throws: (any Error).self) {
                try await writeTransaction(db) { tx in
                    try await BulkInsert.run(tx, into: "bulk_probe", columns: columns, rows: clash)
                }
            }
            let count = try await db.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "c")
                .from("bulk_probe").first()?.decode(column: "c", as: Int.self)
            #expect(count == 12_000)
        }
    }

    @Test("Rows whose key is already there add their sums to it; the same insert without the clause is refused")
    func addOnConflict() async throws {
        try await withTestDatabase { db, _ in
            try await db.sql.raw("""
                CREATE TABLE bulk_sums (k TEXT NOT NULL, p TEXT NOT NULL, a BIGINT NOT NULL, b BIGINT NOT NULL,
                PRIMARY KEY (k, p))
                """).run()
            let columns: [(String, SQLCell.Kind)] = [("k", .text), ("p", .text), ("a", .integer), ("b", .integer)]
            let sums = BulkInsert.AddOnConflict(key: ["k", "p"], add: ["a", "b"])
            // 9,000 rows of 4 values take two SQLite statements; the second run adds to every row of the first.
            let rows: [[SQLCell]] = (0..<9_000).map { [.text("k\($0 % 3_000)"), .text("p\($0 / 3_000)"), .integer(Int64($0)), .integer(-1)] }
            for _ in 0..<2 {
                try await writeTransaction(db) { tx in
                    try await BulkInsert.run(tx, into: "bulk_sums", columns: columns, rows: rows, onConflict: sums)
                }
            }
            func total(_ column: String) async throws -> Int64? {
                // PostgreSQL sums bigints as numeric.
                try await db.sql.select().column(SQLRaw("CAST(SUM(\(column)) AS BIGINT)"), as: "s").from("bulk_sums")
                    .first()?.decode(column: "s", as: Int64.self)
            }
            #expect(try await total("a") == 2 * Int64(8_999 * 9_000 / 2))
            #expect(try await total("b") == -18_000)
            let one = try await db.sql.select().columns("a", "b").from("bulk_sums").where("k", .equal, "k7")
                .where("p", .equal, "p2").first()
            #expect(try one?.decode(column: "a", as: Int64.self) == 2 * 6_007 && one?.decode(column: "b", as: Int64.self) == -2)
            // The same head and row count without the clause is another statement: a new key goes in, a known one
            // is refused, and its transaction leaves the sums as they were.
            let plain: [[SQLCell]] = [[.text("new"), .text("p0"), .integer(5), .integer(5)]]
            try await writeTransaction(db) { tx in
                try await BulkInsert.run(tx, into: "bulk_sums", columns: columns, rows: plain)
            }
            await #expect(throws: (any Error).self) {
                try await writeTransaction(db) { tx in
                    try await BulkInsert.run(tx, into: "bulk_sums", columns: columns,
                                             rows: [[.text("k1"), .text("p0"), .integer(1), .integer(1)]])
                }
            }
            #expect(try await total("a") == 2 * Int64(8_999 * 9_000 / 2) + 5)
        }
    }

    @Test("Text with quotes, backslashes, braces, commas, line breaks, NULL as a word and empty text reads back as written")
    func awkwardText() async throws {
        try await withTestDatabase { db, _ in
            // `t` has a NULL (on PostgreSQL it goes as an array literal), `u` has none (a binary array).
            try await db.schema("bulk_text").id().field("t", .string).field("u", .string, .required)
                .field("n", .int64, .required).create()
            let texts: [String?] = ["plain", "with \"quotes\"", "back\\slash\\", "{braces}", "a,b", "line\nbreak", "NULL",
                                    "", nil, "ünïcödé ✓", "\\\"", " spaced "]
            let always = texts.map { $0 ?? "none" }
            try await writeTransaction(db) { tx in
                try await BulkInsert.run(tx, into: "bulk_text",
                                         columns: [("id", .uuid), ("t", .text), ("u", .text), ("n", .integer)],
                                         rows: texts.enumerated().map {
                                             [.uuid(UUID.v7()), .text($0.element), .text(always[$0.offset]),
                                              .integer(Int64($0.offset))]
                                         })
            }
            let rows = try await db.sql.select().columns("t", "u").from("bulk_text").orderBy("n").all()
            #expect(try rows.map { try $0.decode(column: "t", as: String?.self) } == texts)
            #expect(try rows.map { try $0.decode(column: "u", as: String.self) } == always)
        }
    }

    @Test("A column that is NULL in every row stores NULL, not the column's default, and rows of nothing but NULLs go in")
    func nullColumns() async throws {
        try await withTestDatabase { db, _ in
            try await db.sql.raw("""
                CREATE TABLE bulk_nulls (n BIGINT, d TEXT DEFAULT 'default', r TEXT DEFAULT 'default')
                """).run()
            let columns: [(String, SQLCell.Kind)] = [("n", .integer), ("d", .text), ("r", .text)]
            try await writeTransaction(db) { tx in
                // `d` is NULL throughout; `r` has one value; then two rows of nothing but NULLs.
                try await BulkInsert.run(tx, into: "bulk_nulls", columns: columns,
                                         rows: (1...3).map { [.integer(Int64($0)), .null, .text($0 == 2 ? "two" : nil)] })
                try await BulkInsert.run(tx, into: "bulk_nulls", columns: columns, rows: [[.null, .null, .null],
                                                                                          [.null, .null, .null]])
            }
            let rows = try await db.sql.raw("SELECT n, d, r FROM bulk_nulls ORDER BY n").all()
            #expect(try rows.map { try $0.decode(column: "n", as: Int64?.self) } == [1, 2, 3, nil, nil]
                    || (try rows.map { try $0.decode(column: "n", as: Int64?.self) }) == [nil, nil, 1, 2, 3])
            #expect(try rows.allSatisfy { try $0.decode(column: "d", as: String?.self) == nil })
            #expect(try rows.compactMap { try $0.decode(column: "r", as: String?.self) } == ["two"])
        }
    }

    @Test("A PostgreSQL column array quotes every text, escapes quotes and backslashes, and leaves NULL bare")
    func arrayLiteral() {
        let id = UUID(uuidString: "01A204E6-097D-786C-ADA5-9A775E407D2C")!
        #expect(BulkInsert.arrayLiteral([SQLCell.text("a\"b\\c"), .null, .text("NULL"), .text(""), .integer(-3), .uuid(id)])
                == #"{"a\"b\\c",NULL,"NULL","",-3,01A204E6-097D-786C-ADA5-9A775E407D2C}"#)
        #expect(BulkInsert.arrayLiteral([SQLCell]()) == "{}")
    }
}
