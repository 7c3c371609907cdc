import Foundation
import HitchAudit
import HitchDomain
import HitchStorage
import Logging

/// Images and scripted actions that use a connection. A connection with an assignment cannot be deleted.
package struct AssignmentService: Sendable {
    let store: Store
    let audit: AuditLog
    let clock: @Sendable () -> Date

    /// Adds the assignment; the warning says when the connection now serves both images and scripted actions.
    package func add(
        connection name: String, kind: AssignmentKind, ref: String, by actor: RequestActor, logger: Logger
    ) async throws -> (AssignmentRecord, warnings: [String]) {
        guard !ref.isEmpty, ref.count <= 200 else { throw HitchError.validation(["ref": "must be 1 to 200 characters"]) }
        do {
            return try await store.write(logger: logger) { [audit, clock] session in
                guard let connection = try await session.connections.find(name: name, lock: .share) else {
                    throw HitchError.connectionNotFound(name)
                }
                guard connection.kind.serves(kind) else {
                    throw HitchError.validation([
                        "kind": "a \(connection.kind.rawValue) connection cannot serve \(kind.rawValue) assignments; "
                            + "an API key only enrolls agents"
                    ])
                }
                let assignment = AssignmentRecord(
                    id: UUID().uuidString.lowercased(), connectionId: connection.id, kind: kind, ref: ref, createdAt: clock(),
                    createdBy: actor.principal.name)
                let existing = try await session.assignments.list(connectionId: connection.id)
                try await session.assignments.insert(assignment)
                try await audit.append(
                    actor.event("assignment.add", target: ConnectionService.target(connection), detail: "\(kind.rawValue) '\(ref)'"),
                    in: session)
                let both = ConnectionAdvice.bothUses(Set(existing.map(\.kind) + [kind])).map { "connection '\(name)': \($0)" }
                return (assignment, [both].compactMap { $0 })
            }
        } catch let error as StorageError where error.code == .duplicate {
            throw HitchError(.conflict, "\(kind.rawValue) '\(ref)' is already assigned to connection '\(name)'")
        }
    }

    package func remove(id: String, by actor: RequestActor, logger: Logger) async throws {
        try await store.write(logger: logger) { [audit] session in
            guard let assignment = try await session.assignments.find(id: id) else {
                throw HitchError(.notFound, "assignment '\(id)' not found")
            }
            _ = try await session.assignments.delete(id: id)
            let connection = try await session.connections.find(id: assignment.connectionId)
            try await audit.append(
                actor.event(
                    "assignment.remove",
                    target: AuditTarget(kind: "connection", name: connection?.name ?? assignment.connectionId, id: assignment.connectionId),
                    detail: "\(assignment.kind.rawValue) '\(assignment.ref)'"),
                in: session)
        }
    }

    /// With the name of each one's connection.
    package func list(connection name: String?, logger: Logger) async throws -> [(AssignmentRecord, String)] {
        try await store.read(logger: logger) { session in
            if let name {
                guard let connection = try await session.connections.find(name: name) else { throw HitchError.connectionNotFound(name) }
                return try await session.assignments.list(connectionId: connection.id).map { ($0, connection.name) }
            }
            // Every assignment is listed: one query for the names of all connections beats one per connection.
            let assignments = try await session.assignments.list(connectionId: nil)
            let names = Dictionary(uniqueKeysWithValues: try await session.connections.list(ConnectionFilter()).map { ($0.id, $0.name) })
            return assignments.map { ($0, names[$0.connectionId] ?? "") }
        }
    }
}
