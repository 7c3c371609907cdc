import Foundation
import HitchAudit
import HitchDomain
import HitchPlatforms
import HitchStorage
import Logging

/// Preflight: checks, on the platform's own API, which privileges of Hitch's documented role the connection's
/// account holds (vSphere on its datacenter, Azure on its subscription, Google Cloud on its project, AWS for the
/// key's user or the role, Nutanix in Prism Central), and saves the report on the connection. It runs as a
/// preflight job for its duration, so a rotation meanwhile invalidates it and nothing of the old credential's
/// check is saved.
package struct PreflightService: Sendable {
    let connections: ConnectionService
    let jobs: JobService
    let store: Store
    let audit: AuditLog
    let sessions: PlatformSessionPool
    let egress: EgressPolicy
    /// Azure's and Google's endpoints under system trust; a test against a local server pins it.
    var tlsPolicy: TLSPolicy = .systemTrust
    let clock: @Sendable () -> Date

    static let timeout: TimeInterval = 120

    /// `scope` nil: the kind's default (migration for vsphere, images for the clouds, discovery for nutanix).
    package func run(connection name: String, scope asked: PreflightScope?, by actor: RequestActor, logger: Logger) async throws -> PreflightRecord {
        let record = try await connections.get(name: name, logger: logger)
        let scopes = PreflightScope.scopes(of: record.kind)
        guard let scope = asked ?? scopes.first else {
            throw HitchError(.badRequest, "an api-key has no privileges to check: it is valid, expired or unknown")
        }
        guard scopes.contains(scope) else {
            throw HitchError.validation(["scope": "a \(record.kind.rawValue) preflight checks \(scopes.map(\.rawValue).joined(separator: " or "))"])
        }
        let job = try await jobs.start(
            connection: name, kind: .preflight, ref: scope.rawValue, state: .running,
            deadline: clock().addingTimeInterval(Self.timeout), by: actor, logger: logger)
        let report: PreflightReport
        do {
            let secrets = try await connections.openForUse(record, purpose: "preflight job \(job.id)", by: actor, logger: logger)
            report = try await EgressPolicy.$current.withValue(egress) {
                try await check(record, secrets: secrets, scope: scope, job: job, by: actor, logger: logger)
            }
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

    /// The kind's check, on the platform's own API.
    private func check(
        _ record: ConnectionRecord, secrets: [String: SecretValue], scope: PreflightScope, job: JobRecord, by actor: RequestActor,
        logger: Logger
    ) async throws -> PreflightReport {
        let values = PlatformTargets.Values(record, secrets: secrets)
        switch record.kind {
        case .vsphere:
            let target = PlatformTargets.vsphere(values)
            let platform = try await sessions.vsphereSession(for: record, secrets: secrets)
            return try await platform.preflight(
                scope: scope, datacenter: target.objects["datacenter"] ?? "", username: target.username, insecure: target.insecure)
        case .nutanix:
            return try await NutanixPreflight.check(PlatformTargets.nutanix(values), scope: scope)
        case .azure:
            return try await AzurePreflight.check(PlatformTargets.azure(values, tlsPolicy: tlsPolicy), scope: scope)
        case .gcp:
            return try await GCPPreflight.check(PlatformTargets.gcp(values, tlsPolicy: tlsPolicy), scope: scope)
        case .awsAccessKey:
            return try await IAMPreflight.check(PlatformTargets.awsAccessKey(values), scope: scope)
        case .awsAssumeRole, .awsCrossAccount:
            let viaValues: PlatformTargets.Values
            if let viaName = ConnectionSecrets.viaName(kind: record.kind, fields: record.fields) {
                guard let via = try await store.connection(named: viaName, logger: logger) else {
                    throw HitchError(.conflict, "the via connection '\(viaName)' is missing")
                }
                viaValues = .init(
                    fields: via.fields,
                    secrets: try await connections.openForUse(
                        via, purpose: "preflight job \(job.id), as the key \(record.name) goes through", by: actor, logger: logger))
            } else {
                let own: PlatformTests.Via?
                do {
                    own = try await AmbientAWSIdentity.via(for: record.kind, fields: record.fields, from: connections.ambientAWS)
                } catch {
                    throw HitchError(.unavailable, "preflight could not run: \(error.message)")
                }
                guard let own else {
                    throw HitchError(.conflict, "the connection names no via key, and this server lends no AWS identity of its own")
                }
                viaValues = .init(fields: own.fields, secrets: own.secrets)
            }
            guard let target = PlatformTargets.assumeRole(values, via: viaValues, defaultSessionName: "hitch-preflight") else {
                throw HitchError(.conflict, "the via connection is not an aws-access-key")
            }
            return try await IAMPreflight.check(target, scope: scope)
        case .apiKey:
            throw HitchError(.badRequest, "an api-key has no privileges to check")
        }
    }

    /// The last preflight of the connection, or 404 when it has none.
    package func latest(connection name: String, logger: Logger) async throws -> PreflightRecord {
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
