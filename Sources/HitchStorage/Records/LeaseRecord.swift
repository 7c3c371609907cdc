import Foundation

/// A short-lived credential handed to a consumer: its metadata, and what Hitch keeps to end it on the platform
/// (a vCenter session cookie), sealed. The credential itself is never stored.
public struct LeaseRecord: Sendable, Equatable {
    public enum EndReason: String, Sendable {
        case revoked
        case expired
        case jobFinished = "job-finished"
        /// The connection was rotated: a session was logged out, or a cloud credential keeps its short expiry.
        case superseded
        case connectionDeleted = "connection-deleted"
    }

    public let id: String
    public let connectionId: String
    public let connectionName: String
    public let kind: String
    public let credentialVersion: Int
    public let consumerId: String
    public let consumerName: String
    public let jobId: String?
    public let scope: String?
    public let issuedAt: Date
    public let expiresAt: Date
    public var endedAt: Date?
    public var endReason: EndReason?
    /// The sealed end handle, when ending the lease needs one (a vCenter session cookie).
    public var handle: StoredSecret?

    public init(
        id: String, connectionId: String, connectionName: String, kind: String, credentialVersion: Int,
        consumerId: String, consumerName: String, jobId: String?, scope: String?, issuedAt: Date, expiresAt: Date,
        endedAt: Date? = nil, endReason: EndReason? = nil, handle: StoredSecret? = nil
    ) {
        self.id = id
        self.connectionId = connectionId
        self.connectionName = connectionName
        self.kind = kind
        self.credentialVersion = credentialVersion
        self.consumerId = consumerId
        self.consumerName = consumerName
        self.jobId = jobId
        self.scope = scope
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.endedAt = endedAt
        self.endReason = endReason
        self.handle = handle
    }

    public var isActive: Bool { endedAt == nil }
}

/// Which leases a list returns.
public struct LeaseFilter: Sendable, Equatable {
    public var connectionId: String?
    public var consumerId: String?
    public var activeOnly: Bool

    public init(connectionId: String? = nil, consumerId: String? = nil, activeOnly: Bool = false) {
        self.connectionId = connectionId
        self.consumerId = consumerId
        self.activeOnly = activeOnly
    }
}
