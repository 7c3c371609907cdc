import HitchAudit
import HitchDomain
import HitchServices
import HitchStorage
import Logging

/// Applies `AccessPolicy` to one operation of openapi.yaml (S5) and binds the allowed actor for its handler. An
/// operation that would change something and does not succeed is audited here as `denied` or `failed`; its success
/// is audited by its service, in the change's own transaction. The API's middleware and the dashboard both pass
/// through it, so the dashboard's role rules are the API's.
package struct AccessGate: Sendable {
    let runtime: HitchRuntime
    let logger: Logger

    package func perform<Result: Sendable>(
        _ operationID: String, as authentication: Authentication, target targetName: String?,
        _ operation: () async throws -> Result
    ) async throws -> Result {
        guard let rule = AccessPolicy.rules[operationID] else {
            throw HitchError(.forbidden, "operation \(operationID) is not in the access policy")
        }
        if rule.access == .open { return try await operation() }
        let principal: Principal
        switch authentication {
        case .none: throw HitchError(.unauthenticated, "a bearer token is required: Authorization: Bearer <token>")
        case .rejected(let error): throw error
        case .principal(let actor): principal = actor
        }
        return try await Principal.$current.withValue(principal) {
            do {
                if case .permission(let permission) = rule.access { try principal.role.require(permission) }
                return try await operation()
            } catch {
                if let action = rule.auditAction {
                    await recordRefusal(error, of: action, rule: rule, targetName: targetName, by: principal)
                }
                throw error
            }
        }
    }

    /// Whether an actor's role passes an operation's rule, for showing or hiding a control.
    package static func allows(_ operationID: String, role: Role) -> Bool {
        switch AccessPolicy.rules[operationID]?.access {
        case .open?, .signedIn?: true
        case .permission(let permission)?: role.allows(permission)
        case nil: false
        }
    }

    private func recordRefusal(
        _ error: any Error, of action: String, rule: AccessPolicy.Rule, targetName: String?, by principal: Principal
    ) async {
        let failure = ErrorBody.hitchError(for: error)
        let event = AuditEvent(
            actor: principal.auditActor, origin: RequestOrigin.current, action: action,
            target: rule.targetKind.flatMap { kind in targetName.map { AuditTarget(kind: kind, name: $0) } },
            outcome: [.forbidden, .secretRequired].contains(failure.code) ? .denied : .failed(code: failure.code.rawValue),
            changedFields: failure.refusedFields, detail: failure.message)
        do {
            try await runtime.auditLog.record([event], logger: logger)
        } catch {
            logger.error("could not audit a refused request", metadata: ["action": "\(action)"])
        }
    }

    package init(runtime: HitchRuntime, logger: Logger) {
        self.runtime = runtime
        self.logger = logger
    }
}
