import Foundation
import HitchAudit
import HitchDomain
import HitchPlatforms
import HitchSecrets
import HitchStorage
import Logging

/// Leases (S10): automation gets a short-lived credential derived from a connection on the platform's own protocol,
/// never the stored secret. The credential is in the issue's answer only; what ending the lease needs (a vCenter
/// session cookie) is sealed like a secret, bound to the lease, so any server sharing the database can end it.
package struct LeaseService: Sendable {
    let connections: ConnectionService
    let store: Store
    let audit: AuditLog
    let egress: EgressPolicy
    let settings: LeaseSettings
    /// Azure's and Google's endpoints under system trust; a test against a local server pins it.
    var tlsPolicy: TLSPolicy = .systemTrust
    let clock: @Sendable () -> Date

    package struct Request: Sendable {
        var ttlSeconds: Int?
        var jobId: String?
        var scope: String?

        package init(ttlSeconds: Int? = nil, jobId: String? = nil, scope: String? = nil) {
            self.ttlSeconds = ttlSeconds
            self.jobId = jobId
            self.scope = scope
        }
    }

    package struct Issued: Sendable {
        package let lease: LeaseRecord
        package let credentials: LeaseCredentials
    }

    package func issue(connection name: String, _ request: Request, by actor: RequestActor, logger: Logger) async throws -> Issued {
        let record = try await connections.get(name: name, logger: logger)
        let via = try await viaRecord(of: record, logger: logger)
        try LeaseScope.require(actor.principal, mayUse: record, via: via)
        let seconds = request.ttlSeconds ?? settings.defaultSeconds
        guard (60...settings.maximumSeconds).contains(seconds) else {
            throw HitchError.validation(["ttlSeconds": "must be from 60 to \(settings.maximumSeconds) (HITCH_LEASE_MAX_SECONDS)"])
        }
        if let jobId = request.jobId { try await requireActiveJob(jobId, of: record, logger: logger) }
        let now = clock()
        let leaseId = UUID().uuidString.lowercased()
        try await connections.recordUse(
            [(record, "lease \(leaseId)")] + (via.map { [($0, "lease \(leaseId), as the key \(record.name) goes through")] } ?? []),
            by: actor, logger: logger)
        let secrets = try await connections.secrets.open(of: record, logger: logger)
        let viaSecrets = try await via.asyncMap { try await connections.secrets.open(of: $0, logger: logger) }
        var viaValues = via.map { (fields: $0.fields, secrets: viaSecrets ?? [:]) }
        if viaValues == nil {
            do {
                let own = try await EgressPolicy.$current.withValue(egress) { () async throws(AmbientAWSIdentity.Unavailable) in
                    try await AmbientAWSIdentity.via(for: record.kind, fields: record.fields, from: connections.ambientAWS, now: now)
                }
                viaValues = own.map { ($0.fields, $0.secrets) }
            } catch let error as AmbientAWSIdentity.Unavailable {
                throw HitchError(.unavailable, "the platform did not give a credential: \(error.message)")
            }
        }
        let obtained = try await EgressPolicy.$current.withValue(egress) {
            try await LeaseCredentials.obtain(
                kind: record.kind, fields: record.fields, secrets: secrets, via: viaValues,
                seconds: seconds, scope: request.scope, now: now, tlsPolicy: tlsPolicy,
                remembered: record.knownCertificate?.thumbprint)
        }
        var lease = LeaseRecord(
            id: leaseId, connectionId: record.id, connectionName: record.name, kind: record.kind.rawValue,
            credentialVersion: record.credentialVersion, consumerId: actor.principal.id, consumerName: actor.principal.name,
            jobId: request.jobId, scope: request.scope, issuedAt: now, expiresAt: obtained.expiresAt)
        if let handle = obtained.handle {
            lease.handle = try connections.secrets.seal(
                ["handle": handle], connectionId: leaseId, version: record.credentialVersion,
                destination: try await connections.secrets.destination(kind: record.kind, fields: record.fields, logger: logger)
            ).first
        }
        let event = actor.event(
            "lease.issue", target: ConnectionService.target(record),
            detail: "lease \(leaseId) until \(Timestamps.text(lease.expiresAt))" + (request.jobId.map { " for job \($0)" } ?? ""))
        var details = [
            "lease": leaseId, "consumer": actor.principal.name, "credentialVersion": "\(record.credentialVersion)",
            "expiresAt": WatchEvent.iso(lease.expiresAt),
        ]
        details["job"] = request.jobId
        let issuedEvent = WatchEvent(name: .leaseIssue, at: now, connection: record.name, kind: record.kind.rawValue, details: details)
        do {
            try await store.write(logger: logger) { [audit, lease] session in
                // The connection is held (FOR SHARE) until this commits, against a rotation: one that committed
                // since it was read changed the credential version, and the lease is refused; one that comes after
                // waits, then ends this lease with the old version's others.
                guard let current = try await session.connections.find(id: lease.connectionId, lock: .share),
                      current.credentialVersion == lease.credentialVersion
                else {
                    throw HitchError(.conflict, "connection '\(lease.connectionName)' changed while the lease was issued; ask again")
                }
                try await session.leases.insert(lease)
                try await audit.append(event, in: session)
                try await WebhookOutbox.enqueue([issuedEvent], in: session)
            }
        } catch {
            // Not recorded, so not handed out: the session opened for it is logged out again.
            await LeaseCredentials.end(kind: record.kind, fields: record.fields, handle: obtained.handle)
            throw error
        }
        logger.info("lease issued", metadata: ["lease": "\(leaseId)", "connection": "\(record.name)"])
        return Issued(lease: lease, credentials: obtained.credentials)
    }

    package func list(connection name: String?, activeOnly: Bool, by actor: RequestActor, logger: Logger) async throws -> [LeaseRecord] {
        var filter = LeaseFilter(activeOnly: activeOnly)
        if let name { filter.connectionId = try await connections.get(name: name, logger: logger).id }
        if !Self.seesEveryLease(actor.principal) { filter.consumerId = actor.principal.id }
        return try await store.read(logger: logger) { [filter] in try await $0.leases.list(filter, limit: 1000) }
    }

    package func get(id: String, by actor: RequestActor, logger: Logger) async throws -> LeaseRecord {
        guard let lease = try await store.read(logger: logger, { try await $0.leases.find(id: id) }),
            Self.seesEveryLease(actor.principal) || lease.consumerId == actor.principal.id
        else { throw HitchError(.notFound, "lease '\(id)' not found") }
        return lease
    }

    /// Its consumer, an operator or an admin ends a lease now.
    package func revoke(id: String, by actor: RequestActor, logger: Logger) async throws {
        let lease = try await get(id: id, by: actor, logger: logger)
        guard lease.consumerId == actor.principal.id || actor.principal.role.allows(.changeConnections) else {
            throw HitchError(.forbidden, "only its consumer, an operator or an admin may end lease '\(id)'")
        }
        let ended = try await end(by: actor, logger: logger) {
            try await $0.leases.end(id: id, reason: .revoked, at: $1).map { [$0] } ?? []
        }
        guard !ended.isEmpty else { throw HitchError(.conflict, "lease '\(id)' has already ended") }
    }

    /// The server's sweep: ends the leases past their expiry, so a vCenter session ends even when nobody asks, and
    /// logs out the sessions of ended leases that no server has logged out yet.
    @discardableResult
    func endExpired(logger: Logger) async throws -> Int {
        // Most sweeps find nothing: they read, and write only when a lease is due.
        let now = clock()
        var ended = 0
        if try await store.read(logger: logger, { try await $0.leases.hasExpired(at: now) }) {
            ended = try await end(by: nil, logger: logger) { try await $0.leases.endExpired(at: $1, limit: 500) }.count
        }
        await ending.endPending(logger: logger)
        return ended
    }

    /// Marks the leases `select` ends (one audit event each, in the same transaction), then ends their sessions.
    @discardableResult
    private func end(
        by actor: RequestActor?, logger: Logger,
        _ select: @escaping @Sendable (StoreSession, Date) async throws -> [LeaseRecord]
    ) async throws -> [LeaseRecord] {
        let now = clock()
        let ended = try await store.write(logger: logger) { [audit] session in
            let ended = try await select(session, now)
            try await audit.append(LeaseEnding.events(ended, by: actor), in: session)
            return ended
        }
        await ending.endOnPlatforms(ended, logger: logger)
        return ended
    }

    private var ending: LeaseEnding { connections.leaseEnding }

    private func viaRecord(of record: ConnectionRecord, logger: Logger) async throws -> ConnectionRecord? {
        guard let name = ConnectionSecrets.viaName(kind: record.kind, fields: record.fields) else { return nil }
        return try await store.connection(named: name, logger: logger)
    }

    private func requireActiveJob(_ jobId: String, of record: ConnectionRecord, logger: Logger) async throws {
        guard let job = try await store.read(logger: logger, { try await $0.jobs.find(id: jobId) }),
            job.connectionId == record.id, job.state.isActive
        else { throw HitchError.validation(["jobId": "must name an active job of connection '\(record.name)'"]) }
    }

    static func seesEveryLease(_ principal: Principal) -> Bool {
        principal.role.allows(.changeConnections) || principal.role.allows(.readAudit)
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
