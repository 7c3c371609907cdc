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
    /// The MAC of the last event: with `headSequence`, what an auditor keeps elsewhere to check later that the log
    /// was not cut back to an older state (a database restored whole from a backup is itself a valid log).
    public var headMac: String?
    public let failure: Failure?

    public var isIntact: Bool { failure == nil }

    init(verified: Int64, headSequence: Int64?, headMac: String? = nil, failure: Failure?) {
        self.verified = verified
        self.headSequence = headSequence
        self.headMac = headMac
        self.failure = failure
    }
}

/// A head an auditor kept from an earlier verify, `SEQUENCE:MAC`: the log must still hold that event with that MAC.
public struct ExpectedAuditHead: Sendable, Equatable {
    public let sequence: Int64
    public let mac: String

    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let sequence = Int64(parts[0]), sequence > 0, !parts[1].isEmpty,
            parts[1].allSatisfy({ $0.isHexDigit || $0.isLetter || $0.isNumber || "+/=".contains($0) })
        else { return nil }
        self.sequence = sequence
        self.mac = parts[1]
    }
}

/// Walks the log in sequence order and recomputes every MAC over the canonical text the database computes from
/// the stored columns. An edited, deleted, inserted or reordered event, a chain re-made with another key, or a
/// cut tail (the head names a later event) is reported at its sequence. Events appended while it runs are past
/// the head it read first, and are left for the next run. Pages are read whole, ahead of the one being checked.
public struct AuditVerifier: Sendable {
    let chain: AuditChain
    let pageSize: Int64
    static let pagesInFlight = 2

    public init(chain: AuditChain, pageSize: Int = 10_000) {
        self.chain = chain
        self.pageSize = Int64(pageSize)
    }

    /// With `expected`, the log must also still hold that event with that MAC: a log cut back to before it, or
    /// made anew, fails at its sequence.
    public func verify(store: Store, expecting expected: ExpectedAuditHead? = nil, logger: Logger) async throws -> AuditVerification {
        var result = try await verifyChain(store: store, logger: logger)
        guard result.isIntact, let expected, let headSequence = result.headSequence else { return result }
        if expected.sequence > headSequence {
            return AuditVerification(
                verified: result.verified, headSequence: headSequence, headMac: result.headMac,
                failure: .init(
                    sequence: expected.sequence,
                    reason: "the log ends at \(headSequence), before the head kept (\(expected.sequence)): it was cut back to an older state"))
        }
        let kept = try await store.read(logger: logger) { try await $0.audit.entries(after: expected.sequence - 1, limit: 1) }.first
        if kept?.sequence != expected.sequence || kept?.mac != expected.mac {
            result = AuditVerification(
                verified: result.verified, headSequence: headSequence, headMac: result.headMac,
                failure: .init(
                    sequence: expected.sequence,
                    reason: "event \(expected.sequence) is not the one kept: the log was replaced by another"))
        }
        return result
    }

    private func verifyChain(store: Store, logger: Logger) async throws -> AuditVerification {
        guard let head = try await store.read(logger: logger, { try await $0.audit.head() }) else {
            return AuditVerification(
                verified: 0, headSequence: nil,
                failure: .init(sequence: 1, reason: "the head record is missing: the log was removed or never started"))
        }
        func failed(_ failure: AuditVerification.Failure) -> AuditVerification {
            AuditVerification(verified: failure.sequence - 1, headSequence: head.sequence, failure: failure)
        }
        let pageSize = pageSize
        func fetch(after sequence: Int64) -> Task<String?, any Error> {
            let last = min(sequence + pageSize, head.sequence)
            return Task { try await store.read(logger: logger) { try await $0.audit.canonicalPage(after: sequence, through: last) } }
        }
        var walk = ChainWalk(chain: chain)
        // Two pages in flight: the database builds them on its reader threads while this task checks the oldest.
        var pending: [Task<String?, any Error>] = []
        var requested: Int64 = 0
        func requestMore() {
            while pending.count < Self.pagesInFlight, requested < head.sequence {
                pending.append(fetch(after: requested))
                requested = min(requested + pageSize, head.sequence)
            }
        }
        requestMore()
        while !pending.isEmpty {
            let page = try await pending.removeFirst().value
            requestMore()
            if let page, let failure = walk.check(page) {
                pending.forEach { $0.cancel() }
                return failed(failure)
            }
        }
        if walk.expected <= head.sequence {
            return failed(.init(
                sequence: walk.expected,
                reason: (walk.expected == head.sequence ? "event \(head.sequence) is" : "events \(walk.expected) to \(head.sequence) are")
                    + " missing: the head records \(head.sequence)"))
        }
        guard walk.previousMac == Array(head.mac.utf8),
            chain.headMac(sequence: head.sequence, mac: head.mac, keyVersion: head.keyVersion) == head.headMac
        else {
            return failed(.init(sequence: head.sequence, reason: "the head record does not match the log"))
        }
        // An event past the head that no append accounts for was inserted. Appends move the head in the same
        // transaction as their events, so one read sees both or neither.
        let (latestHead, lastSequence) = try await store.read(logger: logger) { session in
            (try await session.audit.head(), try await session.audit.lastSequence())
        }
        if let latestHead, let lastSequence, lastSequence > latestHead.sequence {
            return failed(.init(
                sequence: latestHead.sequence + 1, reason: "event \(latestHead.sequence + 1) is past the head record: it was inserted"))
        }
        return AuditVerification(verified: head.sequence, headSequence: head.sequence, headMac: head.mac, failure: nil)
    }
}

