import Foundation

/// A postal address; every part optional, the country as an ISO 3166 alpha-2 code.
public struct Address: Sendable, Codable, Equatable {
    public var line1: String?
    public var line2: String?
    public var postalCode: String?
    public var city: String?
    public var region: String?
    public var country: String?

    public init(line1: String? = nil, line2: String? = nil, postalCode: String? = nil, city: String? = nil,
                region: String? = nil, country: String? = nil) {
        self.line1 = line1
        self.line2 = line2
        self.postalCode = postalCode
        self.city = city
        self.region = region
        self.country = country
    }

    public var isEmpty: Bool { [line1, line2, postalCode, city, region, country].allSatisfy { ($0 ?? "").isEmpty } }

    /// The address as printed on a letter, one line per part that is there.
    public var lines: [String] {
        [line1, line2, [postalCode, city].compactMap { $0 }.joined(separator: " "), region, country]
            .compactMap { $0 }.filter { !$0.isEmpty }
    }

    public static let lineLengthMax = 200

    /// The address with blank parts dropped and the country upper-cased; each part too long and a country that
    /// is not two letters is reported in `problems` under `field.part`.
    public static func validated(_ given: Address?, field: String, _ problems: inout [DomainError.Item]) -> Address {
        guard let given else { return Address() }
        var address = Address(line1: given.line1.nonBlank, line2: given.line2.nonBlank,
                              postalCode: given.postalCode.nonBlank, city: given.city.nonBlank,
                              region: given.region.nonBlank, country: given.country.nonBlank?.uppercased())
        for (part, value) in [("line1", address.line1), ("line2", address.line2), ("postalCode", address.postalCode),
                              ("city", address.city), ("region", address.region)] {
            if let value, value.count > lineLengthMax {
                problems.append(.init(field: "\(field).\(part)", code: "address.too_long",
                                      message: "An address line has at most \(lineLengthMax) characters"))
            }
        }
        if let country = address.country,
           country.count != 2 || !country.unicodeScalars.allSatisfy(\.isASCIILetter) {
            problems.append(.init(field: "\(field).country", code: "address.country_invalid",
                                  message: "'\(country)' is not a country code (two letters, ISO 3166: DE, FR, US)"))
            address.country = nil
        }
        return address
    }
}

public enum EmailAddress {
    /// Something@something.tld, no spaces, at most 254 characters: the check a form can make without mailing.
    public static func isPlausible(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard text.count <= 254, parts.count == 2, !parts[0].isEmpty, !text.unicodeScalars.contains(where: { $0 == " " }),
              let dot = parts[1].lastIndex(of: "."), dot != parts[1].startIndex,
              parts[1].index(after: dot) != parts[1].endIndex else { return false }
        return true
    }
}
