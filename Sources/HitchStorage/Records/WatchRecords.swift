import Foundation

/// One test of a connection as its history keeps it.
public struct TestResultRecord: Sendable, Equatable {
    public let connectionId: String
    public let at: Date
    public let state: String
    public let stage: String?
    public let message: String?
    public let durationMilliseconds: Int?
    /// Who ran it: a user's or token's name, or `schedule`.
    public let testedBy: String

    public init(
        connectionId: String, at: Date, state: String, stage: String?, message: String?, durationMilliseconds: Int?,
        testedBy: String
    ) {
        self.connectionId = connectionId
        self.at = at
        self.state = state
        self.stage = stage
        self.message = message
        self.durationMilliseconds = durationMilliseconds
        self.testedBy = testedBy
    }
}

/// When the schedule next tests a connection, and the credential version it last said was due for rotation.
public struct ScheduledCheck: Sendable, Equatable {
    public let connectionId: String
    public let nextAt: Date
    public let rotationDueVersion: Int?
}

/// Where events are POSTed, which ones, and the sealed key their signatures are made with.
public struct WebhookRecord: Sendable, Equatable {
    public let id: String
    public let url: String
    public let events: [String]
    /// The signing secret, sealed as a secret field `signing-secret` of credential version 1.
    public var secret: StoredSecret
    public let createdAt: Date
    public let createdBy: String

    public init(id: String, url: String, events: [String], secret: StoredSecret, createdAt: Date, createdBy: String) {
        self.id = id
        self.url = url
        self.events = events
        self.secret = secret
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}

/// One event queued for one webhook, and how its delivery went.
public struct WebhookDeliveryRecord: Sendable, Equatable {
    public enum State: String, Sendable {
        case pending, delivered, failed
    }

    public let id: String
    public let webhookId: String
    public let event: String
    /// The JSON body, exactly as it is signed and sent.
    public let payload: String
    public var state: State
    public var attempts: Int
    public let createdAt: Date
    public var nextAttemptAt: Date
    public var lastAttemptAt: Date?
    /// The receiver's HTTP status, when it answered.
    public var lastStatus: Int?
    public var lastError: String?

    public init(
        id: String, webhookId: String, event: String, payload: String, state: State, attempts: Int, createdAt: Date,
        nextAttemptAt: Date, lastAttemptAt: Date? = nil, lastStatus: Int? = nil, lastError: String? = nil
    ) {
        self.id = id
        self.webhookId = webhookId
        self.event = event
        self.payload = payload
        self.state = state
        self.attempts = attempts
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
    }
}

/// The last results of each connection's tests.
public protocol TestHistoryRepository: Sendable {
    /// Adds a result and keeps only the connection's newest `keep`.
    func append(_ result: TestResultRecord, keep: Int) async throws
    /// Newest first.
    func list(connectionId: String, limit: Int) async throws -> [TestResultRecord]
}

/// The schedule of health checks: one row per connection, whose `next_at` a server moves forward to claim a check.
public protocol ScheduledCheckRepository: Sendable {
    /// Connections that have no row yet, with their own interval (nil for the server's); up to `limit`.
    func unscheduled(limit: Int) async throws -> [(connectionId: String, checkEverySeconds: Int?)]
    /// Adds the connection's first check at `at`, unless another server added one first.
    func schedule(connectionId: String, at: Date) async throws
    /// The checks due at `now`, earliest first.
    func due(at now: Date, limit: Int) async throws -> [ScheduledCheck]
    /// Moves a check still due at `expected` to `next`: of several servers, only the one whose update moved it
    /// runs the check.
    func claim(connectionId: String, expected: Date, next: Date) async throws -> Bool
    /// Forgets the connection's schedule, so that it is scheduled afresh (its interval changed).
    func forget(connectionId: String) async throws
    /// Records that rotation-due was said of `version`; false when it already was.
    func noteRotationDue(connectionId: String, version: Int) async throws -> Bool
}

/// Webhooks and their queued deliveries.
public protocol WebhookRepository: Sendable {
    func insert(_ webhook: WebhookRecord) async throws
    /// Oldest first.
    func list() async throws -> [WebhookRecord]
    func find(id: String) async throws -> WebhookRecord?
    /// Removes the webhook and its deliveries; false when there was none.
    func delete(id: String) async throws -> Bool
    func enqueue(_ deliveries: [WebhookDeliveryRecord]) async throws
    /// Pending deliveries due at `now`, earliest first.
    func due(at now: Date, limit: Int) async throws -> [WebhookDeliveryRecord]
    /// Moves a pending delivery still due at `expected` to `until`: of several servers, one sends it.
    func claim(deliveryId: String, expected: Date, until: Date) async throws -> Bool
    /// Saves an attempt's outcome: state, attempts, next attempt, status and error.
    func saveAttempt(_ delivery: WebhookDeliveryRecord) async throws
    /// Newest first.
    func deliveries(webhookId: String, limit: Int) async throws -> [WebhookDeliveryRecord]
    /// Within a write, the webhooks whose secret a master key version below `version` wraps, locked.
    func wrapped(below version: Int) async throws -> [WebhookRecord]
    /// Replaces a webhook secret's wrapped data key while it is still `expected`; false when it changed.
    func rewrap(webhookId: String, expected: StoredSecret, to rewrapped: StoredSecret) async throws -> Bool
}
