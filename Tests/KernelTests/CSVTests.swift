import Kernel
import Testing

@Suite("CSV")
struct CSVTests {
    @Test("Fields are quoted only when they must be, and split back to what was written")
    func fieldsRoundTrip() {
        let fields = ["plain", "with, comma", "with \"quotes\"", "", "two\nlines"]
        let line = CSVLine.join(fields)
        #expect(line == "plain,\"with, comma\",\"with \"\"quotes\"\"\",,\"two\nlines\"")
        let records = CSVLine.records("a,b\n" + line + "\r\nlast,row\n")
        #expect(records.map(\.line) == [1, 2, 4, 5])
        #expect(CSVLine.split(records[1].text) == fields)
        #expect(records[2].text == "last,row" && records[3].text == "")
    }

    @Test("An unclosed quote keeps the rest of the text in one record rather than losing it")
    func unclosedQuote() {
        let records = CSVLine.records("a\n\"open\nstill open\nend")
        #expect(records.count == 2 && records[1].line == 2 && records[1].text == "\"open\nstill open\nend")
    }

    @Test("A table is its lower-cased header and its non-blank rows, each with the line it starts on")
    func table() {
        let (header, rows) = CSVLine.table("Code, Name\n\nA1,\"Two\nlines\"\n  \nB2,plain\n")
        #expect(header == ["code", "name"])
        #expect(rows.map(\.line) == [3, 6] && rows[0].fields == ["A1", "Two\nlines"] && rows[1].fields == ["B2", "plain"])
        #expect(CSVLine.table("").header.isEmpty && CSVLine.table("   ").header.isEmpty)
    }
}
