import Foundation

/// What a vSphere account may be used for, from the privileges it holds on the configured datacenter.
public enum Capability: String, Sendable, CaseIterable, Codable, Comparable {
    case none
    case discovery
    case migration

    private var rank: Int {
        switch self {
        case .none: 0
        case .discovery: 1
        case .migration: 2
        }
    }

    public static func < (lhs: Capability, rhs: Capability) -> Bool { lhs.rank < rhs.rank }
}

/// Which purpose a preflight checks: discovery alone, or migration too.
public enum PreflightScope: String, Sendable, CaseIterable, Codable {
    case discovery
    case migration
}

/// One privilege of the recommended role and what it is used for.
public struct PrivilegeRequirement: Sendable, Equatable {
    public enum Need: String, Sendable, Codable {
        case discovery
        case migration
        case optional

        /// Whether `scope` requires a privilege of this need (optional ones are never required).
        public func isRequired(for scope: PreflightScope) -> Bool {
            self == .discovery || (self == .migration && scope == .migration)
        }
    }

    public let id: String
    public let need: Need
    public let usedFor: String

    /// The recommended role: the privileges, by need, with what each is used for.
    public static let recommended: [PrivilegeRequirement] = [
        .init(id: "System.Anonymous", need: .discovery, usedFor: "session establishment"),
        .init(id: "System.Read", need: .discovery, usedFor: "inventory read"),
        .init(id: "System.View", need: .discovery, usedFor: "session establishment, inventory read"),
        .init(id: "VirtualMachine.Config.DiskLease", need: .migration, usedFor: "read disk configuration"),
        .init(id: "VirtualMachine.Config.ChangeTracking", need: .migration, usedFor: "enable changed block tracking (CBT)"),
        .init(id: "VirtualMachine.Config.Settings", need: .migration, usedFor: "enable CBT, read disk configuration"),
        .init(id: "VirtualMachine.Interact.PowerOff", need: .migration, usedFor: "cold migration source power control"),
        .init(id: "VirtualMachine.Interact.PowerOn", need: .migration, usedFor: "cold migration source power control"),
        .init(id: "VirtualMachine.Interact.Reset", need: .migration, usedFor: "cold migration source power control"),
        .init(id: "VirtualMachine.State.CreateSnapshot", need: .migration, usedFor: "warm migration CBT anchor snapshots"),
        .init(id: "VirtualMachine.State.RemoveSnapshot", need: .migration, usedFor: "warm migration CBT anchor snapshots"),
        // vSphere's id for "revert snapshot".
        .init(id: "VirtualMachine.State.RevertToSnapshot", need: .migration, usedFor: "warm migration CBT anchor snapshots"),
        .init(id: "VirtualMachine.Provisioning.DiskRandomAccess", need: .migration, usedFor: "disk export over the vSphere API"),
        .init(id: "VirtualMachine.Provisioning.DiskRandomRead", need: .migration, usedFor: "disk export over the vSphere API"),
        .init(id: "Resource.AssignVMToPool", need: .optional, usedFor: "cross-cluster source preparation"),
        .init(id: "Global.DisableMethods", need: .optional, usedFor: "guard against concurrent modification during cutover"),
        .init(id: "Global.EnableMethods", need: .optional, usedFor: "guard against concurrent modification during cutover"),
    ]

    /// Privileges an administrator holds and the recommended role never needs: any of them granted means the
    /// account holds far more than the role.
    public static let administrative = [
        "Authorization.ModifyPermissions", "Authorization.ModifyRoles", "VirtualMachine.Inventory.Delete",
        "Datastore.Delete", "Host.Config.Settings",
    ]

}

/// One privilege's result in a preflight report.
public struct PrivilegeCheck: Sendable, Equatable, Codable {
    public var id: String
    public var need: PrivilegeRequirement.Need
    public var usedFor: String
    public var granted: Bool

    public init(id: String, need: PrivilegeRequirement.Need, usedFor: String, granted: Bool) {
        self.id = id
        self.need = need
        self.usedFor = usedFor
        self.granted = granted
    }
}

/// A least-privilege check of a vSphere connection on its datacenter. Every privilege of the recommended role is
/// checked whatever the scope; the scope decides which of them count as missing.
public struct PreflightReport: Sendable, Equatable, Codable {
    public var scope: PreflightScope
    public var datacenter: String
    public var username: String
    public var privileges: [PrivilegeCheck]
    public var capability: Capability
    public var warnings: [String]
    /// Commands that create the recommended role and grant it on the datacenter, when something is missing.
    public var remedy: [String]

    public init(
        scope: PreflightScope, datacenter: String, username: String, privileges: [PrivilegeCheck], warnings: [String]
    ) {
        self.scope = scope
        self.datacenter = datacenter
        self.username = username
        self.privileges = privileges
        self.warnings = warnings
        self.capability = Self.capability(of: privileges)
        self.remedy = []
    }

    /// The privileges the scope requires that are not granted.
    public var missing: [PrivilegeCheck] {
        privileges.filter { !$0.granted && $0.need.isRequired(for: scope) }
    }

    /// `migration` when every discovery and migration privilege is granted, `discovery` when discovery's are.
    public static func capability(of checks: [PrivilegeCheck]) -> Capability {
        let granted = Set(checks.filter(\.granted).map(\.id))
        let needed = { (need: PrivilegeRequirement.Need) in
            PrivilegeRequirement.recommended.filter { $0.need == need }.map(\.id)
        }
        guard needed(.discovery).allSatisfy(granted.contains) else { return .none }
        guard needed(.migration).allSatisfy(granted.contains) else { return .discovery }
        return .migration
    }
}
