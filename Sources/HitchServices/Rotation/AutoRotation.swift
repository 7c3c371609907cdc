import Foundation
import HitchAudit
import HitchDomain
import HitchStorage
import Logging

/// Connections opted in with `autoRotate` are rotated on the platform once due, by whichever server claims each
/// first: a claim in the database (`auto_rotations`) lets one server at a time try, and the rotation's save, sent
/// with the ETag read, lets at most one succeed. A failure is audited by the rotation, counted on the connection
/// with its reason, and tried again after a backoff that doubles from 5 minutes up to a day.
package struct AutoRotation: Sendable {
    /// How long a claim holds: longer than a rotation takes (IAM's propagation included).
    static let claim: TimeInterval = 300

    let connections: ConnectionService
    let rotations: PlatformRotationService
    let policy: RotationPolicy
    let store: Store
    let clock: @Sendable () -> Date

    static func requireSupport(_ kind: ConnectionKind) throws {
        guard PlatformRotationService.supportedKinds.contains(kind) else {
            throw HitchError.validation(["autoRotate": "only aws-access-key and azure connections are rotated on the platform by Hitch"])
        }
    }

    /// How often a server looks for due rotations: `HITCH_AUTO_ROTATE_SECONDS`, 1 to 86400, 60 by default.
    static func interval(from environment: [String: String]) throws -> Duration {
        guard let text = environment["HITCH_AUTO_ROTATE_SECONDS"] else { return .seconds(60) }
        guard let seconds = Int(text), (1...86_400).contains(seconds) else {
            throw HitchError(.badRequest, "HITCH_AUTO_ROTATE_SECONDS must be a whole number of seconds from 1 to 86400")
        }
        return .seconds(seconds)
    }

    /// The wait before try `failures + 1`: 5 minutes, doubled each time, at most a day.
    static func backoff(afterFailures failures: Int) -> TimeInterval {
        min(86_400, 300 * pow(2, Double(max(0, failures - 1))))
    }

    /// The rotations due now, each tried by this server if it claims it first; how many it rotated.
    func runDue(logger: Logger) async throws -> Int {
        let now = clock()
        // Only the opted-in connections are read: the rest may be thousands, every minute, on every server.
        let due = try await connections.list(ConnectionFilter(autoRotating: true), logger: logger)
            .filter { policy.state(of: $0, at: now)?.isDue == true }
        var rotated = 0
        for record in due {
            let claimed = try await store.write(logger: logger) { session in
                try await session.autoRotations.claim(connectionId: record.id, at: now, until: now.addingTimeInterval(Self.claim))
            }
            guard claimed else { continue }
            do {
                _ = try await rotations.rotate(name: record.name, by: Self.actor, logger: logger)
                try await store.write(logger: logger) { try await $0.autoRotations.succeeded(connectionId: record.id) }
                rotated += 1
                logger.notice("rotated on the platform", metadata: ["connection": "\(record.name)"])
            } catch {
                let reason = (error as? HitchError)?.message ?? "\(type(of: error))"
                let failures = try await store.write(logger: logger) { session in
                    let state = try await session.autoRotations.state(connectionId: record.id)
                    return try await session.autoRotations.failed(
                        connectionId: record.id, reason: reason,
                        nextAttemptAt: now.addingTimeInterval(Self.backoff(afterFailures: (state?.failures ?? 0) + 1)))
                }
                logger.warning("automatic rotation failed", metadata: ["connection": "\(record.name)", "failures": "\(failures)"])
            }
        }
        return rotated
    }

    /// The failures of the connection's automatic rotation since its last success; nil when none.
    package func failures(of record: ConnectionRecord, logger: Logger) async throws -> AutoRotationState? {
        try await store.read(logger: logger) { try await $0.autoRotations.state(connectionId: record.id) }
    }

    /// Hitch itself, as the audit log names it.
    static var actor: RequestActor {
        RequestActor(
            principal: Principal(
                id: AuditActor.system.id, name: AuditActor.system.name, kind: AuditActor.system.kind, role: .admin, tokenId: nil,
                tokenName: "auto-rotation"),
            origin: .local)
    }
}

extension HitchRuntime {
    /// Rotates due, opted-in connections every `HITCH_AUTO_ROTATE_SECONDS` (60 by default) until cancelled.
    public func rotateAutomatically(logger: Logger) async {
        let interval = (try? AutoRotation.interval(from: environment)) ?? .seconds(60)
        await BackgroundLoop.run("automatic rotation", every: interval, logger: logger) {
            _ = try await autoRotation.runDue(logger: logger)
        }
    }
}
