import Catalog
import Fluent
import Kernel
import Ledger
import Parties
import People
import Platform
import Sales
import Vapor

/// The application's shared pieces, stored on the Vapor application by `configure`.
struct KeelServices: Sendable {
    let context: PlatformContext
}

extension Application {
    private struct ServicesKey: StorageKey { typealias Value = KeelServices }

    var keel: KeelServices {
        get {
            guard let services = storage[ServicesKey.self] else { preconditionFailure("configure(app) was not called") }
            return services
        }
        set { storage[ServicesKey.self] = newValue }
    }

    /// The platform context `configure` set up (for the CLI and tests).
    public var keelContext: PlatformContext { keel.context }
}

extension Request {
    var context: PlatformContext { application.keel.context }
    var users: UserService { UserService(db: db, context: context) }
    var auth: AuthService { AuthService(db: db, context: context) }
    var parties: PartiesService { PartiesService(db: db, context: context) }
    var catalog: CatalogService { CatalogService(db: db, context: context, references: LedgerReferences(db: db, context: context)) }
    var sales: SalesService { SalesService(db: db, context: context, products: LedgerReferences(db: db, context: context)) }
    var people: PeopleService { PeopleService(db: db, context: context) }

    private struct PrincipalKey: StorageKey { typealias Value = Principal }
    private struct SessionKey: StorageKey { typealias Value = SessionInfo }

    /// Who is making this request, if anyone has been authenticated.
    var principal: Principal? {
        get { storage[PrincipalKey.self] }
        set { storage[PrincipalKey.self] = newValue }
    }

    /// The browser session, when the request came with a valid session cookie.
    var session: SessionInfo? {
        get { storage[SessionKey.self] }
        set { storage[SessionKey.self] = newValue }
    }

    /// The principal, or `auth.required` (401).
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw DomainError(.unauthenticated, "auth.required", "Sign in first") }
        return principal
    }

    /// Reads an URL-encoded form; a body that is not a form is a 400 with a clear message.
    func form<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try content.decode(T.self, as: .urlEncodedForm)
        } catch {
            throw DomainError(.malformed, "request.form.invalid", "The form could not be read: \(error)")
        }
    }
}
