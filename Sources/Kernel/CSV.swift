import Foundation

/// Splitting one CSV line, with quoted fields ("Expenses:Rent, office").
public enum CSVLine {
    public static func split(_ line: String) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var iterator = Array(line).makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(field.trimmingCharacters(in: .whitespaces))
                field = ""
            } else {
                field.append(character)
            }
        }
        fields.append(field.trimmingCharacters(in: .whitespaces))
        return fields
    }

    /// Splits CSV text into records, each with the number of the line it starts on. A quoted field may hold line
    /// breaks: a record goes on while a quote is open. Line ends are `\n` or `\r\n`.
    public static func records(_ text: String) -> [(line: Int, text: String)] {
        var result: [(Int, String)] = []
        var current = ""
        var start = 1
        var quotes = 0
        // "\r\n" is one Character in Swift, so both line ends are matched as characters.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, line) in lines.enumerated() {
            if quotes % 2 == 0 {
                current = String(line)
                start = index + 1
            } else {
                current += "\n" + line
            }
            quotes += line.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "\"") ? 1 : 0) }
            if quotes % 2 == 0 {
                result.append((start, current))
                quotes = 0
            }
        }
        if quotes % 2 == 1 { result.append((start, current)) }
        return result
    }

    /// A CSV file as its header (lower-cased names) and its non-blank data rows, each with the line it starts on.
    public static func table(_ text: String) -> (header: [String], rows: [(line: Int, fields: [String])]) {
        let records = records(text)
        let header = records.first.map { split($0.text).map { $0.lowercased() } } ?? []
        let rows = records.dropFirst().filter { !$0.text.trimmed.isEmpty }.map { (line: $0.line, fields: split($0.text)) }
        return (header.count == 1 && header[0].isEmpty ? [] : header, rows)
    }

    /// One field as CSV writes it: quoted when it holds a comma, a quote or a line break.
    public static func field(_ text: String) -> String {
        guard text.has(",") || text.has("\"") || text.has("\n") || text.has("\r") else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }

    /// A row of fields, each quoted as needed, without the line break.
    public static func join(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",")
    }
}

/// Reading the CSV file of an all-or-nothing import: its rows by column name, with every problem of the header
/// and of the rows' shape reported at once, by line, under the area's codes (`<area>.csv.column_unknown`, ...).
/// Checking the values themselves is the area's.
public enum CSVImport {
    public struct Row: Sendable {
        public let line: Int
        public let fields: [String: String]
    }

    /// `isColumn` says which (normalised) header names are known, `columnsHint` how to name them in a message;
    /// `normalize` maps a lower-cased header name to its canonical form.
    public static func read(_ text: String, area: String, isColumn: (String) -> Bool, columnsHint: String,
                            required: [String], rowsMax: Int,
                            normalize: (String) -> String = { $0 }) throws(DomainError) -> [Row] {
        let (names, records) = CSVLine.table(text)
        guard !names.isEmpty else {
            throw .invalid("\(area).csv.empty", "The CSV is empty; its first row names the columns", field: "csv")
        }
        let header = names.map(normalize)
        var problems: [DomainError.Item] = []
        for column in header where !isColumn(column) {
            problems.append(.init(line: 1, field: column, code: "\(area).csv.column_unknown",
                                  message: "'\(column)' is not a column; use \(columnsHint)"))
        }
        for column in required where !header.contains(column) {
            problems.append(.init(line: 1, field: column, code: "\(area).csv.column_missing",
                                  message: "The CSV needs a \(column) column"))
        }
        if Set(header).count != header.count {
            problems.append(.init(line: 1, code: "\(area).csv.column_repeated", message: "A column is named twice"))
        }
        guard problems.isEmpty else { throw error(problems, area: area) }
        var rows: [Row] = []
        for (number, fields) in records {
            guard rows.count < rowsMax else {
                throw DomainError(.tooLarge, "\(area).csv.too_large", "A CSV import has at most \(rowsMax) rows")
            }
            guard fields.count == header.count else {
                problems.append(.init(line: number, code: "\(area).csv.columns_count",
                                      message: "The row has \(fields.count) fields; the header has \(header.count)"))
                continue
            }
            rows.append(Row(line: number, fields: Dictionary(uniqueKeysWithValues: zip(header, fields))))
        }
        guard problems.isEmpty else { throw error(problems, area: area) }
        return rows
    }

    /// The one error an import that wrote nothing answers with, carrying every problem.
    public static func error(_ problems: [DomainError.Item], area: String) -> DomainError {
        DomainError(.invalid, "\(area).csv.invalid",
                    "\(problems.count) problem\(problems.count == 1 ? "" : "s") in the CSV; nothing was imported",
                    field: "csv", items: problems)
    }
}
