import Foundation
import HitchAudit
import HitchDomain
import HitchStorage
import Logging

/// Reading, exporting and verifying the audit log.
package struct AuditService: Sendable {
    let store: Store
    let audit: AuditLog

    static let defaultPageSize = 100
    static let maximumPageSize = 1_000
    package static let exportPageSize = 1_000

    package func list(_ filter: AuditFilter, before: Int64?, limit: Int?, logger: Logger) async throws -> (events: [AuditEntry], next: Int64?) {
        let limit = limit ?? Self.defaultPageSize
        guard (1...Self.maximumPageSize).contains(limit) else {
            throw HitchError(.badRequest, "limit must be from 1 to \(Self.maximumPageSize)")
        }
        let events = try await store.read(logger: logger) { try await $0.audit.list(filter, before: before, limit: limit) }
        return (events, events.count == limit ? events.last?.sequence : nil)
    }

    /// The events after a sequence number, oldest first: an export's next page.
    package func entries(after sequence: Int64, limit: Int, logger: Logger) async throws -> [AuditEntry] {
        try await store.read(logger: logger) { try await $0.audit.entries(after: sequence, limit: limit) }
    }

    /// Records events that no change carries, such as a refused request, in a transaction of their own.
    package func record(_ events: [AuditEvent], logger: Logger) async throws {
        try await store.write(logger: logger) { [audit] session in try await audit.append(events, in: session) }
    }

    package func verify(expecting expected: ExpectedAuditHead? = nil, logger: Logger) async throws -> AuditVerification {
        try await AuditVerifier(chain: audit.chain).verify(store: store, expecting: expected, logger: logger)
    }
}
