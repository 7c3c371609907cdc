import HTTPTypes
import HitchAudit
import HitchDomain
import HitchStorage
import Logging
import OpenAPIRuntime

/// Applies `AccessPolicy` to every operation (S5) and binds the allowed actor for its handler. An operation that
/// would change something and does not succeed is audited here as `denied` or `failed`; its success is audited by
/// its service, in the change's own transaction.
struct AccessMiddleware: ServerMiddleware {
    let runtime: HitchRuntime
    let logger: Logger

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard let rule = AccessPolicy.rules[operationID] else {
            throw HitchError(.forbidden, "operation \(operationID) is not in the access policy")
        }
        if rule.access == .open { return try await next(request, body, metadata) }
        let principal: Principal
        switch Authentication.current {
        case .none: throw HitchError(.unauthenticated, "a bearer token is required: Authorization: Bearer <token>")
        case .rejected(let error): throw error
        case .principal(let actor): principal = actor
        }
        return try await Principal.$current.withValue(principal) {
            do {
                if case .permission(let permission) = rule.access { try principal.role.require(permission) }
                return try await next(request, body, metadata)
            } catch {
                if let action = rule.auditAction { await recordRefusal(error, of: action, rule: rule, metadata: metadata, by: principal) }
                throw error
            }
        }
    }

    private func recordRefusal(
        _ error: any Error, of action: String, rule: AccessPolicy.Rule, metadata: ServerRequestMetadata,
        by principal: Principal
    ) async {
        let failure = ErrorBody.hitchError(for: error)
        let targetName = metadata.pathParameters["name"] ?? metadata.pathParameters["id"]
        let event = AuditEvent(
            actor: principal.auditActor, origin: RequestOrigin.current, action: action,
            target: rule.targetKind.flatMap { kind in targetName.map { AuditTarget(kind: kind, name: String($0)) } },
            outcome: failure.code == .forbidden ? .denied : .failed(code: failure.code.rawValue),
            detail: failure.message)
        do {
            try await runtime.store.write(logger: logger) { [audit = runtime.audit] session in
                try await audit.append(event, in: session)
            }
        } catch {
            logger.error("could not audit a refused request", metadata: ["action": "\(action)"])
        }
    }
}
