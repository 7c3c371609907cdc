import Foundation
import HitchAudit
import HitchDomain
import HitchPlatforms
import HitchSecrets
import HitchStorage
import Logging

/// How a lease ends, whatever ends it (a revoke, its expiry, its job, a rotation). First the row is marked ended, in
/// the transaction of the change that ends it, with one `lease.end` event each. Then, after the commit, the session
/// a vCenter lease holds is logged out. That second step is an outbox: an ended lease keeps its sealed handle until
/// a server claims it (clearing it) and logs the session out, so a server that stops between the two steps leaves
/// the work to the next sweep of any server, and of several servers exactly one logs each session out.
struct LeaseEnding: Sendable {
    let store: Store
    let secrets: ConnectionSecrets
    let egress: EgressPolicy

    /// One `lease.end` event per ended lease, by `actor` or, for the server's own sweep, by the system.
    static func events(_ ended: [LeaseRecord], by actor: RequestActor?) -> [AuditEvent] {
        ended.map { lease in
            let target = AuditTarget(kind: "lease", name: lease.id, id: lease.id)
            let detail = "lease of \(lease.connectionName) ended: \(lease.endReason?.rawValue ?? "ended")"
            return actor?.event("lease.end", target: target, detail: detail)
                ?? AuditEvent(actor: .system, origin: .local, action: "lease.end", target: target, detail: detail)
        }
    }

    /// Ends on their platforms the ended leases among `leases` that hold a handle.
    func endOnPlatforms(_ leases: [LeaseRecord], logger: Logger) async {
        let ids = leases.filter { $0.handle != nil }.map(\.id)
        guard !ids.isEmpty else { return }
        await endPending(ids: ids, logger: logger)
    }

    /// Claims the handles of ended leases (`ids`, or any when nil) and ends each session on its platform. Returns
    /// how many it claimed.
    @discardableResult
    func endPending(ids: [String]? = nil, limit: Int = 100, logger: Logger) async -> Int {
        do {
            if ids == nil, try await !store.read(logger: logger, { try await $0.leases.hasPendingHandles() }) { return 0 }
            let claimed = try await store.write(logger: logger) { try await $0.leases.claimHandles(ids: ids, limit: limit) }
            for lease in claimed { await endOnPlatform(lease, logger: logger) }
            return claimed.count
        } catch {
            logger.warning("ended leases' sessions: trying again at the next sweep", metadata: ["error": "\(type(of: error))"])
            return 0
        }
    }

    private func endOnPlatform(_ lease: LeaseRecord, logger: Logger) async {
        guard let sealed = lease.handle, let kind = ConnectionKind(rawValue: lease.kind),
            let record = try? await store.read(logger: logger, { try await $0.connections.find(id: lease.connectionId) })
        else { return }
        do {
            let destination = try await secrets.destination(kind: kind, fields: record.fields, logger: logger)
            let binding = SecretBinding(
                connectionId: lease.id, field: "handle", credentialVersion: lease.credentialVersion,
                destination: destination.canonical)
            let handle = try await secrets.open(sealed, as: binding, logger: logger)
            await EgressPolicy.$current.withValue(egress) {
                await LeaseCredentials.end(kind: kind, fields: record.fields, handle: handle)
            }
        } catch {
            logger.warning("a lease's session could not be ended on its platform; it ends at the platform's own timeout",
                metadata: ["lease": "\(lease.id)"])
        }
    }
}
