/// One event of the audit log as stored. Times are milliseconds since 1970 (UTC), the precision the MAC covers.
public struct AuditEntry: Sendable, Equatable {
    public var sequence: Int64
    public var recordedAt: Int64
    public var actorId: String
    public var actorName: String
    public var actorKind: String
    public var tokenName: String?
    public var clientAddress: String?
    public var requestId: String?
    public var action: String
    public var targetKind: String?
    public var targetName: String?
    public var targetId: String?
    public var outcome: String
    public var failureCode: String?
    /// Names of the fields a change touched; never their values.
    public var changedFields: [String]
    public var detail: String?
    public var keyVersion: Int
    /// Hex HMAC-SHA256 over the previous event's MAC and this event's canonical bytes.
    public var mac: String

    public init(
        sequence: Int64, recordedAt: Int64, actorId: String, actorName: String, actorKind: String, tokenName: String?,
        clientAddress: String?, requestId: String?, action: String, targetKind: String?, targetName: String?,
        targetId: String?, outcome: String, failureCode: String?, changedFields: [String], detail: String?,
        keyVersion: Int, mac: String
    ) {
        self.sequence = sequence
        self.recordedAt = recordedAt
        self.actorId = actorId
        self.actorName = actorName
        self.actorKind = actorKind
        self.tokenName = tokenName
        self.clientAddress = clientAddress
        self.requestId = requestId
        self.action = action
        self.targetKind = targetKind
        self.targetName = targetName
        self.targetId = targetId
        self.outcome = outcome
        self.failureCode = failureCode
        self.changedFields = changedFields
        self.detail = detail
        self.keyVersion = keyVersion
        self.mac = mac
    }
}

/// The newest event's sequence and MAC, sealed by `headMac`.
public struct AuditHead: Sendable, Equatable {
    public var sequence: Int64
    public var mac: String
    public var keyVersion: Int
    public var headMac: String

    public init(sequence: Int64, mac: String, keyVersion: Int, headMac: String) {
        self.sequence = sequence
        self.mac = mac
        self.keyVersion = keyVersion
        self.headMac = headMac
    }
}

/// What `audit list` narrows to. Every set condition must hold.
public struct AuditFilter: Sendable, Equatable {
    /// A connection's name: events whose target is that connection.
    public var connection: String?
    public var actor: String?
    /// An exact action (`connection.update`), or a family without a dot (`connection`).
    public var action: String?
    public var since: Int64?
    public var until: Int64?

    public init(
        connection: String? = nil, actor: String? = nil, action: String? = nil, since: Int64? = nil, until: Int64? = nil
    ) {
        self.connection = connection
        self.actor = actor
        self.action = action
        self.since = since
        self.until = until
    }
}