/// The walk along the chain, page after page: the next sequence expected and the MAC it must follow.
struct ChainWalk {
    let chain: AuditChain
    var expected: Int64 = 1
    var previousMac: [UInt8] = Array(AuditChain.genesis.utf8)

    /// A record checked, with its MAC (which the next record follows), or why it does not check.
    private enum RecordCheck {
        case checked(UnsafeRawBufferPointer)
        case failed(AuditVerification.Failure)
    }

    private static let fieldSeparator: UInt8 = 0x1F
    private static let recordSeparator: UInt8 = 0x1E

    /// Checks each event of a page (`SQLAuditRepository.canonicalPage`) in place; the first failure, or nil.
    mutating func check(_ page: String) -> AuditVerification.Failure? {
        var page = page
        return page.withUTF8 { bytes in
            let all = UnsafeRawBufferPointer(bytes)
            var start = 0
            var previous = UnsafeRawBufferPointer(start: nil, count: 0)
            var failure: AuditVerification.Failure?
            let carried = previousMac
            carried.withUnsafeBytes { carriedMac in
                previous = carriedMac
                while start <= all.count, failure == nil {
                    let end = Self.index(of: Self.recordSeparator, in: all, from: start) ?? all.count
                    let record = UnsafeRawBufferPointer(rebasing: all[start..<end])
                    switch checkRecord(record, after: previous) {
                    case .failed(let found): failure = found
                    case .checked(let mac): previous = mac
                    }
                    start = end + 1
                }
                if failure == nil { previousMac = Array(previous) }
            }
            return failure
        }
    }

    /// The record's MAC, which the next record follows, or why the record does not check.
    private mutating func checkRecord(
        _ record: UnsafeRawBufferPointer, after previous: UnsafeRawBufferPointer
    ) -> RecordCheck {
        guard let macEnd = Self.index(of: Self.fieldSeparator, in: record, from: 0),
            let sequenceEnd = Self.index(of: Self.fieldSeparator, in: record, from: macEnd + 1),
            let versionStart = record.lastIndex(of: Self.fieldSeparator)
        else { return .failed(.init(sequence: expected, reason: "event \(expected) is malformed")) }
        let sequence = Self.number(UnsafeRawBufferPointer(rebasing: record[(macEnd + 1)..<sequenceEnd]))
        if sequence != expected { return .failed(.init(sequence: expected, reason: "event \(expected) is missing")) }
        let keyVersion = Self.number(UnsafeRawBufferPointer(rebasing: record[(versionStart + 1)...]))
        let matches = chain.matches(
            UnsafeRawBufferPointer(rebasing: record[..<macEnd]),
            canonical: UnsafeRawBufferPointer(rebasing: record[(macEnd + 1)...]), keyVersion: Int(keyVersion ?? -1),
            after: previous)
        switch matches {
        case nil:
            return .failed(.init(sequence: expected, reason: "no master key of version \(keyVersion ?? -1) is loaded"))
        case false?:
            return .failed(.init(
                sequence: expected,
                reason: "event \(expected) does not match its MAC: it was edited, inserted, reordered or chained with another key"))
        case true?:
            expected += 1
            return .checked(UnsafeRawBufferPointer(rebasing: record[..<macEnd]))
        }
    }

    /// Where `byte` next occurs from `start` on, through `memchr`: a page is scanned byte by byte for its separators.
    private static func index(of byte: UInt8, in buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < buffer.count, let base = buffer.baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(byte), buffer.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// A decimal number, or nil for anything else.
    private static func number(_ digits: UnsafeRawBufferPointer) -> Int64? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
