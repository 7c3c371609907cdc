import HitchAudit
import HitchDomain
import HitchPlatforms
import HitchStorage
import Logging

/// `connection rotate --generate`: a new secret made on the platform with the current one, tested, saved as a new
/// credential version by the usual rotation (its transaction, audit event, and the end of the old version's jobs,
/// leases and sessions), and only then the old secret removed from the platform. When a step before the save
/// fails, what was made on the platform is removed again and Hitch keeps the old secret; each failure is audited
/// as `connection.rotate` `failed` with the step that failed. aws-access-key (IAM) and azure (Microsoft Graph).
package struct PlatformRotationService: Sendable {
    static let supportedKinds: Set<ConnectionKind> = [.awsAccessKey, .azure]

    let connections: ConnectionService
    let store: Store
    let audit: AuditLog
    let egress: EgressPolicy
    let policy: RotationPolicy

    /// A new secret made on the platform and tested, not yet saved: what to save, and how to end it either way.
    struct Generated: Sendable {
        let change: UpdateConnectionRequest
        let detail: String
        let old: String
        /// Each throws a `RotationFailure`.
        let abandon: @Sendable () async throws -> Void
        let finish: @Sendable () async throws -> Void
    }

    package func rotate(name: String, by actor: RequestActor, logger: Logger) async throws -> SavedConnection {
        let record = try await connections.get(name: name, logger: logger)
        guard Self.supportedKinds.contains(record.kind) else { throw Self.unsupported(record.kind) }
        let secrets = try await connections.openForUse(record, purpose: "platform rotation", by: actor, logger: logger)
        let generated: Generated
        do {
            generated = try await EgressPolicy.$current.withValue(egress) { try await generate(for: record, secrets: secrets) }
        } catch let failure as RotationFailure {
            try await recordFailure(failure, of: record, by: actor, logger: logger)
            throw Self.error(failure, platform: record.kind)
        }
        let saved: SavedConnection
        do {
            saved = try await connections.update(
                name: name, generated.change, ifMatch: ETag.of(record), by: actor, logger: logger, detail: generated.detail)
        } catch {
            var note = "what was made on the platform was removed again; the old secret is kept"
            do {
                try await EgressPolicy.$current.withValue(egress) { try await generated.abandon() }
            } catch {
                note = "what was made on the platform could not be removed again: remove it by hand; the old secret is kept"
            }
            let failure = RotationFailure(step: "save", message: (error as? HitchError)?.message ?? "the new version could not be saved")
            try? await recordFailure(failure, of: record, by: actor, logger: logger, note: note)
            throw error
        }
        var warnings = saved.warnings
        do {
            try await EgressPolicy.$current.withValue(egress) { try await generated.finish() }
        } catch {
            let failure = error as? RotationFailure ?? RotationFailure(step: "finish", message: "\(type(of: error))")
            warnings.append(
                "the new secret is saved and in use, but the old one (\(generated.old)) could not be removed from the platform (\(failure.message)): remove it by hand")
            try? await recordFailure(failure, of: saved.record, by: actor, logger: logger)
        }
        return SavedConnection(record: saved.record, issuedSecrets: [:], warnings: warnings)
    }

    private func generate(for record: ConnectionRecord, secrets: [String: SecretValue]) async throws -> Generated {
        let values = PlatformTargets.Values(fields: record.fields, secrets: secrets)
        switch record.kind {
        case .azure:
            let target = PlatformTargets.azure(values)
            let lifetime = record.maxSecretAgeDays ?? policy.defaultMaxAgeDays
            let prepared = try await AzureSecretRotation.prepare(target, lifetimeDays: lifetime)
            return Generated(
                change: UpdateConnectionRequest(fields: [:], clear: [], secrets: ["clientSecret": prepared.newSecret], generate: []),
                detail: "generated in Entra ID: password \(prepared.newKeyId) replaces \(prepared.oldKeyId ?? "an unidentified one") of application \(prepared.applicationId)",
                old: "password \(prepared.oldKeyId ?? "?")",
                abandon: { try await AzureSecretRotation.abandon(prepared, target: target) },
                finish: { try await AzureSecretRotation.finish(prepared, target: target) })
        default:
            let target = PlatformTargets.awsAccessKey(values)
            let prepared = try await AWSKeyRotation.prepare(target)
            return Generated(
                change: UpdateConnectionRequest(
                    fields: ["accessKeyId": .string(prepared.new.accessKeyId)], clear: [],
                    secrets: ["secretAccessKey": prepared.new.secretAccessKey], generate: []),
                detail: "generated on AWS: IAM access key \(prepared.new.accessKeyId) replaces \(prepared.oldAccessKeyId) of user \(prepared.userName)",
                old: "access key \(prepared.oldAccessKeyId)",
                abandon: { try await AWSKeyRotation.abandon(prepared, target: target) },
                finish: { try await AWSKeyRotation.finish(prepared, target: target) })
        }
    }

    private func recordFailure(
        _ failure: RotationFailure, of record: ConnectionRecord, by actor: RequestActor, logger: Logger, note: String? = nil
    ) async throws {
        var event = actor.event(
            "connection.rotate", target: ConnectionService.target(record),
            detail: "generated rotation failed at \(failure.step): \(failure.message)" + (note.map { "; \($0)" } ?? ""))
        event.outcome = .failed(code: failure.step)
        try await store.write(logger: logger) { [audit, event] session in try await audit.append(event, in: session) }
    }

    static func error(_ failure: RotationFailure, platform kind: ConnectionKind) -> HitchError {
        let kept = " Hitch keeps the current secret, and nothing made on the platform was left behind."
        if failure.step == "list-keys" { return HitchError(.conflict, failure.message + "." + kept) }
        return HitchError(.platformFailed, "the rotation failed at \(failure.step): \(failure.message).\(kept)")
    }

    static func unsupported(_ kind: ConnectionKind) -> HitchError {
        let why = switch kind {
        case .vsphere, .nutanix: "a \(kind.rawValue) password is the account owner's to change on the platform (its SSO or directory); rotate it there, then in Hitch with `hitch connection update NAME --password-stdin`"
        case .gcp: "a Google service account key is made by the project's owner (gcloud iam service-accounts keys create); rotate it by hand"
        case .awsAssumeRole, .awsCrossAccount: "a role has no secret of its own: rotate its via key"
        case .apiKey: "an API key is made by Hitch: use `hitch connection update NAME --regenerate key`"
        case .awsAccessKey, .azure: ""
        }
        return HitchError(.unsupported, "\(kind.rawValue) connections are not rotated on the platform by Hitch: \(why)")
    }
}
