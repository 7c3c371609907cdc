import Foundation
import HitchAudit
import HitchDomain
import HitchPlatforms
import HitchStorage
import Logging

/// Test Connection: a saved connection (its result is saved on it) or unsaved candidate values (nothing saved).
/// Every test is a use of a secret and is audited with its outcome and failing stage (S4).
struct ConnectionTestService: Sendable {
    let connections: ConnectionService
    let store: Store
    let audit: AuditLog
    let egress: EgressPolicy
    let clock: @Sendable () -> Date

    func testSaved(
        name: String, deadline: Duration = PlatformTests.defaultDeadline, by actor: RequestActor, logger: Logger
    ) async throws -> TestReport {
        let record = try await connections.get(name: name, logger: logger)
        let secrets = try await connections.openSecrets(of: record, logger: logger)
        return try await testAndSave(record, secrets: secrets, deadline: deadline, by: actor, logger: logger)
    }

    /// Tests every connection `filter` selects, at most `concurrency` at once, saving each result as `testSaved`
    /// does; `each` sees every connection's name and result (or the error that kept it from running) as it ends.
    func testMany(
        _ filter: ConnectionFilter, concurrency: Int, deadline: Duration, by actor: RequestActor, logger: Logger,
        each: @escaping @Sendable (String, Result<TestReport, any Error>) async -> Void
    ) async throws {
        let records = try await connections.list(filter, logger: logger)
        let sealed = try await connections.sealedSecrets(of: records, logger: logger)
        let writer = TestResultWriter(store: store, audit: audit, logger: logger)
        await withTaskGroup(of: Void.self) { group in
            for (index, record) in records.enumerated() {
                if index >= concurrency { await group.next() }
                group.addTask {
                    do {
                        let secrets = try await connections.secrets.open(sealed[record.id] ?? [], of: record, logger: logger)
                        await each(record.name, .success(
                            try await testAndSave(
                                record, secrets: secrets, deadline: deadline, by: actor, logger: logger, writer: writer)))
                    } catch {
                        logger.warning("a connection test could not run", metadata: [
                            "connection": "\(record.name)", "error": "\(type(of: error))",
                        ])
                        await each(record.name, .failure(error))
                    }
                }
            }
        }
    }

    /// The stored values with `change` applied, tested and not saved.
    func testChange(
        name: String, _ change: UpdateConnectionRequest, deadline: Duration = PlatformTests.defaultDeadline,
        by actor: RequestActor, logger: Logger
    ) async throws -> TestReport {
        let record = try await connections.get(name: name, logger: logger)
        let merged = ConnectionChange(current: record, request: change)
        try ConnectionValidator.validate(merged.draft).throwIfInvalid()
        // A candidate destination is tested only with secrets that came with it, never with the stored ones (S9).
        try merged.requireSecretsForDestinationChange()
        let stored = merged.changedDestinationFields().isEmpty ? try await connections.openSecrets(of: record, logger: logger) : [:]
        let report = await PlatformTests.run(
            egress: egress,
            kind: record.kind, fields: merged.draft.fields, secrets: stored.merging(merged.draft.secrets) { $1 },
            via: try await via(of: merged.draft.fields, logger: logger), deadline: deadline)
        let event = Self.event(report, actor: actor, target: ConnectionService.target(record), detailPrefix: "changed values: ")
        try await store.write(logger: logger) { [audit] session in try await audit.append(event, in: session) }
        return report
    }

    private func testAndSave(
        _ record: ConnectionRecord, secrets: [String: SecretValue], deadline: Duration, by actor: RequestActor,
        logger: Logger, writer: TestResultWriter? = nil
    ) async throws -> TestReport {
        let via = try await via(of: record.fields, logger: logger)
        let report = await PlatformTests.run(
            egress: egress,
            kind: record.kind, fields: record.fields, secrets: secrets, via: via, deadline: deadline)
        let now = clock()
        var status = ConnectionStatus(
            state: report.failedStage?.failure?.rawValue ?? "ok", stage: report.failedStage?.stage.rawValue,
            message: report.failedStage?.message ?? report.stages.last?.message, at: now,
            durationMilliseconds: Int(report.duration * 1000))
        if report.passed { status.lastOkAt = now } else { status.lastFailureAt = now }
        let result = TestResultWriter.Result(
            connectionId: record.id, testedVersion: record.credentialVersion, status: status,
            event: Self.event(report, actor: actor, target: ConnectionService.target(record)))
        if let writer {
            try await writer.save(result)
        } else {
            try await store.write(logger: logger) { [audit] session in try await TestResultWriter.write([result], audit: audit, in: session) }
        }
        return report
    }

    func testCandidate(
        _ request: CreateConnectionRequest, deadline: Duration = PlatformTests.defaultDeadline, by actor: RequestActor,
        logger: Logger
    ) async throws -> TestReport {
        guard let kind = ConnectionKind(rawValue: request.kind) else {
            throw HitchError.validation(["kind": "must be one of: \(ConnectionKind.allCases.map(\.rawValue).joined(separator: ", "))"])
        }
        let draft = ConnectionDraft(
            kind: kind, name: request.name, description: request.description ?? "", tags: request.tags ?? [],
            fields: request.fields, secrets: request.secrets, generate: Set(request.generate))
        try ConnectionValidator.validate(draft).throwIfInvalid()
        let report = await PlatformTests.run(
            egress: egress,
            kind: kind, fields: draft.fields, secrets: draft.secrets, via: try await via(of: draft.fields, logger: logger),
            deadline: deadline)
        let event = Self.event(report, actor: actor, target: AuditTarget(kind: "connection", name: request.name), detailPrefix: "unsaved values: ")
        try await store.write(logger: logger) { [audit] session in try await audit.append(event, in: session) }
        return report
    }

    /// The access-key connection named by `via`, with its secrets opened, when there is one. A connection of any
    /// other kind is not opened: a candidate cannot name one to have its secret used.
    private func via(of fields: [String: FieldValue], logger: Logger) async throws -> PlatformTests.Via? {
        guard case .string(let name)? = fields["via"], !name.isEmpty,
            let record = try await store.connection(named: name, logger: logger), record.kind == .awsAccessKey
        else { return nil }
        return PlatformTests.Via(fields: record.fields, secrets: try await connections.openSecrets(of: record, logger: logger))
    }

    private static func event(
        _ report: TestReport, actor: RequestActor, target: AuditTarget, detailPrefix: String = ""
    ) -> AuditEvent {
        var event = actor.event("connection.test", target: target)
        if let failed = report.failedStage {
            event.outcome = .failed(code: failed.failure?.rawValue ?? "error")
            event.detail = detailPrefix + "\(failed.stage.rawValue): \(failed.message)"
        } else {
            event.detail = detailPrefix + "passed"
        }
        return event
    }
}
