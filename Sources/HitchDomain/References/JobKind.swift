/// What a job does with a connection. Discovery and preflight are run by Hitch with the connection's current
/// credential; a migration is run by an external engine that registers it, so that the connection cannot be
/// deleted under it.
public enum JobKind: String, Sendable, CaseIterable, Codable {
    case discovery
    case preflight
    case migration

    /// Hitch runs it (and ends it as `invalidated` when the credential it reads with is rotated).
    public var isRunByHitch: Bool { self != .migration }
}

/// A job's life: queued, running, then one of the four ends.
public enum JobState: String, Sendable, CaseIterable, Codable {
    case queued
    case running
    case succeeded
    case failed
    /// Ended by a rotation of the credential it was using: its partial results are dropped; run it again.
    case invalidated
    /// Stopped on request (`hitch job cancel`); its partial results are dropped.
    case cancelled

    /// Still holds its connection: deletion is refused.
    public var isActive: Bool { self == .queued || self == .running }
}

/// A feature that uses a connection outside of Hitch: an image (Image Management) or a scripted action.
public enum AssignmentKind: String, Sendable, CaseIterable, Codable {
    case image
    case scriptedAction = "scripted-action"
}

extension ConnectionKind {
    /// Images and scripted actions run on a platform; an API key only enrolls agents, so it serves neither.
    public func serves(_ assignment: AssignmentKind) -> Bool {
        self != .apiKey
    }
}
