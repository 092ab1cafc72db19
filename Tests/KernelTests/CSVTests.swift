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
}
