import Foundation
import HitchStorage

/// Appends events to the chain inside the caller's transaction, so an event commits with the change it describes
/// or not at all (S4). An append stages the events; the transaction appends them as its last statements before
/// COMMIT, sealed by this log (`seal(_:after:)`) after the head read under the append lock, which keeps appends
/// serialized and gap-free across servers.
public struct AuditLog: AuditSealer {
    public let chain: AuditChain
    let clock: @Sendable () -> Date

    static let maximumDetailLength = 500

    public init(chain: AuditChain, clock: @escaping @Sendable () -> Date) {
        self.chain = chain
        self.clock = clock
    }

    public func append(_ event: AuditEvent, in session: StoreSession) async throws {
        try await append([event], in: session)
    }

    public func append(_ events: [AuditEvent], in session: StoreSession) async throws {
        guard !events.isEmpty else { return }
        try session.stageAudit(
            events.map { Self.entry(for: $0, sequence: 0, at: 0, keyVersion: chain.currentVersion) }, sealedBy: self)
    }

    /// Numbers the staged entries after `head`, at this moment, under the current audit key, and chains their MACs.
    public func seal(_ staged: [AuditEntry], after head: AuditHead?) -> (entries: [AuditEntry], head: AuditHead) {
        var sequence = head?.sequence ?? 0
        var previousMac = head?.mac ?? AuditChain.genesis
        let now = Timestamp.milliseconds(clock())
        var entries: [AuditEntry] = []
        entries.reserveCapacity(staged.count)
        for var entry in staged {
            sequence += 1
            entry.sequence = sequence
            entry.recordedAt = now
            entry.keyVersion = chain.currentVersion
            entry.mac = chain.mac(of: entry, after: previousMac)!
            previousMac = entry.mac
            entries.append(entry)
        }
        let newHead = AuditHead(
            sequence: sequence, mac: previousMac, keyVersion: chain.currentVersion,
            headMac: chain.headMac(sequence: sequence, mac: previousMac, keyVersion: chain.currentVersion)!)
        return (entries, newHead)
    }

    /// The stored form: every text storable, empty optional texts absent, field names non-empty and without the
    /// comma that joins them.
    static func entry(for event: AuditEvent, sequence: Int64, at time: Int64, keyVersion: Int) -> AuditEntry {
        let text = AuditCanonicalForm.storable(_:)
        let optional = AuditCanonicalForm.storable(optional:)
        return AuditEntry(
            sequence: sequence, recordedAt: time, actorId: text(event.actor.id), actorName: text(event.actor.name),
            actorKind: text(event.actor.kind), tokenName: optional(event.actor.tokenName),
            clientAddress: optional(event.origin.clientAddress), requestId: optional(event.origin.requestId),
            action: text(event.action), targetKind: optional(event.target?.kind), targetName: optional(event.target?.name),
            targetId: optional(event.target?.id), outcome: event.outcome.name, failureCode: optional(event.outcome.failureCode),
            changedFields: event.changedFields.filter { !$0.isEmpty }.map { text($0).replacingOccurrences(of: ",", with: "_") },
            detail: optional(event.detail.map { String($0.prefix(maximumDetailLength)) }), keyVersion: keyVersion, mac: "")
    }
}
