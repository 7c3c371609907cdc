import Foundation
import HitchDomain

/// A job on a connection: run by Hitch (discovery, preflight) or registered by an external engine (migration).
public struct JobRecord: Sendable, Equatable {
    public var id: String
    public var connectionId: String
    /// The connection's name when the job started; the job outlives a later rename or delete.
    public var connectionName: String
    public var kind: JobKind
    public var state: JobState
    /// The engine's own reference (a migration plan), if any.
    public var ref: String?
    /// The credential version the job reads with.
    public var credentialVersion: Int
    /// Why it ended as it did (`credential rotated: re-run discovery`), or its progress while it runs.
    public var detail: String?
    public var createdAt: Date
    public var createdBy: String
    public var finishedAt: Date?
    /// A Hitch-run job ends by then (its timeout); one still running later was abandoned by a stopped server.
    public var deadlineAt: Date?

    public init(
        id: String, connectionId: String, connectionName: String, kind: JobKind, state: JobState, ref: String?,
        credentialVersion: Int, detail: String? = nil, createdAt: Date, createdBy: String, finishedAt: Date? = nil,
        deadlineAt: Date? = nil
    ) {
        self.id = id
        self.connectionId = connectionId
        self.connectionName = connectionName
        self.kind = kind
        self.state = state
        self.ref = ref
        self.credentialVersion = credentialVersion
        self.detail = detail
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.finishedAt = finishedAt
        self.deadlineAt = deadlineAt
    }
}

/// A connection assigned to an image or a scripted action by its reference there.
public struct AssignmentRecord: Sendable, Equatable {
    public var id: String
    public var connectionId: String
    public var kind: AssignmentKind
    public var ref: String
    public var createdAt: Date
    public var createdBy: String

    public init(id: String, connectionId: String, kind: AssignmentKind, ref: String, createdAt: Date, createdBy: String) {
        self.id = id
        self.connectionId = connectionId
        self.kind = kind
        self.ref = ref
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}

/// Which jobs to list: a connection's (by its id, or by the name a job recorded, which outlives a deleted
/// connection), in a state.
public struct JobFilter: Sendable, Equatable {
    public var connectionId: String?
    public var connectionName: String?
    public var state: JobState?
    /// Only jobs of these connections (a reader limited to some); nil for any.
    public var connectionIds: Set<String>?

    public init(connectionId: String? = nil, connectionName: String? = nil, state: JobState? = nil, connectionIds: Set<String>? = nil) {
        self.connectionId = connectionId
        self.connectionName = connectionName
        self.state = state
        self.connectionIds = connectionIds
    }
}

/// Which part of a connection's inventory to list: one type or all, objects whose name or path contains `text`
/// (any case), a page of `limit` after skipping `offset`, ordered by type, name and id.
public struct InventoryFilter: Sendable, Equatable {
    public var type: InventoryType?
    public var text: String?
    public var offset: Int
    public var limit: Int

    public init(type: InventoryType? = nil, text: String? = nil, offset: Int = 0, limit: Int = 100) {
        self.type = type
        self.text = text
        self.offset = offset
        self.limit = limit
    }
}

/// The last preflight of a connection, with the credential version it checked.
public struct PreflightRecord: Sendable, Equatable {
    public var connectionId: String
    public var credentialVersion: Int
    public var checkedAt: Date
    public var report: PreflightReport

    public init(connectionId: String, credentialVersion: Int, checkedAt: Date, report: PreflightReport) {
        self.connectionId = connectionId
        self.credentialVersion = credentialVersion
        self.checkedAt = checkedAt
        self.report = report
    }
}
