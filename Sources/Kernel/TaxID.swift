import Foundation

/// Tax identification numbers. A VAT number that starts with a prefix whose format is known (the EU member
/// states, Northern Ireland, the United Kingdom, Switzerland, Norway) must match that format; any other tax id
/// (a US EIN, a national number without prefix) is kept as entered after a plausibility check.
public enum TaxID {
    public static let lengthMax = 30

    /// Formats after the two-letter prefix: `#` a digit, `@` a letter, `*` a letter or digit, anything else itself.
    static let vatFormats: [String: [String]] = [
        "AT": ["U########"], "BE": ["0#########", "1#########"], "BG": ["#########", "##########"],
        "CY": ["########@"], "CZ": ["########", "#########", "##########"], "DE": ["#########"],
        "DK": ["########"], "EE": ["#########"], "EL": ["#########"], "ES": ["*#######*"], "FI": ["########"],
        "FR": ["**#########"], "HR": ["###########"], "HU": ["########"],
        "IE": ["#######@", "#######@@", "#*#####@"], "IT": ["###########"], "LT": ["#########", "############"],
        "LU": ["########"], "LV": ["###########"], "MT": ["########"], "NL": ["#########B##"],
        "PL": ["##########"], "PT": ["#########"],
        "RO": ["##", "###", "####", "#####", "######", "#######", "########", "#########", "##########"],
        "SE": ["##########01"], "SI": ["########"], "SK": ["##########"],
        "GB": ["#########", "############", "GD###", "HA###"], "XI": ["#########", "############", "GD###", "HA###"],
        "CH": ["E#########", "E#########MWST", "E#########TVA", "E#########IVA"], "NO": ["#########MVA"],
    ]

    /// The tax id in its compact form (upper case; spaces, dots and dashes removed when the format is known).
    public static func normalize(_ text: String, field: String = "taxId") throws(DomainError) -> String {
        let trimmed = text.trimmed
        let compact = String(trimmed.unicodeScalars.filter { $0 != " " && $0 != "." && $0 != "-" }).uppercased()
        if compact.count > 2, let formats = vatFormats[String(compact.prefix(2))] {
            let rest = Array(compact.unicodeScalars.dropFirst(2))
            guard formats.contains(where: { matches(rest, $0) }) else {
                let country = compact.prefix(2)
                throw .invalid("tax_id.format",
                               "'\(trimmed)' is not a \(country) VAT number, which is "
                               + formats.map { "\(country)\(describe($0))" }.joined(separator: " or "), field: field)
            }
            return compact
        }
        guard (2...lengthMax).contains(trimmed.count),
              trimmed.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric || " -./".unicodeScalars.contains($0) }),
              trimmed.unicodeScalars.contains(where: \.isASCIIDigit) else {
            throw .invalid("tax_id.invalid", "'\(trimmed)' is not a tax id: 2 to \(lengthMax) letters and "
                           + "digits (with spaces, dots or dashes), at least one digit", field: field)
        }
        return trimmed.uppercased()
    }

    /// Whether a normalized tax id is a VAT number: it starts with a prefix whose VAT format is known.
    public static func isVAT(_ compact: String) -> Bool {
        compact.count > 2 && vatFormats[String(compact.prefix(2))] != nil
    }

    static func matches(_ scalars: [Unicode.Scalar], _ format: String) -> Bool {
        let pattern = Array(format.unicodeScalars)
        guard scalars.count == pattern.count else { return false }
        for (scalar, want) in zip(scalars, pattern) {
            switch want {
            case "#": if !scalar.isASCIIDigit { return false }
            case "@": if !scalar.isASCIILetter { return false }
            case "*": if !scalar.isASCIIAlphanumeric { return false }
            default: if scalar != want { return false }
            }
        }
        return true
    }

    /// "#########" reads as "9 digits"; mixed formats are shown with 9 for a digit and A for a letter.
    static func describe(_ format: String) -> String {
        if format.allSatisfy({ $0 == "#" }) { return " followed by \(format.count) digits" }
        return " followed by " + format.map { $0 == "#" ? "9" : $0 == "@" ? "A" : $0 == "*" ? "X" : $0 }
            .map(String.init).joined()
    }
}
