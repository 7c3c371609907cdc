import Foundation
import HitchAudit
import HitchDomain
import HitchStorage
import Logging

/// Reading, exporting and verifying the audit log.
struct AuditService: Sendable {
    let store: Store
    let chain: AuditChain

    static let defaultPageSize = 100
    static let maximumPageSize = 1_000
    static let exportPageSize = 1_000

    func list(_ filter: AuditFilter, before: Int64?, limit: Int?, logger: Logger) async throws -> (events: [AuditEntry], next: Int64?) {
        let limit = limit ?? Self.defaultPageSize
        guard (1...Self.maximumPageSize).contains(limit) else {
            throw HitchError(.badRequest, "limit must be from 1 to \(Self.maximumPageSize)")
        }
        let events = try await store.read(logger: logger) { try await $0.audit.list(filter, before: before, limit: limit) }
        return (events, events.count == limit ? events.last?.sequence : nil)
    }

    func verify(expecting expected: ExpectedAuditHead? = nil, logger: Logger) async throws -> AuditVerification {
        try await AuditVerifier(chain: chain).verify(store: store, expecting: expected, logger: logger)
    }
}
