import Foundation
import Kernel
import OpenAPIRuntime
import Platform
import Vapor

/// The JSON API, implementing the protocol generated from `openapi.yaml`. Each handler is thin: it reads the
/// request (through the task-local Vapor request for the principal and the database), calls a use case, and
/// maps the result. Errors are thrown and mapped to problem+json by `KeelErrorMiddleware`.
struct APIHandler: APIProtocol {
    /// The Vapor request being served, handed to the generated handlers through a task-local.
    var request: Request {
        guard let request = APIRequestMiddleware.current else { preconditionFailure("API request outside middleware") }
        return request
    }

    func getMe(_ input: Operations.GetMe.Input) async throws -> Operations.GetMe.Output {
        let principal = try request.requirePrincipal()
        guard let id = principal.userID, let user = try await request.users.find(id: id) else {
            throw DomainError(.unauthenticated, "auth.required", "Sign in first")
        }
        return .ok(.init(body: .json(.init(user: user.api, permissions: principal.permissions.map(\.description).sorted(),
                                           tokenScopes: principal.tokenScopes?.sorted()))))
    }

    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        try require(try request.requirePrincipal(), Permission("users", .read))
        return .ok(.init(body: .json(.init(items: try await request.users.list().map(\.api)))))
    }

    func createUser(_ input: Operations.CreateUser.Input) async throws -> Operations.CreateUser.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let result = try await request.users.create(
            .init(username: body.username, displayName: body.displayName, email: body.email, roles: body.roles,
                  password: body.password), by: principal)
        return .created(.init(body: .json(.init(user: result.user.api, generatedPassword: result.password))))
    }

    func disableUser(_ input: Operations.DisableUser.Input) async throws -> Operations.DisableUser.Output {
        let user = try await request.users.disable(username: input.path.username, by: try request.requirePrincipal())
        return .ok(.init(body: .json(user.api)))
    }

    func listTokens(_ input: Operations.ListTokens.Input) async throws -> Operations.ListTokens.Output {
        let principal = try request.requirePrincipal()
        let tokens = try await request.auth.tokens(username: principal.username, actor: principal)
        return .ok(.init(body: .json(.init(items: tokens.map(\.api)))))
    }

    func createToken(_ input: Operations.CreateToken.Input) async throws -> Operations.CreateToken.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let created = try await request.auth.createToken(username: principal.username, name: body.name,
                                                         scopes: body.scopes ?? [], expiresInDays: body.expiresInDays,
                                                         by: principal)
        return .created(.init(body: .json(.init(secret: created.secret, token: created.token.api))))
    }

    func revokeToken(_ input: Operations.RevokeToken.Input) async throws -> Operations.RevokeToken.Output {
        let token = try await request.auth.revokeToken(id: input.path.id, by: try request.requirePrincipal())
        return .ok(.init(body: .json(token.api)))
    }

    func listAudit(_ input: Operations.ListAudit.Input) async throws -> Operations.ListAudit.Output {
        try require(try request.requirePrincipal(), Permission("audit", .read))
        let query = input.query
        let limit = query.limit ?? 100
        guard (1...500).contains(limit) else {
            throw DomainError.invalid("request.limit.invalid", "limit must be between 1 and 500", field: "limit")
        }
        let filter = AuditFilter(actor: query.actor, entity: query.entity, entityID: query.entityId,
                                 action: query.action, from: try query.from.map { try CivilDate.parse($0, field: "from") },
                                 to: try query.to.map { try CivilDate.parse($0, field: "to") },
                                 beforeSeq: query.before, limit: limit)
        let records = try await AuditChain.list(on: request.db, filter: filter)
        return .ok(.init(body: .json(.init(items: records.map(\.api),
                                           nextBefore: records.count == limit ? records.last?.seq : nil))))
    }

    static let jsonRequired = DomainError(.malformed, "request.content_type", "Send the body as application/json")
}

extension UserSummary {
    var api: Components.Schemas.User {
        .init(id: id, username: username, displayName: displayName, email: email, roles: roles, disabled: disabled)
    }
}

extension TokenSummary {
    var api: Components.Schemas.Token {
        .init(id: id, name: name, username: username, scopes: scopes, expiresOn: expiresOn?.description,
              createdAt: createdAt, lastUsedAt: lastUsedAt, revoked: revoked,
              expired: expired)
    }
}

extension AuditRecord {
    var api: Components.Schemas.AuditEntry {
        .init(seq: seq, at: at, actor: actor, action: action, entity: entity, entityId: entityID, before: before,
              after: after, hash: hash)
    }
}
