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
