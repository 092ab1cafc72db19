// swift-tools-version:6.0
import PackageDescription

// Keel: one binary, two databases. Areas declare the areas they use here and nowhere else.
// Each area appears as a key; its value lists the areas it may import (dependencies point one way).
let areas: [(name: String, uses: [String])] = [
    ("Kernel", []),
    ("Platform", ["Kernel"]),
    ("Ledger", ["Platform", "Kernel"]),
    ("Parties", ["Platform", "Kernel"]),
    ("Catalog", ["Platform", "Kernel"]),
    ("People", ["Platform", "Kernel"]),
    ("Sales", ["Ledger", "Parties", "Catalog", "Platform", "Kernel"]),
]

let vapor: Target.Dependency = .product(name: "Vapor", package: "vapor")
let fluent: Target.Dependency = .product(name: "Fluent", package: "fluent")
let sqlKit: Target.Dependency = .product(name: "SQLKit", package: "sql-kit")

/// Third-party products each area needs beyond its sibling areas.
let areaProducts: [String: [Target.Dependency]] = [
    "Kernel": [],
    "Platform": [
        vapor, fluent, sqlKit,
        .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
        .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
        // The SQLite writer's own connection (SQLiteWriterConnection) builds on these directly.
        .product(name: "FluentSQL", package: "fluent-kit"),
        .product(name: "SQLiteNIO", package: "sqlite-nio"),
        .product(name: "Crypto", package: "swift-crypto"),
    ],
    "Ledger": [fluent, sqlKit, .product(name: "Crypto", package: "swift-crypto")],
    "Parties": [fluent, sqlKit],
    "Catalog": [fluent, sqlKit],
    "People": [fluent, sqlKit, .product(name: "Crypto", package: "swift-crypto")],
    "Sales": [fluent, sqlKit],
]

let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

var targets: [Target] = areas.map { area in
    .target(
        name: area.name,
        dependencies: area.uses.map { .target(name: $0) } + (areaProducts[area.name] ?? []),
        swiftSettings: swiftSettings
    )
}
targets += [
    .target(
        name: "Web",
        dependencies: areas.map { .target(name: $0.name) } + [
            vapor, fluent,
            .product(name: "Plot", package: "Plot"),
            .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Yams", package: "Yams"),
        ],
        resources: [.copy("openapi.yaml"), .copy("static")],
        swiftSettings: swiftSettings,
        plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
    ),
    .target(
        name: "KeelTesting",
        dependencies: ["Kernel", "Platform", "Web", vapor, fluent,
                       .product(name: "VaporTesting", package: "vapor")],
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "keel",
        dependencies: ["Kernel", "Platform", "Web", vapor, fluent,
                       .product(name: "ArgumentParser", package: "swift-argument-parser")],
        swiftSettings: swiftSettings
    ),
    .testTarget(name: "KernelTests", dependencies: ["Kernel"], swiftSettings: swiftSettings),
    .testTarget(name: "LedgerTests", dependencies: ["Kernel", "Platform", "Ledger", "KeelTesting", fluent, sqlKit],
                swiftSettings: swiftSettings),
    .testTarget(name: "CatalogTests", dependencies: ["Kernel", "Platform", "Catalog", "KeelTesting", fluent, sqlKit],
                swiftSettings: swiftSettings),
    .testTarget(name: "PartiesTests", dependencies: ["Kernel", "Platform", "Parties", "KeelTesting", fluent, sqlKit],
                swiftSettings: swiftSettings),
    .testTarget(name: "SalesTests",
                dependencies: ["Kernel", "Platform", "Ledger", "Parties", "Catalog", "Sales", "Web", "KeelTesting", fluent, sqlKit],
                swiftSettings: swiftSettings),
    .testTarget(name: "PeopleTests",
                dependencies: ["Kernel", "Platform", "People", "Web", "KeelTesting", fluent, sqlKit],
                swiftSettings: swiftSettings),
    .testTarget(name: "PlatformTests", dependencies: ["Kernel", "Platform", "KeelTesting", fluent, sqlKit],
                swiftSettings: swiftSettings),
    .testTarget(name: "WebTests",
                dependencies: ["Kernel", "Platform", "Web", "KeelTesting", vapor, fluent,
                               .product(name: "VaporTesting", package: "vapor")],
                swiftSettings: swiftSettings),
]

let package = Package(
    name: "Keel",
    platforms: [.macOS(.v14)],
    products: [.executable(name: "keel", targets: ["keel"])],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor", from: "4.115.0"),
        .package(url: "https://github.com/vapor/fluent", from: "4.12.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver", from: "4.8.0"),
        .package(url: "https://github.com/vapor/fluent-kit", from: "1.57.0"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver", from: "2.10.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.32.0"),
        .package(url: "https://github.com/JohnSundell/Plot", from: "0.14.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.0"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: targets
)
