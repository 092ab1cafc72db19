import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import Kernel
import Platform
import Vapor
import Web

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users.",
        subcommands: [Add.self, List.self, Disable.self, ResetPassword.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user. Without --password-stdin a password is generated and printed.")

        @ArgumentParser.Option var username: String
        @ArgumentParser.Option(name: .customLong("role"), help: "A role; repeat for several.") var roles: [String] = []
        @ArgumentParser.Option(help: "Name shown in the pages.") var displayName: String?
        @ArgumentParser.Option var email: String?
        @ArgumentParser.Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false

        func run() async throws {
            let password = passwordStdin ? readLine(strippingNewline: true) ?? "" : nil
            try await withApplication { app, _ in
                let result = try await UserService(db: app.db, context: app.keelContext).create(
                    .init(username: username, displayName: displayName, email: email, roles: roles, password: password),
                    by: .system)
                print("created user \(result.user.username) with roles \(result.user.roles.joined(separator: ", "))")
                if let generated = result.password { print("password: \(generated)") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")

        func run() async throws {
            try await withApplication { app, _ in
                for user in try await UserService(db: app.db, context: app.keelContext).list() {
                    let state = user.disabled ? "disabled" : "active"
                    print("\(user.username)\t\(state)\t\(user.roles.joined(separator: ","))\t\(user.displayName)")
                }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user; their sessions and tokens stop at once.")
        @ArgumentParser.Argument var username: String

        func run() async throws {
            try await withApplication { app, _ in
                _ = try await UserService(db: app.db, context: app.keelContext).disable(username: username, by: .system)
                print("disabled \(username)")
            }
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reset-password",
                                                        abstract: "Set and print a new generated password.")
        @ArgumentParser.Argument var username: String

        func run() async throws {
            try await withApplication { app, _ in
                let password = try await UserService(db: app.db, context: app.keelContext)
                    .resetPassword(username: username, by: .system)
                print("password: \(password)")
            }
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Manage API tokens.",
                                                    subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API token; prints the token alone on stdout.")

        @ArgumentParser.Option var username: String
        @ArgumentParser.Option var name: String
        @ArgumentParser.Option(name: .customLong("scope"), help: "A scope (users:read, ledger:*, *); repeat for several.")
        var scopes: [String] = []
        @ArgumentParser.Option var expiresInDays: Int?

        func run() async throws {
            try await withApplication { app, _ in
                let created = try await AuthService(db: app.db, context: app.keelContext).createToken(
                    username: username, name: name, scopes: scopes, expiresInDays: expiresInDays, by: .system)
                print(created.secret)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List API tokens, newest first, never their secrets.",
            discussion: "Columns, tab-separated: id, user, name, scopes, expiry date, last use, state (active, expired or revoked).")

        @ArgumentParser.Option(help: "Only this user's tokens.") var username: String?

        func run() async throws {
            try await withApplication { app, _ in
                for token in try await AuthService(db: app.db, context: app.keelContext)
                    .tokens(username: username, actor: .system) {
                    print([token.id, token.username, token.name, token.scopes.joined(separator: ","),
                           token.expiresOn?.description ?? "never", token.lastUsedAt.map(RFC3339.format) ?? "never used",
                           token.state].joined(separator: "\t"))
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an API token by its id (from `keel token list`).",
            discussion: "A running server stops accepting it within KEEL_TOKEN_CACHE_MS (a second by default).")

        @ArgumentParser.Argument var id: String

        func run() async throws {
            try await withApplication { app, _ in
                let token = try await AuthService(db: app.db, context: app.keelContext).revokeToken(id: id, by: .system)
                print("revoked token \(token.id) (\(token.name), of \(token.username))")
            }
        }
    }
}

/// Waits for SIGINT or SIGTERM.
enum Signals {
    nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []

    static func waitForTermination() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumed = NIOLockedValueBox(false)
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    let first = resumed.withLockedValue { done in defer { done = true }; return !done }
                    if first { continuation.resume() }
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}
