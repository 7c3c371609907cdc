import Foundation
import HitchAPI
import HitchServices
import HitchStorage
import Logging
import OpenAPIRuntime

/// The audit log as JSON lines, read a page at a time as the client takes them, so an export of millions of
/// events holds one page in memory.
struct AuditExportLines: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>

    let service: AuditService
    let logger: Logger

    struct AsyncIterator: AsyncIteratorProtocol {
        let service: AuditService
        let logger: Logger
        var after: Int64 = 0
        var finished = false
        let encoder = JSONLines.encoder()

        mutating func next() async throws -> ArraySlice<UInt8>? {
            guard !finished else { return nil }
            let after = self.after
            let page = try await service.entries(after: after, limit: AuditService.exportPageSize, logger: logger)
            guard let last = page.last else {
                finished = true
                return nil
            }
            self.after = last.sequence
            var bytes: [UInt8] = []
            for entry in page {
                bytes.append(contentsOf: try encoder.encode(APIMapping.auditEvent(entry)))
                bytes.append(UInt8(ascii: "\n"))
            }
            return bytes[...]
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(service: service, logger: logger) }
}
