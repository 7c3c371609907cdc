import Foundation
import HitchAPI
import HitchDomain
import HitchServices
import HitchStorage
import OpenAPIRuntime

/// Sign-in, the actor, users and tokens.
extension APIHandlers {
    package func login(_ input: Operations.Login.Input) async throws -> Operations.Login.Output {
        guard case .json(let body) = input.body else { throw HitchError(.badRequest, "expected a JSON body") }
        let issued = try await runtime.logins.login(
            username: body.username, password: SecretValue(body.password), tokenName: body.tokenName,
            lifetime: body.expiresInSeconds.map(TimeInterval.init), origin: RequestOrigin.current, logger: logger)
        return .ok(.init(body: .json(.init(
            token: APIMapping.token(issued.record, owner: issued.identity.name), secret: issued.secret.exposedValue))))
    }

    package func logout(_ input: Operations.Logout.Input) async throws -> Operations.Logout.Output {
        try await runtime.tokens.logout(by: RequestActor.current(), logger: logger)
        return .noContent(.init())
    }

    package func whoami(_ input: Operations.Whoami.Input) async throws -> Operations.Whoami.Output {
        let principal = try Principal.required()
        let identity = try await runtime.users.get(name: principal.name, logger: logger).identity
        let token = try await principal.tokenId.asyncMap { try await runtime.tokens.token(id: $0, logger: logger) } ?? nil
        return .ok(.init(body: .json(.init(
            id: identity.id, name: identity.name, displayName: identity.displayName, kind: identity.kind.rawValue,
            role: principal.role.rawValue, tokenName: principal.tokenName, tokenExpiresAt: token?.expiresAt))))
    }

    package func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        .ok(.init(body: .json(.init(users: try await runtime.users.list(logger: logger).map(APIMapping.user)))))
    }

    package func createUser(_ input: Operations.CreateUser.Input) async throws -> Operations.CreateUser.Output {
        guard case .json(let body) = input.body else { throw HitchError(.badRequest, "expected a JSON body") }
        let creation = UserService.Creation(
            name: body.name, displayName: body.displayName, role: body.role.rawValue, kind: body.kind?.rawValue,
            password: body.password.map(SecretValue.init), allowedTags: body.allowedTags)
        let created = try await runtime.users.create(creation, by: RequestActor.current(), logger: logger)
        return .created(.init(body: .json(APIMapping.user(created))))
    }

    package func getUser(_ input: Operations.GetUser.Input) async throws -> Operations.GetUser.Output {
        .ok(.init(body: .json(APIMapping.user(try await runtime.users.get(name: input.path.name, logger: logger)))))
    }

    package func updateUser(_ input: Operations.UpdateUser.Input) async throws -> Operations.UpdateUser.Output {
        guard case .json(let body) = input.body else { throw HitchError(.badRequest, "expected a JSON body") }
        let change = UserService.Change(
            displayName: body.displayName, role: body.role?.rawValue, enabled: body.enabled,
            password: body.password.map(SecretValue.init))
        let updated = try await runtime.users.update(
            name: input.path.name, change, by: RequestActor.current(), logger: logger)
        return .ok(.init(body: .json(APIMapping.user(updated))))
    }

    package func listTokens(_ input: Operations.ListTokens.Input) async throws -> Operations.ListTokens.Output {
        let listed = try await runtime.tokens.list(
            user: input.query.user, all: input.query.all ?? false, by: RequestActor.current(), logger: logger)
        return .ok(.init(body: .json(.init(tokens: listed.map { APIMapping.token($0.record, owner: $0.owner) }))))
    }

    package func createToken(_ input: Operations.CreateToken.Input) async throws -> Operations.CreateToken.Output {
        guard case .json(let body) = input.body else { throw HitchError(.badRequest, "expected a JSON body") }
        let issued = try await runtime.tokens.create(
            name: body.name, user: body.user, lifetime: body.expiresInSeconds.map(TimeInterval.init),
            by: RequestActor.current(), logger: logger)
        return .created(.init(body: .json(.init(
            token: APIMapping.token(issued.record, owner: issued.owner.name), secret: issued.secret.exposedValue))))
    }

    package func revokeToken(_ input: Operations.RevokeToken.Input) async throws -> Operations.RevokeToken.Output {
        try await runtime.tokens.revoke(id: input.path.id, by: RequestActor.current(), logger: logger)
        return .noContent(.init())
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
