import Foundation
import HitchDomain
import SQLKit

struct SQLJobRepository: JobRepository {
    let database: any SQLDatabase

    func insert(_ job: JobRecord) async throws {
        try await RowInsert(into: "jobs", row: JobRow(job)).run(on: database)
    }

    func find(id: String) async throws -> JobRecord? {
        try await database.select().column(JobRow.columnList).from("jobs").where("id", .equal, id)
            .first(decoding: JobRow.self, with: .snakeCase)?.record()
    }

    func list(_ filter: JobFilter, limit: Int) async throws -> [JobRecord] {
        let query = database.select().column(JobRow.columnList).from("jobs")
        if let connectionId = filter.connectionId { query.where("connection_id", .equal, connectionId) }
        if let connectionName = filter.connectionName { query.where("connection_name", .equal, connectionName) }
        if let state = filter.state { query.where("state", .equal, state.rawValue) }
        if let ids = filter.connectionIds {
            guard !ids.isEmpty else { return [] }
            query.where("connection_id", .in, ids.sorted())
        }
        return try await query.orderBy("created_at", .descending).orderBy("id").limit(limit)
            .all(decoding: JobRow.self, with: .snakeCase).map { try $0.record() }
    }

    func active(connectionId: String) async throws -> [JobRecord] {
        // Plain SQL rather than a builder: every rotation reads this inside SQLite's one writer.
        let query: SQLQueryString = """
            SELECT \(JobRow.columnList) FROM jobs WHERE connection_id = \(bind: connectionId) \
            AND state IN (\(binds: Self.activeStates)) ORDER BY created_at, id
            """
        return try await database.raw(query).all(decoding: JobRow.self, with: .snakeCase).map { try $0.record() }
    }

    private static let activeStates: [any Encodable & Sendable] = JobState.allCases.filter(\.isActive).map(\.rawValue)

    func update(_ job: JobRecord, from states: [JobState]) async throws -> Bool {
        let updated = try await database.update("jobs")
            .set("state", to: job.state.rawValue).set("detail", to: job.detail)
            .set("finished_at", to: job.finishedAt.map(Timestamp.milliseconds))
            .where("id", .equal, job.id).where("state", .in, states.map(\.rawValue))
            .returning("id").all()
        return !updated.isEmpty
    }

    func saveProgress(jobId: String, detail: String) async throws -> Bool {
        let updated = try await database.update("jobs").set("detail", to: detail)
            .where("id", .equal, jobId).where("state", .equal, JobState.running.rawValue)
            .returning("id").all()
        return !updated.isEmpty
    }

    func overdue(at date: Date) async throws -> [JobRecord] {
        try await database.select().column(JobRow.columnList).from("jobs")
            .where("state", .in, JobState.allCases.filter(\.isActive).map(\.rawValue))
            .where("deadline_at", .lessThan, Timestamp.milliseconds(date))
            .orderBy("created_at").orderBy("id")
            .all(decoding: JobRow.self, with: .snakeCase).map { try $0.record() }
    }

    func counts() async throws -> [JobCount] {
        try await database.raw("SELECT kind, state, COUNT(*) AS jobs FROM jobs GROUP BY kind, state ORDER BY kind, state")
            .all().map {
                JobCount(
                    kind: try $0.decode(column: "kind", as: String.self), state: try $0.decode(column: "state", as: String.self),
                    count: try $0.decode(column: "jobs", as: Int.self))
            }
    }
}

struct SQLAssignmentRepository: AssignmentRepository {
    let database: any SQLDatabase

    func insert(_ assignment: AssignmentRecord) async throws {
        try await RowInsert(into: "assignments", row: AssignmentRow(assignment)).run(on: database)
    }

    func find(id: String) async throws -> AssignmentRecord? {
        try await database.select().column(AssignmentRow.columnList).from("assignments").where("id", .equal, id)
            .first(decoding: AssignmentRow.self, with: .snakeCase)?.record()
    }

    func list(connectionId: String?) async throws -> [AssignmentRecord] {
        let query = database.select().column(AssignmentRow.columnList).from("assignments")
        if let connectionId { query.where("connection_id", .equal, connectionId) }
        return try await query.orderBy("created_at").orderBy("id")
            .all(decoding: AssignmentRow.self, with: .snakeCase).map { try $0.record() }
    }

    func delete(id: String) async throws -> Bool {
        !(try await database.delete(from: "assignments").where("id", .equal, id).returning("id").all()).isEmpty
    }
}

struct JobRow: Codable {
    static let columns = [
        "id", "connection_id", "connection_name", "kind", "state", "ref", "credential_version", "detail", "created_at",
        "created_by", "finished_at", "deadline_at",
    ]
    static let columnList = ColumnNames.list(columns)
    var id: String
    var connectionId: String
    var connectionName: String
    var kind: String
    var state: String
    var ref: String?
    var credentialVersion: Int
    var detail: String?
    var createdAt: Int64
    var createdBy: String
    var finishedAt: Int64?
    var deadlineAt: Int64?

    init(_ job: JobRecord) {
        id = job.id
        connectionId = job.connectionId
        connectionName = job.connectionName
        kind = job.kind.rawValue
        state = job.state.rawValue
        ref = job.ref
        credentialVersion = job.credentialVersion
        detail = job.detail
        createdAt = Timestamp.milliseconds(job.createdAt)
        createdBy = job.createdBy
        finishedAt = job.finishedAt.map(Timestamp.milliseconds)
        deadlineAt = job.deadlineAt.map(Timestamp.milliseconds)
    }

    func record() throws -> JobRecord {
        guard let kind = JobKind(rawValue: kind), let state = JobState(rawValue: state) else {
            throw StorageError.corrupt("job \(id) has an unknown kind or state")
        }
        return JobRecord(
            id: id, connectionId: connectionId, connectionName: connectionName, kind: kind, state: state, ref: ref,
            credentialVersion: credentialVersion, detail: detail, createdAt: Timestamp.date(createdAt), createdBy: createdBy,
            finishedAt: finishedAt.map(Timestamp.date), deadlineAt: deadlineAt.map(Timestamp.date))
    }
}

struct AssignmentRow: Codable {
    static let columns = ["id", "connection_id", "kind", "ref", "created_at", "created_by"]
    static let columnList = ColumnNames.list(columns)
    var id: String
    var connectionId: String
    var kind: String
    var ref: String
    var createdAt: Int64
    var createdBy: String

    init(_ assignment: AssignmentRecord) {
        id = assignment.id
        connectionId = assignment.connectionId
        kind = assignment.kind.rawValue
        ref = assignment.ref
        createdAt = Timestamp.milliseconds(assignment.createdAt)
        createdBy = assignment.createdBy
    }

    func record() throws -> AssignmentRecord {
        guard let kind = AssignmentKind(rawValue: kind) else { throw StorageError.corrupt("assignment \(id) has an unknown kind") }
        return AssignmentRecord(
            id: id, connectionId: connectionId, kind: kind, ref: ref, createdAt: Timestamp.date(createdAt), createdBy: createdBy)
    }
}
