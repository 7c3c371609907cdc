import HitchDomain
import HitchServices
import HitchStorage
import Logging

/// What a reader limited to tags (a consumer made with `--allow-tag`) may read: the connections carrying one of its
/// tags, and their versions, references, jobs, assignments, inventory and preflight, through every route. Another
/// connection is 403 to it by name, and left out of every list. Readers without a limit read everything.
struct ConnectionReadScope {
    let principal: Principal

    static func current() throws -> ConnectionReadScope { ConnectionReadScope(principal: try Principal.required()) }

    var isLimited: Bool { principal.allowedTags != nil }

    func mayRead(_ record: ConnectionRecord) -> Bool { LeaseScope.mayRead(record, principal: principal) }

    func require(_ record: ConnectionRecord) throws {
        guard mayRead(record) else {
            throw HitchError(.forbidden, "\(principal.name) may read connections tagged \((principal.allowedTags ?? []).joined(separator: ", ")) only")
        }
    }

    /// The connection named, once the reader may read it.
    func connection(named name: String, in runtime: HitchRuntime, logger: Logger) async throws -> ConnectionRecord {
        let record = try await runtime.connections.get(name: name, logger: logger)
        try require(record)
        return record
    }

    /// The ids of the connections the reader may read; nil when it may read all.
    func readableIds(in runtime: HitchRuntime, logger: Logger) async throws -> Set<String>? {
        guard isLimited else { return nil }
        return Set(try await runtime.connections.list(ConnectionFilter(), logger: logger).filter(mayRead).map(\.id))
    }
}
