import Foundation
import HitchAPI
import HitchDomain
import HitchServices
import HitchStorage

extension APIHandlers {
    package func createLease(_ input: Operations.CreateLease.Input) async throws -> Operations.CreateLease.Output {
        guard case .json(let body) = input.body else { throw HitchError(.badRequest, "expected a JSON body") }
        let issued = try await runtime.leases.issue(
            connection: input.path.name, .init(ttlSeconds: body.ttlSeconds, jobId: body.jobId, scope: body.scope),
            by: RequestActor.current(), logger: logger)
        return .created(.init(body: .json(.init(
            lease: APIMapping.lease(issued.lease), credentials: APIMapping.leaseCredentials(issued.credentials)))))
    }

    package func listLeases(_ input: Operations.ListLeases.Input) async throws -> Operations.ListLeases.Output {
        let leases = try await runtime.leases.list(
            connection: input.query.connection, activeOnly: input.query.active ?? false, by: RequestActor.current(),
            logger: logger)
        return .ok(.init(body: .json(.init(leases: leases.map(APIMapping.lease)))))
    }

    package func getLease(_ input: Operations.GetLease.Input) async throws -> Operations.GetLease.Output {
        .ok(.init(body: .json(APIMapping.lease(try await runtime.leases.get(id: input.path.id, by: RequestActor.current(), logger: logger)))))
    }

    package func verifyAPIKey(_ input: Operations.VerifyAPIKey.Input) async throws -> Operations.VerifyAPIKey.Output {
        guard case .json(let body) = input.body else { throw HitchError(.badRequest, "expected a JSON body") }
        let verdict = try await runtime.apiKeys.verify(SecretValue(body.key), by: RequestActor.current(), logger: logger)
        return .ok(.init(body: .json(.init(valid: verdict.isValid, connection: verdict.connection, tokenType: verdict.tokenType))))
    }

    package func revokeLease(_ input: Operations.RevokeLease.Input) async throws -> Operations.RevokeLease.Output {
        try await runtime.leases.revoke(id: input.path.id, by: RequestActor.current(), logger: logger)
        return .noContent(.init())
    }
}

extension APIMapping {
    static func lease(_ lease: LeaseRecord) -> Components.Schemas.Lease {
        .init(
            id: lease.id, connection: lease.connectionName, kind: lease.kind, credentialVersion: lease.credentialVersion,
            consumer: lease.consumerName, jobId: lease.jobId, scope: lease.scope, issuedAt: lease.issuedAt,
            expiresAt: lease.expiresAt, endedAt: lease.endedAt,
            endReason: lease.endReason.flatMap { .init(rawValue: $0.rawValue) }, state: lease.isActive ? .active : .ended)
    }

    /// The one place a leased credential's value is written out: the issue's answer.
    static func leaseCredentials(_ credentials: LeaseCredentials) -> Components.Schemas.LeaseCredentials {
        .init(
            sessionCookie: credentials.sessionCookie?.exposedValue, sdkUrl: credentials.sdkURL,
            apiUrl: credentials.apiURL, thumbprint: credentials.thumbprint, accessKeyId: credentials.accessKeyId,
            secretAccessKey: credentials.secretAccessKey?.exposedValue, sessionToken: credentials.sessionToken?.exposedValue,
            region: credentials.region, expiration: credentials.expiration, accessToken: credentials.accessToken?.exposedValue,
            scope: credentials.scope, note: credentials.note)
    }
}
