/// An ISO 4217 currency: its alphabetic code and the number of digits after the decimal point
/// (its exponent), which decides what a "minor unit" of `Money` is.
public struct Currency: Sendable, Hashable, Codable, CustomStringConvertible {
    public let code: String
    public let exponent: Int

    private init(code: String, exponent: Int) {
        self.code = code
        self.exponent = exponent
    }

    /// Looks a currency up by its ISO 4217 code (case-insensitive); `nil` for codes that are not active.
    public init?(code: String) {
        let upper = code.uppercased()
        guard let exponent = Currency.table[upper] else { return nil }
        self.init(code: upper, exponent: exponent)
    }

    /// Parses a currency code, throwing `money.currency.unknown` for anything that is not active ISO 4217.
    public static func parse(_ code: String, field: String? = "currency") throws(DomainError) -> Currency {
        guard let currency = Currency(code: code) else {
            throw .invalid("money.currency.unknown", "'\(code)' is not an active ISO 4217 currency code", field: field)
        }
        return currency
    }

    public var description: String { code }

    /// 10^exponent: how many minor units make one major unit.
    public var minorUnitsPerMajor: Int64 {
        var value: Int64 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    public init(from decoder: any Decoder) throws {
        let code = try decoder.singleValueContainer().decode(String.self)
        guard let currency = Currency(code: code) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "unknown currency \(code)"))
        }
        self = currency
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }

    public static let eur = Currency(code: "EUR", exponent: 2)
    public static let usd = Currency(code: "USD", exponent: 2)
    public static let gbp = Currency(code: "GBP", exponent: 2)
    public static let chf = Currency(code: "CHF", exponent: 2)
    public static let jpy = Currency(code: "JPY", exponent: 0)
    public static let kwd = Currency(code: "KWD", exponent: 3)

    /// Every code in use, sorted.
    public static var allCodes: [String] { table.keys.sorted() }

    /// Active ISO 4217 currencies (list one, 2024 amendments) with their minor-unit exponent.
    /// Precious metals, test codes and codes without a minor unit (XDR, XAU, XTS, XXX) are left out:
    /// nobody invoices in them.
    static let table: [String: Int] = {
        var table: [String: Int] = [:]
        let twoDigits = """
            AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD \
            CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS \
            GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL \
            MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK \
            PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS \
            TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG
            """
        for code in twoDigits.split(separator: " ") { table[String(code)] = 2 }
        for code in "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(separator: " ") {
            table[String(code)] = 0
        }
        for code in "BHD IQD JOD KWD LYD OMR TND".split(separator: " ") { table[String(code)] = 3 }
        for code in "CLF UYW".split(separator: " ") { table[String(code)] = 4 }
        return table
    }()
}
