/// A user or operating error: something a person can fix. Programmer errors are preconditions instead.
///
/// `code` is stable and dotted (`ledger.entry.unbalanced`); it is also the key a translation would use.
/// `message` says what is wrong and how to fix it. `field` names the form field or JSON path concerned.
public struct DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; the web layer maps kinds to HTTP statuses in one place.
    public enum Kind: String, Sendable, Equatable {
        case malformed, unauthenticated, forbidden, notFound, conflict, tooLarge, invalid, rateLimited, unavailable
    }

    /// One problem inside a batch or an import: which item (index or line), which field, what is wrong.
    public struct Item: Sendable, Equatable, Codable {
        public let index: Int?
        public let line: Int?
        public let field: String?
        public let code: String
        public let message: String

        public init(index: Int? = nil, line: Int? = nil, field: String? = nil, code: String, message: String) {
            self.index = index
            self.line = line
            self.field = field
            self.code = code
            self.message = message
        }
    }

    public let kind: Kind
    public let code: String
    public let message: String
    public let field: String?
    public let items: [Item]

    public init(_ kind: Kind, _ code: String, _ message: String, field: String? = nil, items: [Item] = []) {
        precondition(!code.isEmpty && !code.contains(" "), "error codes are dotted identifiers")
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field
        self.items = items
    }

    public var description: String { "\(code): \(message)" }

    public static func invalid(_ code: String, _ message: String, field: String? = nil) -> DomainError {
        DomainError(.invalid, code, message, field: field)
    }
    public static func notFound(_ code: String, _ message: String) -> DomainError {
        DomainError(.notFound, code, message)
    }
    public static func conflict(_ code: String, _ message: String, field: String? = nil) -> DomainError {
        DomainError(.conflict, code, message, field: field)
    }
    public static func forbidden(_ code: String, _ message: String) -> DomainError {
        DomainError(.forbidden, code, message)
    }
}
