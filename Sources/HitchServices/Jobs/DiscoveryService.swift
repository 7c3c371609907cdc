import Foundation
import HitchAudit
import HitchDomain
import HitchPlatforms
import HitchStorage
import Logging

/// Discovery: a background job that reads a vSphere connection's inventory through a pooled platform session and
/// stores it as the connection's snapshot, replacing the previous one only once complete. One at a time per
/// connection, with a timeout; cancelled, invalidated (rotation) or failed jobs store nothing.
package struct DiscoveryService: Sendable {
    let connections: ConnectionService
    let jobs: JobService
    let store: Store
    let audit: AuditLog
    let sessions: PlatformSessionPool
    let running: RunningJobs
    let clock: @Sendable () -> Date

    package static let defaultTimeout = 3600
    static let timeoutRange = 10...86_400
    /// Objects per RetrievePropertiesEx page.
    static let pageSize = 500

    /// The connection's last complete snapshot and a page of its objects, read together.
    package func inventory(
        of record: ConnectionRecord, _ filter: InventoryFilter, logger: Logger
    ) async throws -> (snapshot: InventorySnapshot?, page: (objects: [InventoryObject], more: Bool)) {
        try await store.read(logger: logger) { session in
            (try await session.inventory.snapshot(connectionId: record.id),
             try await session.inventory.objects(connectionId: record.id, filter))
        }
    }

    /// Starts a discovery of the connection and returns its job, running.
    package func start(connection name: String, timeoutSeconds: Int, by actor: RequestActor, logger: Logger) async throws -> JobRecord {
        guard Self.timeoutRange.contains(timeoutSeconds) else {
            throw HitchError.validation(["timeout": "must be from \(Self.timeoutRange.lowerBound) to \(Self.timeoutRange.upperBound) seconds"])
        }
        let now = clock()
        let (job, record) = try await store.write(logger: logger) { [audit] session in
            // The update lock serializes two starts on one connection across servers.
            guard let record = try await session.connections.find(name: name, lock: .update) else {
                throw HitchError.connectionNotFound(name)
            }
            guard record.kind == .vsphere else {
                throw HitchError(.badRequest, "discovery reads vSphere connections; '\(name)' is a \(record.kind.rawValue) connection")
            }
            if let existing = try await session.jobs.active(connectionId: record.id).first(where: { $0.kind == .discovery }) {
                throw HitchError(
                    .conflict,
                    "a discovery of '\(name)' is already running (job \(existing.id)); wait for it or cancel it: hitch job cancel \(existing.id)")
            }
            let job = JobRecord(
                id: UUID().uuidString.lowercased(), connectionId: record.id, connectionName: record.name, kind: .discovery,
                state: .running, ref: nil, credentialVersion: record.credentialVersion, detail: "starting", createdAt: now,
                createdBy: actor.principal.name, deadlineAt: now.addingTimeInterval(TimeInterval(timeoutSeconds)))
            try await session.jobs.insert(job)
            try await audit.append(
                actor.event("job.start", target: ConnectionService.target(record), detail: "discovery job \(job.id)"), in: session)
            return (job, record)
        }
        await running.launch(job.id) {
            await run(job, record: record, timeout: .seconds(timeoutSeconds), by: actor, logger: logger)
        }
        return job
    }

    private func run(_ job: JobRecord, record: ConnectionRecord, timeout: Duration, by actor: RequestActor, logger: Logger) async {
        do {
            let objects = try await JobDeadline.within(timeout) {
                let secrets = try await connections.openForUse(
                    record, purpose: "discovery job \(job.id)", by: actor, logger: logger)
                let platform = try await sessions.vsphereSession(for: record, secrets: secrets)
                let progress = DiscoveryProgress(store: store, jobId: job.id, logger: logger)
                let datacenter = PlatformTargets.vsphere(.init(fields: record.fields, secrets: [:])).objects["datacenter"]
                return try await platform.discover(datacenter: datacenter, pageSize: Self.pageSize) { type, count in
                    try await progress.report(type, count)
                }
            }
            try await save(objects, of: job, by: actor, logger: logger)
        } catch is JobEnded {
            logger.info("a discovery stopped: its job ended elsewhere", metadata: ["job": "\(job.id)"])
        } catch let timeout as JobDeadline.Exceeded {
            await jobs.end(job, as: .failed, detail: "timed out after \(timeout.seconds) s", by: actor, logger: logger)
        } catch is CancellationError {
            await jobs.end(job, as: .failed, detail: "stopped: the server shut down", by: actor, logger: logger)
        } catch let error as VSphereReadError {
            await jobs.end(job, as: .failed, detail: error.message, by: actor, logger: logger)
        } catch let error as PlatformSessionError {
            await jobs.end(job, as: .failed, detail: "\(error.code.rawValue): \(error.message)", by: actor, logger: logger)
        } catch let error as HitchError {
            // A secret sealed for another destination, or the database out of reach: Hitch's own words, no secret.
            await jobs.end(job, as: .failed, detail: "\(error.code.rawValue): \(error.message)", by: actor, logger: logger)
        } catch {
            logger.error("a discovery failed", metadata: ["job": "\(job.id)", "error": "\(type(of: error))"])
            await jobs.end(job, as: .failed, detail: "discovery failed (see the server log)", by: actor, logger: logger)
        }
    }

    /// Ends the job as succeeded and replaces the connection's inventory, in one transaction, only while the job
    /// is still running: a rotation or a cancel in between leaves the previous inventory in place.
    private func save(_ objects: [InventoryObject], of job: JobRecord, by actor: RequestActor, logger: Logger) async throws {
        let counts = Dictionary(grouping: objects, by: \.type).mapValues(\.count)
        let summary = InventoryType.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", ")
        let now = clock()
        try await store.write(logger: logger) { [audit] session in
            var done = job
            done.state = .succeeded
            done.detail = summary
            done.finishedAt = now
            guard try await session.jobs.update(done, from: [.running]) else { throw JobEnded() }
            try await session.inventory.replace(
                InventorySnapshot(
                    connectionId: job.connectionId, jobId: job.id, credentialVersion: job.credentialVersion, takenAt: now,
                    counts: Dictionary(uniqueKeysWithValues: InventoryType.allCases.map { ($0, counts[$0] ?? 0) })),
                objects: objects)
            try await audit.append(
                actor.event("job.finish", target: JobService.target(job), detail: "discovery job \(job.id) succeeded: \(summary)"),
                in: session)
        }
        ServerMetrics.discovered(counts)
    }
}

/// A Hitch-run job's state changed elsewhere (cancelled, invalidated by a rotation): stop and store nothing.
struct JobEnded: Error {}

/// Saves a running discovery's progress on its job; throws to stop the discovery when the job has ended
/// elsewhere or its task was cancelled.
struct DiscoveryProgress: Sendable {
    let store: Store
    let jobId: String
    let logger: Logger

    func report(_ type: InventoryType, _ count: Int) async throws {
        try Task.checkCancellation()
        let detail = "reading \(type.rawValue): \(count) read"
        let running = try await store.write(logger: logger) { [jobId] session in
            try await session.jobs.saveProgress(jobId: jobId, detail: detail)
        }
        guard running else { throw JobEnded() }
    }
}
