import Foundation

/// International bank account numbers (ISO 13616): country code, two check digits, and a national part whose
/// length the country fixes. Checked by length per country and by the mod-97 checksum.
public enum IBAN {
    /// IBAN lengths of the SEPA countries and the other common registry members.
    static let lengths: [String: Int] = [
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
        "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
        "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21,
        "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21,
        "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
        "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
        "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    ]

    /// The IBAN in its electronic form (upper case, no spaces), or the reason it is not one.
    public static func normalize(_ text: String, field: String = "iban") throws(DomainError) -> String {
        let compact = String(text.unicodeScalars.filter { $0 != " " && $0 != "-" }).uppercased()
        guard compact.count >= 5, compact.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric }) else {
            throw .invalid("iban.invalid", "'\(text)' is not an IBAN (letters and digits, like DE89 3704 0044 "
                           + "0532 0130 00)", field: field)
        }
        let country = String(compact.prefix(2))
        guard let length = lengths[country] else {
            throw .invalid("iban.country_unknown", "'\(country)' is not a country that uses IBANs", field: field)
        }
        guard compact.count == length else {
            throw .invalid("iban.length", "An IBAN from \(country) has \(length) characters, not \(compact.count)",
                           field: field)
        }
        guard checksum(compact) == 1 else {
            throw .invalid("iban.checksum", "'\(text)' fails the IBAN check digits: a character is mistyped",
                           field: field)
        }
        return compact
    }

    /// ISO 7064 MOD 97-10 over the IBAN with its first four characters moved to the end, letters as 10...35.
    static func checksum(_ compact: String) -> Int {
        let rearranged = compact.unicodeScalars.dropFirst(4) + compact.unicodeScalars.prefix(4)
        var remainder = 0
        for scalar in rearranged {
            let value = scalar.isASCIIDigit ? Int(scalar.value - 48) : Int(scalar.value - 55)
            remainder = (value < 10 ? remainder * 10 + value : remainder * 100 + value) % 97
        }
        return remainder
    }

    /// Groups of four for reading ("DE89 3704 0044 0532 0130 00").
    public static func printed(_ compact: String) -> String {
        var groups: [Substring] = []
        var rest = Substring(compact)
        while !rest.isEmpty {
            groups.append(rest.prefix(4))
            rest = rest.dropFirst(4)
        }
        return groups.joined(separator: " ")
    }
}

/// Bank identifier codes (ISO 9362): four letters for the bank, two for the country, two letters or digits for
/// the location, and an optional three for the branch.
public enum BIC {
    public static func normalize(_ text: String, field: String = "bic") throws(DomainError) -> String {
        let compact = String(text.unicodeScalars.filter { $0 != " " }).uppercased()
        let scalars = Array(compact.unicodeScalars)
        guard scalars.count == 8 || scalars.count == 11, scalars.prefix(6).allSatisfy(\.isASCIILetter),
              scalars.dropFirst(6).allSatisfy(\.isASCIIAlphanumeric) else {
            throw .invalid("bic.invalid", "'\(text)' is not a BIC (6 letters, then 2 or 5 letters or digits, like "
                           + "COBADEFFXXX)", field: field)
        }
        return compact
    }
}

extension Unicode.Scalar {
    package var isASCIIDigit: Bool { ("0"..."9").contains(self) }
    package var isASCIILetter: Bool { ("A"..."Z").contains(self) || ("a"..."z").contains(self) }
    package var isASCIIAlphanumeric: Bool { isASCIIDigit || isASCIILetter }
}
