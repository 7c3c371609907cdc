import Foundation
import HitchAudit
import HitchDomain
import HitchPlatforms
import HitchStorage
import Logging

/// Preflight: checks, on the connection's datacenter, which privileges of the recommended role its account holds,
/// and saves the report and capability on the connection. It runs as a preflight job for its duration, so a
/// rotation meanwhile invalidates it and nothing of the old credential's check is saved.
struct PreflightService: Sendable {
    let connections: ConnectionService
    let jobs: JobService
    let store: Store
    let audit: AuditLog
    let sessions: PlatformSessionPool
    let clock: @Sendable () -> Date

    static let timeout: TimeInterval = 120

    func run(connection name: String, scope: PreflightScope, by actor: RequestActor, logger: Logger) async throws -> PreflightRecord {
        let record = try await connections.get(name: name, logger: logger)
        guard record.kind == .vsphere else {
            throw HitchError(.badRequest, "preflight checks vSphere connections; '\(name)' is a \(record.kind.rawValue) connection")
        }
        let job = try await jobs.start(
            connection: name, kind: .preflight, ref: scope.rawValue, state: .running,
            deadline: clock().addingTimeInterval(Self.timeout), by: actor, logger: logger)
        let report: PreflightReport
        do {
            let secrets = try await connections.openForUse(record, purpose: "preflight job \(job.id)", by: actor, logger: logger)
            let target = PlatformTests.vsphereTarget(fields: record.fields, secrets: secrets)
            let platform = try await sessions.vsphereSession(for: record, secrets: secrets)
            report = try await platform.preflight(
                scope: scope, datacenter: target.objects["datacenter"] ?? "", username: target.username, insecure: target.insecure)
        } catch let error as VSphereReadError {
            await jobs.end(job, as: .failed, detail: error.message, by: actor, logger: logger)
            throw HitchError(.unavailable, "preflight could not run: \(error.message)")
        } catch let error as PlatformSessionError {
            await jobs.end(job, as: .failed, detail: error.description, by: actor, logger: logger)
            throw HitchError(.unavailable, "preflight could not run: \(error.message)")
        } catch {
            await jobs.end(job, as: .failed, detail: "preflight failed (see the server log)", by: actor, logger: logger)
            throw error
        }
        return try await save(report, of: job, by: actor, logger: logger)
    }

    /// The last preflight of the connection, or 404 when it has none.
    func latest(connection name: String, logger: Logger) async throws -> PreflightRecord {
        let record = try await connections.get(name: name, logger: logger)
        guard let latest = try await store.read(logger: logger, { try await $0.preflights.latest(connectionId: record.id) }) else {
            throw HitchError(.notFound, "connection '\(name)' has no preflight yet: run hitch preflight \(name)")
        }
        return latest
    }

    private func save(_ report: PreflightReport, of job: JobRecord, by actor: RequestActor, logger: Logger) async throws -> PreflightRecord {
        let now = clock()
        let saved = PreflightRecord(connectionId: job.connectionId, credentialVersion: job.credentialVersion, checkedAt: now, report: report)
        let missing = report.missing.map(\.id)
        let detail = "capability \(report.capability.rawValue)" + (missing.isEmpty ? "" : "; missing \(missing.joined(separator: ", "))")
        try await store.write(logger: logger) { [audit] session in
            var done = job
            done.state = .succeeded
            done.detail = detail
            done.finishedAt = now
            guard try await session.jobs.update(done, from: [.running]) else {
                throw HitchError(.conflict, "the preflight ended before it could be saved (the credential was rotated or it was cancelled): run it again")
            }
            try await session.preflights.save(saved)
            try await audit.append(
                actor.event("preflight.run", target: JobService.target(job), detail: "\(report.scope.rawValue): \(detail)"),
                in: session)
        }
        return saved
    }
}
