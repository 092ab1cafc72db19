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
