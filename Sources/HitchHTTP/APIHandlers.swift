import Foundation
import HitchAPI
import HitchDomain
import HitchServices
import HitchStorage
import Logging
import OpenAPIRuntime

/// The operations of openapi.yaml. `AccessMiddleware` has allowed each call before it gets here (S5); errors are
/// thrown and shaped by `ErrorMiddleware`.
package struct APIHandlers: APIProtocol {
    let runtime: HitchRuntime
    let logger: Logger

    package func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: "ok"))))
    }

    package func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        try await runtime.checkStorage(logger: logger)
        return .ok(.init(body: .json(.init(status: "ready"))))
    }

    package func listConnectionKinds(_ input: Operations.ListConnectionKinds.Input) async throws
        -> Operations.ListConnectionKinds.Output
    {
        return .ok(.init(body: .json(.init(kinds: ConnectionKind.allCases.map(APIMapping.kind)))))
    }

    package func listConnections(_ input: Operations.ListConnections.Input) async throws -> Operations.ListConnections.Output {
        var filter = ConnectionFilter(tags: input.query.tag ?? [], text: input.query.q)
        if let kindName = input.query.kind?.rawValue {
            guard let kind = ConnectionKind(rawValue: kindName) else {
                throw HitchError(.badRequest, "unknown kind '\(kindName)'")
            }
            filter.kind = kind
        }
        let now = runtime.clock()
        let policy = runtime.rotationPolicy
        let scope = try ConnectionReadScope.current()
        let connections = try await runtime.connections.list(filter, logger: logger)
            .filter(scope.mayRead)
            .map { ($0, policy.state(of: $0, at: now)) }
            .filter { record, rotation in
                switch input.query.status {
                case nil: true
                case .ok?: record.status.state == "ok"
                case .untested?: record.status.state == "untested"
                case .failed?: !["ok", "untested"].contains(record.status.state)
                case .due?: rotation?.isDue == true
                case .expiring?: policy.isExpiring(record, at: now)
                }
            }
        return .ok(.init(body: .json(.init(connections: connections.map { APIMapping.connection($0, rotation: $1) }))))
    }

    package func createConnection(_ input: Operations.CreateConnection.Input) async throws -> Operations.CreateConnection.Output {
        guard case .json(let body) = input.body else { throw HitchError(.badRequest, "expected a JSON body") }
        let saved = try await runtime.connections.create(APIMapping.createRequest(body), by: RequestActor.current(), logger: logger)
        return .created(.init(headers: .init(eTag: ETag.of(saved.record)), body: .json(APIMapping.saved(saved, rotation: rotation(of: saved.record)))))
    }

    package func getConnection(_ input: Operations.GetConnection.Input) async throws -> Operations.GetConnection.Output {
        let record = try await ConnectionReadScope.current().connection(named: input.path.name, in: runtime, logger: logger)
        let failures = record.autoRotate ? try await runtime.autoRotation.failures(of: record, logger: logger) : nil
        let rotation = rotation(of: record)
        // The answer may be kept for the next read (`ConnectionAnswers`), unless it may show what the record does
        // not hold: the failures of a connection that rotates on its own.
        if !record.autoRotate { ConnectionAnswerSource.note?.tell(ConnectionAnswerSource(record: record, rotation: rotation)) }
        return .ok(.init(
            headers: .init(eTag: ETag.of(record)),
            body: .json(APIMapping.connection(record, rotation: rotation, autoRotationFailures: failures))))
    }

    package func updateConnection(_ input: Operations.UpdateConnection.Input) async throws -> Operations.UpdateConnection.Output {
        guard case .json(let body) = input.body else { throw HitchError(.badRequest, "expected a JSON body") }
        let actor = try RequestActor.current()
        let saved = try await runtime.connections.update(
            name: input.path.name, APIMapping.updateRequest(body), ifMatch: input.headers.ifMatch, by: actor,
            logger: logger)
        return .ok(.init(headers: .init(eTag: ETag.of(saved.record)), body: .json(APIMapping.saved(saved, rotation: rotation(of: saved.record)))))
    }

    package func rotateOnPlatform(_ input: Operations.RotateOnPlatform.Input) async throws -> Operations.RotateOnPlatform.Output {
        let saved = try await runtime.platformRotations.rotate(name: input.path.name, by: RequestActor.current(), logger: logger)
        return .created(.init(headers: .init(eTag: ETag.of(saved.record)), body: .json(APIMapping.saved(saved, rotation: rotation(of: saved.record)))))
    }

    func rotation(of record: ConnectionRecord) -> RotationPolicy.State? {
        runtime.rotationPolicy.state(of: record, at: runtime.clock())
    }

    package func deleteConnection(_ input: Operations.DeleteConnection.Input) async throws -> Operations.DeleteConnection.Output {
        try await runtime.connections.delete(name: input.path.name, by: RequestActor.current(), logger: logger)
        return .noContent(.init())
    }

    package func listConnectionVersions(_ input: Operations.ListConnectionVersions.Input) async throws
        -> Operations.ListConnectionVersions.Output
    {
        _ = try await ConnectionReadScope.current().connection(named: input.path.name, in: runtime, logger: logger)
        let versions = try await runtime.connections.versions(name: input.path.name, logger: logger)
        return .ok(.init(body: .json(.init(versions: versions.map(APIMapping.version)))))
    }

    package init(runtime: HitchRuntime, logger: Logger) {
        self.runtime = runtime
        self.logger = logger
    }
}
