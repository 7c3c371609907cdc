import Foundation
import HitchAPI
import HitchAudit
import HitchDomain
import HitchServices
import HitchStorage
import OpenAPIRuntime

/// Reading, exporting and verifying the audit log.
extension APIHandlers {
    package func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws -> Operations.ListAuditEvents.Output {
        let query = input.query
        let filter = AuditFilter(
            connection: query.connection, actor: query.actor, action: query.action,
            since: query.since.map(Timestamp.milliseconds), until: query.until.map(Timestamp.milliseconds))
        let page = try await runtime.auditLog.list(filter, before: query.before, limit: query.limit, logger: logger)
        return .ok(.init(body: .json(.init(events: page.events.map(APIMapping.auditEvent), next: page.next))))
    }

    package func exportAuditEvents(_ input: Operations.ExportAuditEvents.Input) async throws
        -> Operations.ExportAuditEvents.Output
    {
        let lines = AuditExportLines(service: runtime.auditLog, logger: logger)
        return .ok(.init(body: .applicationJsonl(HTTPBody(lines, length: .unknown, iterationBehavior: .single))))
    }

    package func verifyAuditLog(_ input: Operations.VerifyAuditLog.Input) async throws -> Operations.VerifyAuditLog.Output {
        var expected: ExpectedAuditHead?
        if let text = input.query.expectHead {
            guard let parsed = ExpectedAuditHead(text) else {
                throw HitchError(.badRequest, "expectHead must be SEQUENCE:MAC, as a verify printed it")
            }
            expected = parsed
        }
        let result = try await runtime.auditLog.verify(expecting: expected, logger: logger)
        return .ok(.init(body: .json(.init(
            intact: result.isIntact, verified: result.verified, headSequence: result.headSequence, headMac: result.headMac,
            failure: result.failure.map { .init(sequence: $0.sequence, reason: $0.reason) }))))
    }
}
