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

/// Walks the log in sequence order and recomputes every MAC. An edited, deleted, inserted or reordered event, a
/// chain re-made with another key, or a cut tail (the head names a later event) is reported at its sequence.
/// Events appended while it runs are past the head it read first, and are left for the next run.
public struct AuditVerifier: Sendable {
    let chain: AuditChain
    let pageSize: Int

    public init(chain: AuditChain, pageSize: Int = 10_000) {
        self.chain = chain
        self.pageSize = pageSize
    }

    public func verify(store: Store, logger: Logger) async throws -> AuditVerification {
        guard let head = try await store.read(logger: logger, { try await $0.audit.head() }) else {
            return AuditVerification(
                verified: 0, headSequence: nil,
                failure: .init(sequence: 1, reason: "the head record is missing: the log was removed or never started"))
        }
        func failed(_ sequence: Int64, _ reason: String, verified: Int64) -> AuditVerification {
            AuditVerification(verified: verified, headSequence: head.sequence, failure: .init(sequence: sequence, reason: reason))
        }
        var expected: Int64 = 1
        var previousMac = AuditChain.genesis
        while expected <= head.sequence {
            let after = expected - 1
            let page = try await store.read(logger: logger) { try await $0.audit.entries(after: after, limit: pageSize) }
            if page.isEmpty { break }
            if let failure = check(page, from: expected, previousMac: previousMac, upTo: head.sequence) {
                return failed(failure.sequence, failure.reason, verified: failure.sequence - 1)
            }
            let last = page.last(where: { $0.sequence <= head.sequence }) ?? page[0]
            expected = last.sequence + 1
            previousMac = last.mac
            if page.count < pageSize { break }
        }
        let verified = expected - 1
        if verified < head.sequence {
            return failed(
                expected, "events \(expected) to \(head.sequence) are missing: the head records \(head.sequence)",
                verified: verified)
        }
        guard previousMac == head.mac,
            chain.headMac(sequence: head.sequence, mac: head.mac, keyVersion: head.keyVersion) == head.headMac
        else {
            return failed(head.sequence, "the head record does not match the log", verified: verified - 1)
        }
        // An event past the head that no append accounts for was inserted. Appends move the head in the same
        // transaction as their events, so one read sees both or neither.
        let (latestHead, lastSequence) = try await store.read(logger: logger) { session in
            (try await session.audit.head(), try await session.audit.lastSequence())
        }
        if let latestHead, let lastSequence, lastSequence > latestHead.sequence {
            return failed(
                latestHead.sequence + 1, "event \(latestHead.sequence + 1) is past the head record: it was inserted",
                verified: verified)
        }
        return AuditVerification(verified: verified, headSequence: head.sequence, failure: nil)
    }

    /// The first failure in one page of consecutive events, or nil.
    private func check(
        _ page: [AuditEntry], from first: Int64, previousMac: String, upTo last: Int64
    ) -> AuditVerification.Failure? {
        var expected = first
        var previousMac = previousMac
        for entry in page where entry.sequence <= last {
            if entry.sequence != expected {
                return .init(sequence: expected, reason: "event \(expected) is missing")
            }
            guard let mac = chain.mac(of: entry, after: previousMac) else {
                return .init(sequence: expected, reason: "no master key of version \(entry.keyVersion) is loaded")
            }
            if mac != entry.mac {
                return .init(
                    sequence: expected,
                    reason: "event \(expected) does not match its MAC: it was edited, inserted, reordered or chained with another key")
            }
            previousMac = entry.mac
            expected += 1
        }
        return nil
    }
}
