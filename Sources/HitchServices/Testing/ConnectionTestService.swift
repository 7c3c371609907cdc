import Foundation
import HitchAudit
import HitchDomain
import HitchPlatforms
import HitchStorage
import Logging

/// Test Connection: a saved connection (its result is saved on it) or unsaved candidate values (nothing saved).
/// Every test is a use of a secret and is audited with its outcome and failing stage (S4).
package struct ConnectionTestService: Sendable {
    let connections: ConnectionService
    let store: Store
    let audit: AuditLog
    let egress: EgressPolicy
    /// Within how many days an expiry makes a connection `expiring` (an event for webhooks).
    let expiryWarningDays: Int
    let clock: @Sendable () -> Date

    /// The connection's last test results (by hand, in bulk or scheduled), newest first.
    package func history(of record: ConnectionRecord, limit: Int, logger: Logger) async throws -> [TestResultRecord] {
        try await store.read(logger: logger) { try await $0.testHistory.list(connectionId: record.id, limit: limit) }
    }

    package func testSaved(
        name: String, deadline: Duration = PlatformTests.defaultDeadline, by actor: RequestActor, logger: Logger
    ) async throws -> TestReport {
        let record = try await connections.get(name: name, logger: logger)
        let via = try await viaRecord(of: record.fields, logger: logger)
        try await connections.recordUse(Self.uses(of: [record], via: [via].compactMap { $0 }), by: actor, logger: logger)
        let (current, secrets) = try await connections.secrets.openCurrent(record, logger: logger)
        return try await testAndSave(
            current, secrets: secrets, via: try await opened(via, logger: logger), deadline: deadline, by: actor,
            logger: logger)
    }

    /// The connections a bulk test will test, with the keys they go through and their sealed secrets.
    package struct Bulk: Sendable {
        let records: [ConnectionRecord]
        let vias: [String: ConnectionRecord]
        let sealed: [String: [StoredSecret]]
    }

    /// Selects what `filter` names and audits the use of every secret the bulk test will open, in one transaction,
    /// before any is opened: a bulk test whose uses cannot be audited does not start.
    package func prepareMany(_ filter: ConnectionFilter, by actor: RequestActor, logger: Logger) async throws -> Bulk {
        let records = try await connections.list(filter, logger: logger)
        var vias: [String: ConnectionRecord] = [:]
        for record in records {
            if let via = try await viaRecord(of: record.fields, logger: logger) { vias[via.name] = via }
        }
        try await connections.recordUse(
            Self.uses(of: records, via: vias.values.sorted { $0.name < $1.name }), by: actor, logger: logger)
        return Bulk(records: records, vias: vias, sealed: try await connections.sealedSecrets(of: records, logger: logger))
    }

    /// Tests every connection of `bulk`, at most `concurrency` at once, saving each result as `testSaved` does;
    /// `each` sees every connection's name and result (or the error that kept it from running) as it ends.
    package func testMany(
        _ bulk: Bulk, concurrency: Int, deadline: Duration, by actor: RequestActor, logger: Logger,
        each: @escaping @Sendable (String, Result<TestReport, any Error>) async -> Void
    ) async {
        let (records, sealed) = (bulk.records, bulk.sealed)
        let writer = TestResultWriter(store: store, audit: audit, expiryWarningDays: expiryWarningDays, logger: logger)
        let viaByName = bulk.vias
        await withTaskGroup(of: Void.self) { group in
            for (index, record) in records.enumerated() {
                if index >= concurrency { await group.next() }
                group.addTask {
                    do {
                        var record = record
                        let secrets: [String: SecretValue]
                        do {
                            secrets = try await connections.secrets.open(sealed[record.id] ?? [], of: record, logger: logger)
                        } catch is ConnectionSecrets.StaleRecord {
                            // Rotated since the run began: tested as it is now.
                            (record, secrets) = try await connections.secrets.openCurrent(record, logger: logger)
                        }
                        let via = try await opened(
                            ConnectionSecrets.viaName(kind: record.kind, fields: record.fields).flatMap { viaByName[$0] },
                            logger: logger)
                        await each(record.name, .success(
                            try await testAndSave(
                                record, secrets: secrets, via: via, deadline: deadline, by: actor, logger: logger,
                                writer: writer)))
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
    package func testChange(
        name: String, _ change: UpdateConnectionRequest, deadline: Duration = PlatformTests.defaultDeadline,
        by actor: RequestActor, logger: Logger
    ) async throws -> TestReport {
        let record = try await connections.get(name: name, logger: logger)
        let merged = ConnectionChange(current: record, request: change)
        try ConnectionValidator.validate(merged.draft).throwIfInvalid()
        try connections.requireVia(merged.draft)
        // A candidate destination is tested only with secrets that came with it, never with the stored ones (S9).
        try merged.requireSecretsForDestinationChange()
        // A candidate destination is tested only with the secrets that came with it: nothing stored is opened.
        let usesStored = merged.changedDestinationFields().isEmpty && !record.secretFields.isEmpty
        let via = try await viaRecord(of: merged.draft.fields, logger: logger)
        try await connections.recordUse(
            Self.uses(of: usesStored ? [record] : [], via: [via].compactMap { $0 }, purpose: "test of changed values"),
            by: actor, logger: logger)
        let stored = usesStored ? try await connections.secrets.open(of: record, logger: logger) : [:]
        // At the same destination, the certificate the connection remembers still holds.
        let remembered = merged.changedDestinationFields().isEmpty ? record.knownCertificate?.thumbprint : nil
        let report = await PlatformTests.run(
            egress: egress, ambient: connections.ambientAWS,
            kind: record.kind, fields: merged.draft.fields, secrets: stored.merging(merged.draft.secrets) { $1 },
            via: try await opened(via, logger: logger), remembered: remembered, deadline: deadline)
        let event = Self.event(report, actor: actor, target: ConnectionService.target(record), detailPrefix: "changed values: ")
        try await store.write(logger: logger) { [audit] session in try await audit.append(event, in: session) }
        return report
    }

    private func testAndSave(
        _ record: ConnectionRecord, secrets: [String: SecretValue], via: PlatformTests.Via?, deadline: Duration,
        by actor: RequestActor, logger: Logger, writer: TestResultWriter? = nil
    ) async throws -> TestReport {
        let report = await PlatformTests.run(
            egress: egress, ambient: connections.ambientAWS,
            kind: record.kind, fields: record.fields, secrets: secrets, via: via,
            remembered: record.knownCertificate?.thumbprint, deadline: deadline)
        let now = clock()
        var status = ConnectionStatus(
            state: report.failedStage?.failure?.rawValue ?? "ok", stage: report.failedStage?.stage.rawValue,
            message: report.failedStage?.message ?? report.stages.last?.message, at: now,
            durationMilliseconds: Int(report.duration * 1000))
        if report.passed { status.lastOkAt = now } else { status.lastFailureAt = now }
        if let expiry = PlatformExpiries.first(in: report, kind: record.kind) {
            status.expiresAt = expiry.at
            status.expiresWhat = expiry.what
        }
        status.platformCreatedAt = report.credentialCreatedAt
        let result = TestResultWriter.Result(
            connectionId: record.id, testedVersion: record.credentialVersion, status: status,
            event: Self.event(report, actor: actor, target: ConnectionService.target(record)),
            presented: report.stages.first { $0.stage == .tls }?.certificate.map {
                CertificateRecord(thumbprint: $0.thumbprint, subject: $0.subject, notAfter: $0.notAfter)
            },
            remembers: CertificateMemory.applies(to: record), testedBy: actor.testedBy)
        if let writer {
            try await writer.save(result)
        } else {
            try await store.write(logger: logger) { [audit, expiryWarningDays] session in
                try await TestResultWriter.write([result], audit: audit, expiryWarningDays: expiryWarningDays, in: session)
            }
        }
        return report
    }

    package func testCandidate(
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
        try connections.requireVia(draft)
        let via = try await viaRecord(of: draft.fields, logger: logger)
        try await connections.recordUse(
            Self.uses(of: [], via: [via].compactMap { $0 }, purpose: "test of unsaved values '\(request.name)'"),
            by: actor, logger: logger)
        let report = await PlatformTests.run(
            egress: egress, ambient: connections.ambientAWS,
            kind: kind, fields: draft.fields, secrets: draft.secrets, via: try await opened(via, logger: logger),
            deadline: deadline)
        let event = Self.event(report, actor: actor, target: AuditTarget(kind: "connection", name: request.name), detailPrefix: "unsaved values: ")
        try await store.write(logger: logger) { [audit] session in try await audit.append(event, in: session) }
        return report
    }

    /// The access-key connection named by `via`, when there is one. A connection of any other kind is never
    /// used as one: a candidate cannot name it to have its secret opened.
    private func viaRecord(of fields: [String: FieldValue], logger: Logger) async throws -> ConnectionRecord? {
        guard case .string(let name)? = fields["via"], !name.isEmpty,
            let record = try await store.connection(named: name, logger: logger), record.kind == .awsAccessKey
        else { return nil }
        return record
    }

    /// The `via` key with its secrets opened; its use is audited before, with the rest of the test's.
    private func opened(_ via: ConnectionRecord?, logger: Logger) async throws -> PlatformTests.Via? {
        guard let via else { return nil }
        return PlatformTests.Via(fields: via.fields, secrets: try await connections.secrets.open(of: via, logger: logger))
    }

    /// What a test is about to open: the connections' own secrets, and the keys they go through.
    private static func uses(
        of records: [ConnectionRecord], via: [ConnectionRecord], purpose: String = "test"
    ) -> [(ConnectionRecord, String)] {
        records.filter { !$0.secretFields.isEmpty }.map { ($0, purpose) }
            + via.map { ($0, "\(purpose), as the key a tested connection goes through") }
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
