import Foundation
import HitchAPI
import HitchDomain
import HitchServices
import HitchStorage

/// Jobs and assignments: the references that keep a connection from being deleted.
extension APIHandlers {
    package func getConnectionReferences(_ input: Operations.GetConnectionReferences.Input) async throws
        -> Operations.GetConnectionReferences.Output
    {
        let scope = try ConnectionReadScope.current()
        let record = try await scope.connection(named: input.path.name, in: runtime, logger: logger)
        let references = try await runtime.connections.references(to: record, logger: logger)
        let sharing = ConnectionAdvice.account(of: record) == nil ? [] : ConnectionAdvice.sharingAccount(
            with: record, among: try await runtime.connections.list(ConnectionFilter(kind: record.kind), logger: logger).filter(scope.mayRead))
        return .ok(.init(body: .json(.init(
            warnings: ConnectionAdvice.warnings(for: record, assignments: references.assignments, sharingAccount: sharing),
            connections: references.dependents.map(\.name),
            jobs: references.activeJobs.map(APIMapping.job),
            assignments: references.assignments.map { APIMapping.assignment($0, connection: record.name) },
            leases: references.activeLeases.map(APIMapping.lease)))))
    }

    package func listJobs(_ input: Operations.ListJobs.Input) async throws -> Operations.ListJobs.Output {
        let limit = input.query.limit ?? 100
        guard (1...1000).contains(limit) else { throw HitchError(.badRequest, "limit must be from 1 to 1000") }
        let scope = try ConnectionReadScope.current()
        if let name = input.query.connection, scope.isLimited, let record = try await runtime.connections.find(name: name, logger: logger) {
            try scope.require(record)
        }
        let jobs = try await runtime.jobs.list(
            connection: input.query.connection, state: input.query.state.flatMap { JobState(rawValue: $0.rawValue) },
            readable: try await scope.readableIds(in: runtime, logger: logger), limit: limit, logger: logger)
        return .ok(.init(body: .json(.init(jobs: jobs.map(APIMapping.job)))))
    }

    package func startJob(_ input: Operations.StartJob.Input) async throws -> Operations.StartJob.Output {
        guard case .json(let body) = input.body, let kind = JobKind(rawValue: body.kind.rawValue) else {
            throw HitchError(.badRequest, "expected a JSON body")
        }
        let job = try await runtime.jobs.register(
            connection: body.connection, kind: kind, ref: body.ref, by: RequestActor.current(), logger: logger)
        return .created(.init(body: .json(APIMapping.job(job))))
    }

    package func getJob(_ input: Operations.GetJob.Input) async throws -> Operations.GetJob.Output {
        let job = try await runtime.jobs.get(id: input.path.id, logger: logger)
        // A job of a connection the reader may not read is not found, as a lease of another consumer is.
        if let readable = try await ConnectionReadScope.current().readableIds(in: runtime, logger: logger), !readable.contains(job.connectionId) {
            throw HitchError(.notFound, "job '\(input.path.id)' not found")
        }
        return .ok(.init(body: .json(APIMapping.job(job))))
    }

    package func finishJob(_ input: Operations.FinishJob.Input) async throws -> Operations.FinishJob.Output {
        guard case .json(let body) = input.body, let state = JobState(rawValue: body.state.rawValue) else {
            throw HitchError(.badRequest, "expected a JSON body")
        }
        let actor = try RequestActor.current()
        let job = try await runtime.jobs.finish(id: input.path.id, state: state, by: actor, logger: logger)
        return .ok(.init(body: .json(APIMapping.job(job))))
    }

    package func listAssignments(_ input: Operations.ListAssignments.Input) async throws -> Operations.ListAssignments.Output {
        let scope = try ConnectionReadScope.current()
        if let name = input.query.connection { _ = try await scope.connection(named: name, in: runtime, logger: logger) }
        let readable = try await scope.readableIds(in: runtime, logger: logger)
        let assignments = try await runtime.assignments.list(connection: input.query.connection, logger: logger)
            .filter { readable?.contains($0.0.connectionId) ?? true }
        return .ok(.init(body: .json(.init(assignments: assignments.map { APIMapping.assignment($0.0, connection: $0.1) }))))
    }

    package func addAssignment(_ input: Operations.AddAssignment.Input) async throws -> Operations.AddAssignment.Output {
        guard case .json(let body) = input.body, let kind = AssignmentKind(rawValue: body.kind.rawValue) else {
            throw HitchError(.badRequest, "expected a JSON body")
        }
        let (assignment, warnings) = try await runtime.assignments.add(
            connection: body.connection, kind: kind, ref: body.ref, by: RequestActor.current(), logger: logger)
        var created = APIMapping.assignment(assignment, connection: body.connection)
        created.warnings = warnings.isEmpty ? nil : warnings
        return .created(.init(body: .json(created)))
    }

    package func removeAssignment(_ input: Operations.RemoveAssignment.Input) async throws -> Operations.RemoveAssignment.Output {
        try await runtime.assignments.remove(id: input.path.id, by: RequestActor.current(), logger: logger)
        return .noContent(.init())
    }
}

extension APIMapping {
    static func job(_ job: JobRecord) -> Components.Schemas.Job {
        .init(
            id: job.id, connection: job.connectionName, kind: .init(rawValue: job.kind.rawValue)!,
            state: .init(rawValue: job.state.rawValue)!, ref: job.ref, credentialVersion: job.credentialVersion,
            detail: job.detail, createdAt: job.createdAt, createdBy: job.createdBy, finishedAt: job.finishedAt,
            deadlineAt: job.deadlineAt)
    }

    static func assignment(_ assignment: AssignmentRecord, connection: String) -> Components.Schemas.Assignment {
        .init(
            id: assignment.id, connection: connection, kind: .init(rawValue: assignment.kind.rawValue)!, ref: assignment.ref,
            createdAt: assignment.createdAt, createdBy: assignment.createdBy)
    }
}
