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

/// Which purpose a preflight checks. vsphere: discovery alone, or migration too; nutanix: discovery; the cloud
/// kinds: image management or scripted actions (the seeds' two uses, which they advise keeping apart).
public enum PreflightScope: String, Sendable, CaseIterable, Codable {
    case discovery
    case migration
    case images
    case scriptedActions = "scripted-actions"

    /// The scopes a kind's preflight checks, its default first; empty for a kind without a preflight.
    public static func scopes(of kind: ConnectionKind) -> [PreflightScope] {
        switch kind {
        case .vsphere: [.migration, .discovery]
        case .nutanix: [.discovery]
        case .azure, .gcp, .awsAccessKey, .awsAssumeRole, .awsCrossAccount: [.images, .scriptedActions]
        case .apiKey: []
        }
    }
}

/// One privilege of the recommended role and what it is used for.
public struct PrivilegeRequirement: Sendable, Equatable {
    public enum Need: String, Sendable, Codable {
        /// Reading the platform: every scope needs it.
        case discovery
        case migration
        case images
        case scriptedActions = "scripted-actions"
        case optional

        /// Whether `scope` requires a privilege of this need (optional ones are never required).
        public func isRequired(for scope: PreflightScope) -> Bool {
            switch self {
            case .discovery: true
            case .migration: scope == .migration
            case .images: scope == .images
            case .scriptedActions: scope == .scriptedActions
            case .optional: false
            }
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

/// One privilege's result in a preflight report. `checked` is false when the platform would not say (an AWS
/// account that may not simulate its own policy): such a privilege is neither granted nor missing, but unknown.
public struct PrivilegeCheck: Sendable, Equatable, Codable {
    public var id: String
    public var need: PrivilegeRequirement.Need
    public var usedFor: String
    public var granted: Bool
    public var checked: Bool

    public init(id: String, need: PrivilegeRequirement.Need, usedFor: String, granted: Bool, checked: Bool = true) {
        self.id = id
        self.need = need
        self.usedFor = usedFor
        self.granted = granted
        self.checked = checked
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        need = try container.decode(PrivilegeRequirement.Need.self, forKey: .need)
        usedFor = try container.decode(String.self, forKey: .usedFor)
        granted = try container.decode(Bool.self, forKey: .granted)
        // Reports saved before unknown results existed checked every privilege.
        checked = try container.decodeIfPresent(Bool.self, forKey: .checked) ?? true
    }
}

/// A least-privilege check of a connection's account on its platform. Every privilege the kind's documented role
/// holds is checked whatever the scope; the scope decides which of them count as missing.
public struct PreflightReport: Sendable, Equatable, Codable {
    public var scope: PreflightScope
    /// Where the check ran: vsphere's datacenter, azure's subscription, gcp's project, the AWS account, or the
    /// Prism Central endpoint.
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

    /// The privileges the scope requires that are known not to be granted.
    public var missing: [PrivilegeCheck] {
        privileges.filter { $0.checked && !$0.granted && $0.need.isRequired(for: scope) }
    }

    /// The privileges the scope requires whose grant the platform would not tell.
    public var unknown: [PrivilegeCheck] {
        privileges.filter { !$0.checked && $0.need.isRequired(for: scope) }
    }

    /// `migration` when every discovery and migration privilege is granted, `discovery` when discovery's are.
    /// Of the checks themselves: a cloud kind's report, which has no migration privileges, reaches `discovery` at
    /// most.
    public static func capability(of checks: [PrivilegeCheck]) -> Capability {
        let granted = { (need: PrivilegeRequirement.Need) in checks.filter { $0.need == need }.allSatisfy { $0.checked && $0.granted } }
        guard granted(.discovery) else { return .none }
        guard checks.contains(where: { $0.need == .migration }), granted(.migration) else { return .discovery }
        return .migration
    }
}
