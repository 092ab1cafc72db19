import Catalog
import Kernel
import Parties

/// The demo company's customers and vendors: 40 customers in five countries (a few foreign, one in USD) and the
/// suppliers its books pay (landlord, utilities, software, the van's dealer, the bank).
enum DemoParties {
    static func partners() -> [PartnerInput] {
        let first = ["Alpen", "Baltic", "Corner", "Delta", "Elbe", "Fjord", "Garten", "Hafen", "Insel", "Jura"]
        let second = ["Bakery", "Books", "Cycles", "Deli", "Outfitters", "Pharmacy", "Market", "Toys"]
        let places: [(city: String, postalCode: String, country: String, suffix: String, taxID: (Int) -> String,
                      currency: String)] = [
            ("Berlin", "10115", "DE", "GmbH", { "DE\(100_000_000 + $0 * 7_919)" }, "EUR"),
            ("Hamburg", "20095", "DE", "GmbH", { "DE\(200_000_000 + $0 * 6_271)" }, "EUR"),
            ("Lyon", "69001", "FR", "SARL", { "FR\(10 + $0 % 80)\(300_000_000 + $0 * 4_111)" }, "EUR"),
            ("Utrecht", "3511", "NL", "B.V.", { "NL\(400_000_000 + $0 * 3_331)B01" }, "EUR"),
            ("Boston", "02108", "US", "Inc.", { "\(10 + $0 % 80)-\(1_000_000 + $0 * 1_777)" }, "USD"),
        ]
        var result: [PartnerInput] = []
        for index in 0..<40 {
            let place = places[index % places.count]
            let name = "\(first[index % first.count]) \(second[(index / first.count + index) % second.count])"
            let slug = name.lowercased().replacing(" ", with: "-")
            result.append(PartnerInput(
                code: "C-" + String(String(1_000 + index + 1).dropFirst()), name: "\(name) \(place.suffix)",
                isCustomer: true, taxID: place.taxID(index), email: "accounts@\(slug).example",
                currency: place.currency, paymentTerms: index % 5 == 1 ? "2/10 net 30" : index % 4 == 2 ? "eom+15" : "net 14",
                creditLimit: index % 3 == 0 ? "25000.00" : nil,
                billingAddress: Address(line1: "\(index + 1) Market Street", postalCode: place.postalCode,
                                        city: place.city, country: place.country),
                contacts: [Contact(name: "Accounts payable", email: "ap@\(slug).example")]))
        }
        result += [
            PartnerInput(code: "V-LANDLORD", name: "Hofmann Immobilien KG", isCustomer: false, isVendor: true,
                         taxID: "DE811234567", currency: "EUR", paymentTerms: "immediate",
                         billingAddress: Address(line1: "Kantstr. 4", postalCode: "10623", city: "Berlin", country: "DE"),
                         iban: "DE89 3704 0044 0532 0130 00", bic: "COBADEFFXXX"),
            PartnerInput(code: "V-POWER", name: "Stadtwerke Energie GmbH", isCustomer: false, isVendor: true,
                         taxID: "DE812345678", currency: "EUR", paymentTerms: "net 14",
                         billingAddress: Address(city: "Berlin", country: "DE")),
            PartnerInput(code: "V-SOFTWARE", name: "Cloudworks B.V.", isCustomer: false, isVendor: true,
                         taxID: "NL123456789B01", currency: "EUR", paymentTerms: "net 30",
                         billingAddress: Address(city: "Amsterdam", country: "NL"), iban: "NL91ABNA0417164300"),
            PartnerInput(code: "V-VANS", name: "Nordauto Nutzfahrzeuge GmbH", isCustomer: false, isVendor: true,
                         taxID: "DE813456789", currency: "EUR", paymentTerms: "2/10 net 30",
                         billingAddress: Address(city: "Hamburg", country: "DE")),
            PartnerInput(code: "V-BANK", name: "Handelsbank AG", isCustomer: false, isVendor: true, currency: "EUR",
                         paymentTerms: "immediate", billingAddress: Address(city: "Frankfurt am Main", country: "DE")),
            PartnerInput(code: "V-WHOLESALE", name: "Marchand Frères SARL", isCustomer: true, isVendor: true,
                         taxID: "FR40303265045", currency: "EUR", paymentTerms: "eom+30",
                         billingAddress: Address(city: "Lille", country: "FR"),
                         iban: "FR14 2004 1010 0505 0001 3M02 606"),
        ]
        return result
    }
}

/// The demo company's catalog: the goods it trades and the services it bills, priced in EUR (some also in USD).
enum DemoCatalog {
    static func products() -> [ProductInput] {
        let goods: [(String, String, String, String?, String)] = [
            ("BIKE-CITY", "City bike", "649.00", "699.00", "VAT19"),
            ("BIKE-CARGO", "Cargo bike", "2890.00", "3150.00", "VAT19"),
            ("HELMET-M", "Helmet, size M", "59.90", "64.00", "VAT19"),
            ("LOCK-U", "U-lock", "34.50", nil, "VAT19"),
            ("LIGHT-SET", "Light set, USB", "24.90", nil, "VAT19"),
            ("TUBE-28", "Inner tube 28\"", "6.40", nil, "VAT19"),
            ("MAP-REGION", "Cycling map of the region", "12.80", nil, "VAT7"),
            ("BOOK-REPAIR", "Bicycle repair handbook", "19.90", "22.00", "VAT7"),
        ]
        let services: [(String, String, String, String)] = [
            ("SVC-SERVICE", "Annual bike service", "89.00", "pc"),
            ("SVC-REPAIR", "Workshop labour", "68.00", "h"),
            ("SVC-FLEET", "Fleet maintenance contract, monthly", "420.00", "mo"),
            ("SVC-FIT", "Bike fitting", "120.00", "pc"),
        ]
        return goods.map { sku, name, eur, usd, tax in
            ProductInput(sku: sku, name: name, kind: "product", prices: ["EUR": eur].merging(usd.map { ["USD": $0] } ?? [:]) { a, _ in a },
                         incomeAccount: "4000", taxCode: tax)
        } + services.map { sku, name, eur, unit in
            ProductInput(sku: sku, name: name, kind: "service", unit: unit, prices: ["EUR": eur], incomeAccount: "4100",
                         taxCode: "VAT19")
        }
    }
}
