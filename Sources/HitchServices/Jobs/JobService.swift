import Foundation
import HitchAudit
import HitchDomain
import HitchStorage
import Logging

/// Jobs on connections. An external engine registers its migration jobs so that Hitch refuses to delete a
/// connection under them; Hitch's own discovery and preflight jobs end by themselves, or as `invalidated` when the
/// credential they read with is rotated.
package struct JobService: Sendable {
    let store: Store
    let audit: AuditLog
    let leaseEnding: LeaseEnding
    let clock: @Sendable () -> Date

    static let invalidatedReason = "credential rotated: re-run discovery"

    /// A job registered by an external engine: running from now until it is finished.
    package func register(
        connection name: String, kind: JobKind, ref: String?, by actor: RequestActor, logger: Logger
    ) async throws -> JobRecord {
        guard !kind.isRunByHitch else {
            throw HitchError(.badRequest, "\(kind.rawValue) jobs are started by Hitch itself (hitch discovery run, hitch preflight)")
        }
        if let ref, ref.isEmpty || ref.count > 200 { throw HitchError.validation(["ref": "must be 1 to 200 characters"]) }
        return try await start(connection: name, kind: kind, ref: ref, state: .running, by: actor, logger: logger) { session, record in
            try await Self.requireMigrationCapability(record, in: session)
        }
    }

    /// A migration needs a preflight of the connection's current credential version that found every migration
    /// privilege (vSphere; other kinds have no preflight yet).
    static func requireMigrationCapability(_ record: ConnectionRecord, in session: StoreSession) async throws {
        guard record.kind == .vsphere else { return }
        guard let preflight = try await session.preflights.latest(connectionId: record.id),
            preflight.credentialVersion == record.credentialVersion
        else {
            throw HitchError(
                .conflict,
                "connection '\(record.name)' has no preflight of its current credential (version \(record.credentialVersion)): "
                    + "run hitch preflight \(record.name) --scope migration first")
        }
        guard preflight.report.capability >= .migration else {
            let missing = preflight.report.privileges.filter { !$0.granted && $0.need.isRequired(for: .migration) }.map(\.id)
            throw HitchError(
                .conflict,
                "connection '\(record.name)' may only be used for \(preflight.report.capability.rawValue) (its last preflight): "
                    + "it lacks \(missing.joined(separator: ", "))")
        }
    }

    /// Records a job on the connection's current credential version, in one transaction with its audit event.
    func start(
        connection name: String, kind: JobKind, ref: String?, state: JobState, deadline: Date? = nil, by actor: RequestActor,
        logger: Logger, check: @escaping @Sendable (StoreSession, ConnectionRecord) async throws -> Void = { _, _ in }
    ) async throws -> JobRecord {
        try await store.write(logger: logger) { [audit, clock] session in
            guard let connection = try await session.connections.find(name: name, lock: .share) else {
                throw HitchError.connectionNotFound(name)
            }
            try await check(session, connection)
            let job = JobRecord(
                id: UUID().uuidString.lowercased(), connectionId: connection.id, connectionName: connection.name, kind: kind,
                state: state, ref: ref, credentialVersion: connection.credentialVersion, createdAt: clock(),
                createdBy: actor.principal.name, deadlineAt: deadline)
            try await session.jobs.insert(job)
            try await audit.append(
                actor.event("job.start", target: ConnectionService.target(connection), detail: "\(kind.rawValue) job \(job.id)"),
                in: session)
            return job
        }
    }

    /// Ends a registered job as succeeded or failed; a job that has already ended is refused (409).
    package func finish(id: String, state: JobState, by actor: RequestActor, logger: Logger) async throws -> JobRecord {
        guard state == .succeeded || state == .failed else {
            throw HitchError.validation(["state": "must be succeeded or failed"])
        }
        let (job, endedLeases) = try await store.write(logger: logger) { [audit, clock] session in
            guard var job = try await session.jobs.find(id: id) else { throw HitchError(.notFound, "job '\(id)' not found") }
            guard !job.kind.isRunByHitch else {
                throw HitchError(.badRequest, "\(job.kind.rawValue) jobs end by themselves")
            }
            job.state = state
            job.finishedAt = clock()
            guard try await session.jobs.update(job, from: JobState.allCases.filter(\.isActive)) else {
                throw HitchError(.conflict, "job '\(id)' has already ended")
            }
            // The leases taken for the job end with it, in the same transaction.
            let endedLeases = try await session.leases.endActive(jobId: job.id, reason: .jobFinished, at: job.finishedAt ?? clock())
            let finished = actor.event(
                "job.finish", target: AuditTarget(kind: "connection", name: job.connectionName, id: job.connectionId),
                detail: "\(job.kind.rawValue) job \(job.id) \(state.rawValue)")
            try await audit.append([finished] + LeaseEnding.events(endedLeases, by: actor), in: session)
            return (job, endedLeases)
        }
        await leaseEnding.endOnPlatforms(endedLeases, logger: logger)
        return job
    }

    /// Stops a discovery or preflight: it ends as `cancelled` and stores nothing; the server running it stops it
    /// at once, another server at its next progress report.
    package func cancel(id: String, by actor: RequestActor, running: RunningJobs, logger: Logger) async throws -> JobRecord {
        let job = try await store.write(logger: logger) { [audit, clock] session in
            guard var job = try await session.jobs.find(id: id) else { throw HitchError(.notFound, "job '\(id)' not found") }
            guard job.kind.isRunByHitch else {
                throw HitchError(.badRequest, "migration jobs are ended by their engine: hitch job finish \(id) --state failed")
            }
            job.state = .cancelled
            job.detail = "cancelled by \(actor.principal.name)"
            job.finishedAt = clock()
            guard try await session.jobs.update(job, from: JobState.allCases.filter(\.isActive)) else {
                throw HitchError(.conflict, "job '\(id)' has already ended")
            }
            try await audit.append(
                actor.event("job.cancel", target: Self.target(job), detail: "\(job.kind.rawValue) job \(job.id)"), in: session)
            return job
        }
        await running.cancel(id)
        return job
    }

    /// Ends a Hitch-run job that is still running, audited; a job that ended elsewhere first keeps its end.
    func end(_ job: JobRecord, as state: JobState, detail: String, by actor: RequestActor, logger: Logger) async {
        var ended = job
        ended.state = state
        ended.detail = detail
        ended.finishedAt = clock()
        do {
            // Its own task: a job stopped at shutdown is cancelled, and the write that records so must not be.
            try await Task { [store, audit, ended] in
                try await store.write(logger: logger) { session in
                    guard try await session.jobs.update(ended, from: JobState.allCases.filter(\.isActive)) else { return }
                    try await audit.append(
                        actor.event(
                            "job.finish", target: Self.target(job), detail: "\(job.kind.rawValue) job \(job.id) \(state.rawValue): \(detail)"),
                        in: session)
                }
            }.value
        } catch {
            logger.error("could not record a job's end", metadata: ["job": "\(job.id)", "error": "\(type(of: error))"])
        }
    }

    /// Ends the Hitch-run jobs past their deadline as failed: the server that ran them stopped (at start-up).
    func endOverdue(logger: Logger) async throws -> Int {
        let now = clock()
        return try await store.write(logger: logger) { [audit] session in
            var ended: [JobRecord] = []
            for var job in try await session.jobs.overdue(at: now) {
                job.state = .failed
                job.detail = "abandoned: the server running it stopped before it ended"
                job.finishedAt = now
                if try await session.jobs.update(job, from: JobState.allCases.filter(\.isActive)) { ended.append(job) }
            }
            if !ended.isEmpty {
                try await audit.append(
                    ended.map { AuditEvent(actor: .system, origin: .local, action: "job.finish", target: Self.target($0), detail: "\($0.kind.rawValue) job \($0.id) failed: \($0.detail ?? "")") },
                    in: session)
            }
            return ended.count
        }
    }

    static func target(_ job: JobRecord) -> AuditTarget {
        AuditTarget(kind: "connection", name: job.connectionName, id: job.connectionId)
    }

    /// How many jobs there are of each kind in each state, for /metrics.
    package func counts(logger: Logger) async throws -> [JobCount] {
        try await store.read(logger: logger) { try await $0.jobs.counts() }
    }

    package func get(id: String, logger: Logger) async throws -> JobRecord {
        guard let job = try await store.read(logger: logger, { try await $0.jobs.find(id: id) }) else {
            throw HitchError(.notFound, "job '\(id)' not found")
        }
        return job
    }

    /// Jobs, newest first. A connection that exists is matched by its id; a deleted one by the name its jobs
    /// recorded, so that its history stays reachable. A name that matches neither is an error, not an empty list.
    /// Jobs, newest first; of the connections in `readable` only, when the reader is limited to some.
    package func list(connection name: String?, state: JobState?, readable: Set<String>? = nil, limit: Int, logger: Logger) async throws -> [JobRecord] {
        try await store.read(logger: logger) { session in
            var filter = JobFilter(state: state, connectionIds: readable)
            guard let name else { return try await session.jobs.list(filter, limit: limit) }
            if let connection = try await session.connections.find(name: name) {
                filter.connectionId = connection.id
                return try await session.jobs.list(filter, limit: limit)
            }
            filter.connectionName = name
            let jobs = try await session.jobs.list(filter, limit: limit)
            guard jobs.isEmpty else { return jobs }
            // Empty with a state filter, the name may still have jobs in other states: only then is it asked again.
            let recorded = state == nil ? false : !(try await session.jobs.list(JobFilter(connectionName: name), limit: 1).isEmpty)
            guard recorded else { throw HitchError.connectionNotFound(name) }
            return jobs
        }
    }

    /// Ends every queued or running Hitch-run job of a connection that reads with a credential version older than
    /// `version`, in the rotation's own transaction. Returns the jobs it ended; the caller audits them
    /// (`invalidationEvents`) with the rotation.
    static func invalidate(
        connectionId: String, olderThan version: Int, at now: Date, in session: StoreSession
    ) async throws -> [JobRecord] {
        var ended: [JobRecord] = []
        for var job in try await session.jobs.active(connectionId: connectionId)
        where job.kind.isRunByHitch && job.credentialVersion < version {
            job.state = .invalidated
            job.detail = invalidatedReason
            job.finishedAt = now
            if try await session.jobs.update(job, from: JobState.allCases.filter(\.isActive)) { ended.append(job) }
        }
        return ended
    }

    static func invalidationEvents(_ jobs: [JobRecord], actor: RequestActor) -> [AuditEvent] {
        jobs.map { job in
            actor.event("job.invalidate", target: target(job), detail: "\(job.kind.rawValue) job \(job.id): \(invalidatedReason)")
        }
    }
}
