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

    public init(
        id: String, connectionId: String, connectionName: String, kind: JobKind, state: JobState, ref: String?,
        credentialVersion: Int, detail: String? = nil, createdAt: Date, createdBy: String, finishedAt: Date? = nil
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

public struct JobFilter: Sendable, Equatable {
    public var connectionId: String?
    public var state: JobState?

    public init(connectionId: String? = nil, state: JobState? = nil) {
        self.connectionId = connectionId
        self.state = state
    }
}
