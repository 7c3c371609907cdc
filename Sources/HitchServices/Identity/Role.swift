import HitchDomain

/// What an actor may do is decided by its role alone (S5).
public enum Role: String, Sendable, CaseIterable {
    case admin
    case operator_ = "operator"
    case auditor
    case viewer
    /// The service identity of an engine or pipeline: reads connections and takes leases on them.
    case consumer

    public enum Permission: String, Sendable, CaseIterable {
        /// Connection metadata, status and inventory.
        case readConnections
        /// Create, update, rotate, test and delete connections; discovery, preflight, assignments and jobs.
        case changeConnections
        /// Read, export and verify the audit log.
        case readAudit
        /// Users, other identities' tokens, keys.
        case administer
        /// Take a lease: a short-lived credential derived from a connection.
        case useConnections
    }

    public func allows(_ permission: Permission) -> Bool {
        switch (self, permission) {
        case (.admin, _): true
        case (_, .readConnections): true
        case (.operator_, .changeConnections): true
        case (.auditor, .readAudit): true
        case (.consumer, .useConnections): true
        case (.operator_, _), (.auditor, _), (.viewer, _), (.consumer, _): false
        }
    }

    package func require(_ permission: Permission) throws(HitchError) {
        if !allows(permission) { throw HitchError(.forbidden, "the role \(rawValue) may not do this") }
    }

    static func named(_ name: String) throws(HitchError) -> Role {
        guard let role = Role(rawValue: name) else {
            throw HitchError.validation(["role": "must be one of: \(allCases.map(\.rawValue).joined(separator: ", "))"])
        }
        return role
    }
}
