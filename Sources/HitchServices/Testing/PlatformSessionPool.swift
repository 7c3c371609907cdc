import Foundation
import HitchDomain
import HitchPlatforms
import HitchStorage
import Logging

/// The platform sessions Hitch holds for jobs (vSphere first): one per connection and credential version, reused
/// while it answers and opened again when it does not. A rotation closes every session of the older versions, on
/// the platform too (SessionManager.Logout), once the new version is committed.
package actor PlatformSessionPool {
    struct Key: Hashable, Sendable {
        let connectionId: String
        let credentialVersion: Int
    }

    private var vsphere: [Key: Task<VSpherePlatformSession, any Error>] = [:]
    private let logger: Logger
    private let egress: EgressPolicy

    init(logger: Logger, egress: EgressPolicy) {
        self.logger = logger
        self.egress = egress
    }

    /// The open session of this connection's current credential version, opened (logged in) when there is none
    /// or the one held no longer answers. Concurrent callers share one login.
    func vsphereSession(for record: ConnectionRecord, secrets: [String: SecretValue]) async throws -> VSpherePlatformSession {
        guard record.kind == .vsphere else { throw HitchError(.badRequest, "\(record.kind.rawValue) connections hold no vSphere session") }
        let key = Key(connectionId: record.id, credentialVersion: record.credentialVersion)
        if let held = vsphere[key] {
            if let session = try? await held.value, await session.isAlive() { return session }
            if vsphere[key] == held { vsphere[key] = nil }
        }
        let target = PlatformTests.vsphereTarget(record, secrets: secrets)
        let opening = Task { [egress] in
            try await EgressPolicy.$current.withValue(egress) { try await VSpherePlatformSession.open(target) as VSpherePlatformSession }
        }
        vsphere[key] = opening
        do {
            return try await opening.value
        } catch {
            if vsphere[key] == opening { vsphere[key] = nil }
            throw error
        }
    }

    /// The session held for this connection and credential version, if one is open, without asking the platform
    /// whether it still answers.
    package func held(connectionId: String, credentialVersion: Int) async -> VSpherePlatformSession? {
        try? await vsphere[Key(connectionId: connectionId, credentialVersion: credentialVersion)]?.value
    }

    /// Logs out every session of the connection opened with a credential version older than `version`; returns
    /// how many it closed.
    @discardableResult
    func close(connectionId: String, olderThan version: Int) async -> Int {
        let stale = vsphere.filter { $0.key.connectionId == connectionId && $0.key.credentialVersion < version }
        for key in stale.keys { vsphere[key] = nil }
        var closed = 0
        for held in stale.values {
            guard let session = try? await held.value else { continue }
            await session.close()
            closed += 1
        }
        if closed > 0 {
            logger.info("closed platform sessions of a rotated credential", metadata: [
                "connection": "\(connectionId)", "sessions": "\(closed)",
            ])
        }
        return closed
    }

    /// Logs out every session, at shutdown.
    func closeAll() async {
        let held = vsphere.values
        vsphere = [:]
        for task in held { await (try? await task.value)?.close() }
    }
}
