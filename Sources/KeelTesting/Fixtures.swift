import Fluent
import Foundation
import Kernel
import Platform
import Vapor
import VaporTesting
import Web

/// Small builders tests share.
public enum Fixtures {
    public static let password = "correct horse battery"

    /// Creates a user with the given roles and the fixture password.
    @discardableResult
    public static func user(_ username: String, roles: [String], on app: Application) async throws -> UserSummary {
        try await UserService(db: app.db, context: app.keelContext)
            .create(.init(username: username, roles: roles, password: password), by: .system).user
    }

    /// A principal for a user, as the pages and API would build it.
    public static func principal(_ username: String, on app: Application) async throws -> Principal {
        let user = try await UserService(db: app.db, context: app.keelContext).find(username: username)
        return try await UserService.principal(userID: UUID(uuidString: user.id)!, on: app.db)!
    }

    /// Signs in through the login form and returns the session cookie and the session's CSRF token.
    public static func signIn(_ username: String, password: String = password,
                              on app: Application) async throws -> (cookie: String, csrf: String) {
        let (token, session) = try await AuthService(db: app.db, context: app.keelContext)
            .signIn(username: username, password: password, remoteAddress: nil)
        return ("keel_session=\(token)", session.csrfToken)
    }

    /// Creates an API token for a user and returns its secret.
    public static func token(for username: String, scopes: [String] = [], on app: Application) async throws -> String {
        try await AuthService(db: app.db, context: app.keelContext)
            .createToken(username: username, name: "test", scopes: scopes, expiresInDays: 30, by: .system).secret
    }
}
