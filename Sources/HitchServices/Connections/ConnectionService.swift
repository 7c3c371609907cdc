import Foundation
import HitchAudit
import HitchDomain
import HitchPlatforms
import HitchSecrets
import HitchStorage
import Logging

/// Creates, reads, changes and deletes connections. Secrets are sealed here, before storage sees them.
package struct ConnectionService: Sendable {
    let store: Store
    let keys: LiveKeyring
    let audit: AuditLog
    let sessions: PlatformSessionPool
    let egress: EgressPolicy
    /// The server's own AWS identity, lent to role connections without a `via` key; nil when not allowed.
    var ambientAWS: AmbientAWSIdentity? = nil
    let clock: @Sendable () -> Date

    var secrets: ConnectionSecrets { ConnectionSecrets(store: store, live: keys) }
    var leaseEnding: LeaseEnding { LeaseEnding(store: store, secrets: secrets, egress: egress) }

    /// A role connection names a `via` key unless the server lends its own AWS identity.
    func requireVia(_ draft: ConnectionDraft) throws {
        guard [.awsAssumeRole, .awsCrossAccount].contains(draft.kind), ambientAWS == nil,
            ConnectionSecrets.viaName(kind: draft.kind, fields: draft.fields) == nil
        else { return }
        throw HitchError.validation([
            "via": "is required: this server does not lend its own AWS identity to role connections (HITCH_AWS_AMBIENT_IDENTITY=1)"
        ])
    }

    package func get(name: String, logger: Logger) async throws -> ConnectionRecord {
        guard let record = try await store.connection(named: name, logger: logger) else {
            throw HitchError.connectionNotFound(name)
        }
        return record
    }

    /// The connection of that name, or nil when there is none.
    package func find(name: String, logger: Logger) async throws -> ConnectionRecord? {
        try await store.connection(named: name, logger: logger)
    }

    /// What keeps the connection from being deleted: connections that name it, active jobs and leases, assignments.
    package func references(to record: ConnectionRecord, logger: Logger) async throws -> ReferenceCheck.References {
        try await store.read(logger: logger) { try await ReferenceCheck.references(to: record, in: $0) }
    }

    package func list(_ filter: ConnectionFilter, logger: Logger) async throws -> [ConnectionRecord] {
        try await store.read(logger: logger) { try await $0.connections.list(filter) }
    }

    package func versions(name: String, logger: Logger) async throws -> [CredentialVersionRecord] {
        let record = try await get(name: name, logger: logger)
        return try await store.read(logger: logger) { try await $0.connections.versions(connectionId: record.id) }
    }

    package func create(_ request: CreateConnectionRequest, by actor: RequestActor, logger: Logger) async throws -> SavedConnection {
        let principal = actor.principal
        guard let kind = ConnectionKind(rawValue: request.kind) else {
            let kinds = ConnectionKind.allCases.map(\.rawValue).joined(separator: ", ")
            throw HitchError.validation(["kind": "must be one of: \(kinds)"])
        }
        var draft = ConnectionDraft(
            kind: kind, name: request.name, description: request.description ?? "",
            displayName: (request.displayName ?? "").trimmingCharacters(in: .whitespaces), tags: request.tags ?? [],
            fields: request.fields, secrets: request.secrets, generate: Set(request.generate))
        let report = ConnectionValidator.validate(draft)
        try report.throwIfInvalid()
        try requireVia(draft)
        try EgressSettings.requireHTTPS(draft.fields, unless: egress)
        if let days = request.maxSecretAgeDays, !RotationPolicy.allowedDays.contains(days) {
            throw HitchError.validation(["maxSecretAgeDays": "must be from 1 to 3650 days"])
        }
        if request.autoRotate { try AutoRotation.requireSupport(kind) }
        let checkEvery = try request.checkEvery.flatMap(CheckInterval.connectionSetting)
        let issued = SecretIssuer.issue(for: &draft)
        let now = clock()
        var made = ConnectionRecord(
            id: UUID().uuidString.lowercased(), name: draft.name, kind: kind, description: draft.description,
            tags: draft.tags, fields: draft.fields, credentialVersion: 1, revision: 1, status: .untested,
            createdAt: now, createdBy: principal.name, updatedAt: now, updatedBy: principal.name,
            secretFields: Set(draft.secrets.keys), maxSecretAgeDays: request.maxSecretAgeDays, credentialCreatedAt: now,
            displayName: draft.displayName)
        made.autoRotate = request.autoRotate
        made.checkEverySeconds = checkEvery
        let record = made
        let destination = try await secrets.destination(kind: kind, fields: draft.fields, logger: logger)
        let sealed = try secrets.seal(draft.secrets, connectionId: record.id, version: 1, destination: destination)
        let version = CredentialVersionRecord(
            version: 1, createdAt: now, actorId: principal.id, actorName: principal.name,
            changedFields: kind.schema.fields.map(\.name).filter { draft.fields[$0] != nil || draft.secrets[$0] != nil })
        do {
            let event = actor.event("connection.create", target: Self.target(record), changedFields: version.changedFields)
            try await store.write(logger: logger) { [audit] session in
                try await ReferenceCheck.requireTargets(of: record, in: session)
                try await session.connections.insert(record, secrets: sealed, version: version)
                try await audit.append(event, in: session)
            }
        } catch let error as StorageError where error.code == .duplicate {
            throw HitchError(
                .conflict, "a connection named '\(record.name)' already exists",
                fieldErrors: ["name": "is already used by another connection"])
        }
        logger.info("connection created", metadata: ["connection": "\(record.name)", "kind": "\(kind.rawValue)"])
        return SavedConnection(
            record: record, issuedSecrets: issued, warnings: report.warnings + [ConnectionAdvice.namingWarning(record.name)].compactMap { $0 })
    }

    package func update(
        name: String, _ request: UpdateConnectionRequest, ifMatch: String?, by actor: RequestActor, logger: Logger,
        detail: String? = nil
    ) async throws -> SavedConnection {
        let principal = actor.principal
        let current = try await get(name: name, logger: logger)
        if let ifMatch, ifMatch != ETag.of(current) {
            throw HitchError(.stale, "connection '\(name)' was changed since it was read; read it again")
        }
        var change = ConnectionChange(current: current, request: request)
        let report = ConnectionValidator.validate(change.draft)
        try report.throwIfInvalid()
        try requireVia(change.draft)
        try EgressSettings.requireHTTPS(change.draft.fields.filter { current.fields[$0.key] != $0.value }, unless: egress)
        try change.validateMaxSecretAge()
        try change.validateAutoRotate()
        let checkEvery = try change.checkEverySeconds()
        let issued = SecretIssuer.issue(for: &change.draft)
        try change.requireSecretsForDestinationChange()
        let now = clock()
        let changedIdentity = change.changedIdentityFields()
        var record = change.updatedRecord(at: now, by: principal.name)
        record.checkEverySeconds = checkEvery
        let destinationChanged = !change.changedDestinationFields().isEmpty
        var sealed: [StoredSecret] = []
        var version: CredentialVersionRecord?
        if !changedIdentity.isEmpty {
            // The associated data names the credential version, so every secret is sealed anew under the new one.
            record.credentialVersion += 1
            record.credentialCreatedAt = now
            // What the platform said of the old credential is not true of the new one; a certificate's expiry
            // holds while the destination does.
            record.status.platformCreatedAt = nil
            if record.status.expiresWhat != PlatformExpiries.certificate || !change.changedDestinationFields().isEmpty {
                record.status.expiresAt = nil
                record.status.expiresWhat = nil
            }
            let keptFields = current.secretFields.subtracting(change.draft.secrets.keys)
            let kept = keptFields.isEmpty ? [:] : try await openSecrets(of: current, logger: logger).filter { keptFields.contains($0.key) }
            let destination = try await secrets.destination(kind: record.kind, fields: record.fields, logger: logger)
            sealed = try secrets.seal(
                kept.merging(change.draft.secrets) { $1 }, connectionId: record.id, version: record.credentialVersion,
                destination: destination)
            version = CredentialVersionRecord(
                version: record.credentialVersion, createdAt: now, actorId: principal.id, actorName: principal.name,
                changedFields: changedIdentity)
        }
        // A change of identity or secret fields is a rotation; its event names every field the update touched.
        let event = actor.event(
            version == nil ? "connection.update" : "connection.rotate", target: Self.target(record),
            changedFields: change.changedFieldNames(), detail: detail)
        let superseded: [LeaseRecord]? = try await store.write(logger: logger) { [record, sealed, version, audit] session in
            try await ReferenceCheck.requireTargets(of: record, in: session)
            guard try await session.connections.update(
                record, expectedRevision: current.revision, secrets: sealed, version: version)
            else { return nil }
            // A certificate remembered at the old destination says nothing of the new one (nor of a new pin).
            if destinationChanged, current.knownCertificate != nil || current.offeredCertificate != nil {
                try await session.connections.saveCertificates(.none, connectionId: record.id)
            }
            // A new interval is scheduled afresh.
            if record.checkEverySeconds != current.checkEverySeconds {
                try await session.scheduledChecks.forget(connectionId: record.id)
            }
            var events = [event]
            var superseded: [LeaseRecord] = []
            if let version {
                // The jobs and leases of the old credential end with it, in the rotation's own transaction, and
                // every other server hears of it when it commits. Job and lease rows are locked before the audit
                // log's head, the order every transaction that ends one keeps, so two of them never deadlock.
                let ended = try await JobService.invalidate(
                    connectionId: record.id, olderThan: version.version, at: now, in: session)
                events += JobService.invalidationEvents(ended, actor: actor)
                superseded = try await session.leases.endActive(
                    connectionId: record.id, olderThan: version.version, reason: .superseded, at: now)
                events += LeaseEnding.events(superseded, by: actor)
                try session.notify(
                    channel: RotationNotice.channel,
                    payload: RotationNotice(connectionId: record.id, credentialVersion: version.version).payload)
            }
            try await audit.append(events, in: session)
            return superseded
        }
        guard let superseded else {
            throw HitchError(.stale, "connection '\(name)' was changed by someone else meanwhile; read it again")
        }
        // Once the new version is committed, the sessions opened with the old one are closed on the platform:
        // Hitch's own, and those handed out in leases (cloud credentials, which cannot be recalled, keep their
        // short expiry).
        if version != nil {
            await sessions.close(connectionId: record.id, olderThan: record.credentialVersion)
            await leaseEnding.endOnPlatforms(superseded, logger: logger)
        }
        logger.info(
            "connection updated",
            metadata: ["connection": "\(name)", "changed": "\(changedIdentity.joined(separator: ","))"])
        var warnings = report.warnings
        if !change.changedDestinationFields().isEmpty {
            warnings += try await dependentsWarning(of: record, logger: logger)
        }
        return SavedConnection(record: record, issuedSecrets: issued, warnings: warnings)
    }

    /// The connections that go through this one hold secrets bound to its destination: once it changes, theirs
    /// no longer open until they are re-entered.
    private func dependentsWarning(of record: ConnectionRecord, logger: Logger) async throws -> [String] {
        let dependents = try await list(ConnectionFilter(), logger: logger).filter {
            !$0.secretFields.isEmpty && ConnectionSecrets.viaName(kind: $0.kind, fields: $0.fields) == record.name
        }
        guard !dependents.isEmpty else { return [] }
        let names = dependents.map(\.name).sorted().joined(separator: ", ")
        return ["connections that go through '\(record.name)' no longer open their secrets at its new destination; "
            + "re-enter them: \(names)"]
    }

    package func delete(name: String, by actor: RequestActor, logger: Logger) async throws {
        let id = try await store.write(logger: logger) { [audit] session in
            guard let record = try await session.connections.find(name: name, lock: .update) else {
                throw HitchError.connectionNotFound(name)
            }
            try await ReferenceCheck.requireUnused(record, in: session)
            guard try await session.connections.delete(id: record.id) else { throw HitchError.connectionNotFound(name) }
            try await audit.append(actor.event("connection.delete", target: Self.target(record)), in: session)
            return record.id
        }
        // The sessions it held are logged out on the platform, not left open until they expire.
        await sessions.close(connectionId: id, olderThan: Int.max)
        logger.info("connection deleted", metadata: ["connection": "\(name)"])
    }

    static func target(_ record: ConnectionRecord) -> AuditTarget {
        AuditTarget(kind: "connection", name: record.name, id: record.id)
    }

    /// The plaintext secrets of a connection, to seal them again under a new credential version; never for a
    /// response. A use goes through `openForUse`.
    func openSecrets(of record: ConnectionRecord, logger: Logger) async throws -> [String: SecretValue] {
        try await secrets.open(of: record, logger: logger)
    }

    /// A connection's secrets, opened for a use only once its `connection.use` event is written (S4): if the
    /// event cannot be written, the secret is not opened and nothing reaches the platform.
    func openForUse(
        _ record: ConnectionRecord, purpose: String, by actor: RequestActor, logger: Logger
    ) async throws -> [String: SecretValue] {
        try await recordUse([(record, purpose)], by: actor, logger: logger)
        return try await secrets.open(of: record, logger: logger)
    }

    /// Writes one `connection.use` event per connection whose secret is about to be opened, in one transaction
    /// of their own; throws, and so stops the use, when they cannot be written.
    func recordUse(_ uses: [(ConnectionRecord, String)], by actor: RequestActor, logger: Logger) async throws {
        guard !uses.isEmpty else { return }
        let events = uses.map { record, purpose in actor.event("connection.use", target: Self.target(record), detail: purpose) }
        do {
            try await store.write(logger: logger) { [audit] session in try await audit.append(events, in: session) }
        } catch let stopped as CancellationError {
            throw stopped
        } catch {
            logger.error("the use of a secret could not be audited; it was not used", metadata: ["error": "\(type(of: error))"])
            throw HitchError(.unavailable, "the use of the secret could not be audited, so it was not used; try again later")
        }
    }

    /// Still sealed, by connection id: for a run over many connections, each opened just before its use.
    func sealedSecrets(of records: [ConnectionRecord], logger: Logger) async throws -> [String: [StoredSecret]] {
        try await store.read(logger: logger) { try await $0.connections.secrets(connectionIds: records.map(\.id)) }
    }
}

/// The ETag of a connection: its id and revision, so a re-created connection of the same name never matches.
package enum ETag {
    package static func of(_ record: ConnectionRecord) -> String { "\"\(record.id):\(record.revision)\"" }
}
