import HitchDomain
import HitchStorage

/// What a connection refers to and what refers to it. Every reference that would dangle blocks a delete (S7).
package enum ReferenceCheck {
    /// The connections a record names (an assume-role's `via`) exist and are of the right kind.
    static func requireTargets(of record: ConnectionRecord, in session: StoreSession) async throws {
        var problems: [String: String] = [:]
        for field in record.kind.schema.fields {
            guard case .connectionReference(let kind) = field.type, let target = record.fields[field.name]?.stringValue
            else { continue }
            // Shared-locked until the reference commits, so a delete of the target waits and then sees it.
            guard let found = try await session.connections.find(name: target, lock: .share) else {
                problems[field.name] = "no connection named '\(target)'"
                continue
            }
            if found.kind != kind { problems[field.name] = "'\(target)' is a \(found.kind.rawValue) connection, not \(kind.rawValue)" }
        }
        if !problems.isEmpty { throw HitchError.validation(problems) }
    }

    /// Everything that uses a connection now: connections that go through it, its queued and running jobs, and
    /// its assignments.
    package struct References: Sendable {
        package var dependents: [ConnectionRecord] = []
        package var activeJobs: [JobRecord] = []
        package var assignments: [AssignmentRecord] = []
        package var activeLeases: [LeaseRecord] = []

        var isEmpty: Bool { dependents.isEmpty && activeJobs.isEmpty && assignments.isEmpty && activeLeases.isEmpty }

        /// One line per reference, for a refusal and for `connection show`.
        var descriptions: [String] {
            dependents.map { "connection \($0.name) (\($0.kind.rawValue)) goes through it" }
                + activeJobs.map { "job \($0.id) (\($0.kind.rawValue), \($0.state.rawValue)\($0.ref.map { ", ref \($0)" } ?? ""))" }
                + assignments.map { "assignment \($0.kind.rawValue) '\($0.ref)'" }
                + activeLeases.map { "lease \($0.id) (\($0.consumerName), until \(Timestamps.text($0.expiresAt)))" }
        }
    }

    static func references(to record: ConnectionRecord, in session: StoreSession) async throws -> References {
        var references = References()
        for kind in ConnectionKind.allCases {
            let fields = kind.schema.fields.filter { field in
                guard case .connectionReference(let target) = field.type else { return false }
                return target == record.kind
            }
            guard !fields.isEmpty else { continue }
            references.dependents += try await session.connections.list(ConnectionFilter(kind: kind)).filter { other in
                fields.contains { other.fields[$0.name]?.stringValue == record.name }
            }
        }
        references.activeJobs = try await session.jobs.active(connectionId: record.id)
        references.assignments = try await session.assignments.list(connectionId: record.id)
        references.activeLeases = try await session.leases.list(LeaseFilter(connectionId: record.id, activeOnly: true), limit: 100)
        return references
    }

    /// Refuses (409) with every blocker listed while anything uses the connection.
    static func requireUnused(_ record: ConnectionRecord, in session: StoreSession) async throws {
        let references = try await references(to: record, in: session)
        guard references.isEmpty else {
            throw HitchError(
                .conflict, "connection '\(record.name)' is in use; remove what uses it first",
                blockers: references.descriptions)
        }
    }
}
