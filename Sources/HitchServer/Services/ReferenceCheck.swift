import HitchDomain
import HitchStorage

/// Connections that name another connection (an AWS role's `via`): the target must exist and be of the right
/// kind, and a connection that others go through cannot be deleted from under them.
enum ReferenceCheck {
    static func requireTargets(of record: ConnectionRecord, in session: StoreSession) async throws {
        var problems: [String: String] = [:]
        for field in record.kind.schema.fields {
            guard case .connectionReference(let kind) = field.type, let target = record.fields[field.name]?.stringValue
            else { continue }
            guard let found = try await session.connections.find(name: target) else {
                problems[field.name] = "no connection named '\(target)'"
                continue
            }
            if found.kind != kind { problems[field.name] = "'\(target)' is a \(found.kind.rawValue) connection, not \(kind.rawValue)" }
        }
        if !problems.isEmpty { throw HitchError.validation(problems) }
    }

    static func requireNoDependents(of record: ConnectionRecord, in session: StoreSession) async throws {
        var dependents: [ConnectionRecord] = []
        for kind in ConnectionKind.allCases {
            let references = kind.schema.fields.filter { field in
                guard case .connectionReference(let target) = field.type else { return false }
                return target == record.kind
            }
            guard !references.isEmpty else { continue }
            dependents += try await session.connections.list(ConnectionFilter(kind: kind)).filter { other in
                references.contains { other.fields[$0.name]?.stringValue == record.name }
            }
        }
        guard dependents.isEmpty else {
            let names = dependents.map(\.name).joined(separator: ", ")
            throw HitchError(.conflict, "connection '\(record.name)' is in use: \(names) assume roles through it")
        }
    }
}
