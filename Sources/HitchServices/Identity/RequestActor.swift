import HitchAudit

/// Where the request being served came from, bound by the HTTP layer's origin middleware for the request's task.
package enum RequestOrigin {
    @TaskLocal package static var current = AuditOrigin.local
}

/// Who asks and from where: what a service needs to attribute a change and audit it.
package struct RequestActor: Sendable {
    let principal: Principal
    let origin: AuditOrigin

    /// The actor bound by the access middleware for this request.
    package static func current() throws -> RequestActor {
        RequestActor(principal: try Principal.required(), origin: RequestOrigin.current)
    }

    func event(
        _ action: String, target: AuditTarget?, changedFields: [String] = [], detail: String? = nil
    ) -> AuditEvent {
        AuditEvent(
            actor: principal.auditActor, origin: origin, action: action, target: target, outcome: .ok,
            changedFields: changedFields, detail: detail)
    }
}
