import Foundation
import HitchStorage
import Logging

/// The result of checking the whole chain against the head record.
public struct AuditVerification: Sendable, Equatable {
    public struct Failure: Sendable, Equatable {
        /// The first sequence at which the log is not what Hitch wrote.
        public let sequence: Int64
        public let reason: String
    }

    /// Events whose MAC checked, in order, before any failure.
    public let verified: Int64
    public let headSequence: Int64?
    public let failure: Failure?

    public var isIntact: Bool { failure == nil }
}

/// Walks the log in sequence order and recomputes every MAC over the canonical text the database computes from
/// the stored columns. An edited, deleted, inserted or reordered event, a chain re-made with another key, or a
/// cut tail (the head names a later event) is reported at its sequence. Events appended while it runs are past
/// the head it read first, and are left for the next run. The next page is read while this one is checked.
public struct AuditVerifier: Sendable {
    let chain: AuditChain
    let pageSize: Int

    public init(chain: AuditChain, pageSize: Int = 20_000) {
        self.chain = chain
        self.pageSize = pageSize
    }

    public func verify(store: Store, logger: Logger) async throws -> AuditVerification {
        guard let head = try await store.read(logger: logger, { try await $0.audit.head() }) else {
            return AuditVerification(
                verified: 0, headSequence: nil,
                failure: .init(sequence: 1, reason: "the head record is missing: the log was removed or never started"))
        }
        func failed(_ sequence: Int64, _ reason: String) -> AuditVerification {
            AuditVerification(verified: sequence - 1, headSequence: head.sequence, failure: .init(sequence: sequence, reason: reason))
        }
        let pageSize = pageSize
        func fetch(after sequence: Int64) -> Task<[AuditCanonicalRow], any Error> {
            Task { try await store.read(logger: logger) { try await $0.audit.canonicalEntries(after: sequence, limit: pageSize) } }
        }
        var expected: Int64 = 1
        var previousMac = AuditChain.genesis
        var pending: Task<[AuditCanonicalRow], any Error>? = fetch(after: 0)
        while let current = pending {
            let page = try await current.value
            pending = page.count == pageSize && (page.last?.sequence ?? .max) < head.sequence
                ? fetch(after: page.last!.sequence) : nil
            for row in page where row.sequence <= head.sequence {
                if row.sequence != expected {
                    pending?.cancel()
                    return failed(expected, "event \(expected) is missing")
                }
                guard let mac = chain.mac(canonical: row.canonical, keyVersion: row.keyVersion, after: previousMac) else {
                    pending?.cancel()
                    return failed(expected, "no master key of version \(row.keyVersion) is loaded")
                }
                if mac != row.mac {
                    pending?.cancel()
                    return failed(
                        expected,
                        "event \(expected) does not match its MAC: it was edited, inserted, reordered or chained with another key")
                }
                previousMac = row.mac
                expected += 1
            }
        }
        if expected <= head.sequence {
            return failed(expected, "events \(expected) to \(head.sequence) are missing: the head records \(head.sequence)")
        }
        guard previousMac == head.mac,
            chain.headMac(sequence: head.sequence, mac: head.mac, keyVersion: head.keyVersion) == head.headMac
        else {
            return failed(head.sequence, "the head record does not match the log")
        }
        // An event past the head that no append accounts for was inserted. Appends move the head in the same
        // transaction as their events, so one read sees both or neither.
        let (latestHead, lastSequence) = try await store.read(logger: logger) { session in
            (try await session.audit.head(), try await session.audit.lastSequence())
        }
        if let latestHead, let lastSequence, lastSequence > latestHead.sequence {
            return failed(latestHead.sequence + 1, "event \(latestHead.sequence + 1) is past the head record: it was inserted")
        }
        return AuditVerification(verified: head.sequence, headSequence: head.sequence, failure: nil)
    }
}
