import HitchAudit
import HitchDomain
import HitchPlatforms
import HitchStorage
import Logging

/// `connection rotate --generate`: a new secret made on the platform with the current one, tested, saved as a new
/// credential version by the usual rotation (its transaction, audit event, and the end of the old version's jobs,
/// leases and sessions), and only then the old secret removed from the platform. When a step before the save
/// fails, what was made on the platform is removed again and Hitch keeps the old secret; each failure is audited
/// as `connection.rotate` `failed` with the step that failed.
struct PlatformRotationService: Sendable {
    let connections: ConnectionService
    let store: Store
    let audit: AuditLog
    let egress: EgressPolicy

    func rotate(name: String, by actor: RequestActor, logger: Logger) async throws -> SavedConnection {
        let record = try await connections.get(name: name, logger: logger)
        guard record.kind == .awsAccessKey else { throw Self.unsupported(record.kind) }
        let secrets = try await connections.openForUse(record, purpose: "platform rotation", by: actor, logger: logger)
        let target = PlatformTargets.awsAccessKey(.init(fields: record.fields, secrets: secrets))
        let prepared: AWSKeyRotation.Prepared
        do {
            prepared = try await EgressPolicy.$current.withValue(egress) { try await AWSKeyRotation.prepare(target) }
        } catch let failure as RotationFailure {
            try await recordFailure(failure, of: record, by: actor, logger: logger)
            throw Self.error(failure, keptOld: true)
        }
        let change = UpdateConnectionRequest(
            fields: ["accessKeyId": .string(prepared.new.accessKeyId)], clear: [],
            secrets: ["secretAccessKey": prepared.new.secretAccessKey], generate: [])
        let saved: SavedConnection
        do {
            saved = try await connections.update(
                name: name, change, ifMatch: ETag.of(record), by: actor, logger: logger,
                detail: "generated on AWS: IAM access key \(prepared.new.accessKeyId) replaces \(prepared.oldAccessKeyId) of user \(prepared.userName)")
        } catch {
            let undone = await undo(prepared, target: target)
            let failure = RotationFailure(step: "save", message: (error as? HitchError)?.message ?? "the new version could not be saved")
            try? await recordFailure(failure, of: record, by: actor, logger: logger, note: undone)
            throw error
        }
        var warnings = saved.warnings
        do {
            try await EgressPolicy.$current.withValue(egress) { try await AWSKeyRotation.finish(prepared, target: target) }
        } catch let failure as RotationFailure {
            warnings.append(
                "the new key is saved and in use, but the old key \(prepared.oldAccessKeyId) could not be deleted from IAM (\(failure.message)): delete it by hand")
            try? await recordFailure(failure, of: saved.record, by: actor, logger: logger)
        }
        return SavedConnection(record: saved.record, issuedSecrets: [:], warnings: warnings)
    }

    /// Removes the new key again; says whether it could.
    private func undo(_ prepared: AWSKeyRotation.Prepared, target: AWSAccessKeyTarget) async -> String {
        do {
            try await EgressPolicy.$current.withValue(egress) { try await AWSKeyRotation.abandon(prepared, target: target) }
            return "the new key \(prepared.new.accessKeyId) was deleted again; the old key is kept"
        } catch {
            return "the new key \(prepared.new.accessKeyId) could not be deleted again: delete it by hand; the old key is kept"
        }
    }

    private func recordFailure(
        _ failure: RotationFailure, of record: ConnectionRecord, by actor: RequestActor, logger: Logger, note: String? = nil
    ) async throws {
        var event = actor.event(
            "connection.rotate", target: ConnectionService.target(record),
            detail: "generated rotation failed at \(failure.step): \(failure.message)" + (note.map { "; \($0)" } ?? ""))
        event.outcome = .failed(code: failure.step)
        _ = try await store.write(logger: logger) { [audit, event] session in try await audit.append(event, in: session) }
    }

    static func error(_ failure: RotationFailure, keptOld: Bool) -> HitchError {
        let kept = keptOld ? " Hitch keeps the current key, and nothing made on AWS was left behind." : ""
        if failure.step == "list-keys" { return HitchError(.conflict, failure.message + "." + kept) }
        return HitchError(.platformFailed, "the rotation failed at \(failure.step): \(failure.message).\(kept)")
    }

    static func unsupported(_ kind: ConnectionKind) -> HitchError {
        let why = switch kind {
        case .vsphere, .nutanix: "a \(kind.rawValue) password is the account owner's to change on the platform (its SSO or directory); rotate it there, then in Hitch with `hitch connection update NAME --password-stdin`"
        case .gcp: "a Google service account key is made by the project's owner (gcloud iam service-accounts keys create); rotate it by hand"
        case .azure: "generating an Azure client secret is not built yet; rotate it by hand"
        case .awsAssumeRole, .awsCrossAccount: "a role has no secret of its own: rotate its via key"
        case .apiKey: "an API key is made by Hitch: use `hitch connection update NAME --regenerate key`"
        case .awsAccessKey: ""
        }
        return HitchError(.unsupported, "\(kind.rawValue) connections are not rotated on the platform by Hitch: \(why)")
    }
}
