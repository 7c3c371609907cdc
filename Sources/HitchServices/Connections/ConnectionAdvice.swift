import HitchDomain
import HitchStorage

/// The seeds' advice made into warnings (never refusals): one dedicated account per connection, separate
/// connections for image management and scripted actions, and names that say provider, purpose and environment.
package enum ConnectionAdvice {
    /// The naming hint, as the create form and `connection create` show it.
    static let namingHint = "provider-purpose-environment, e.g. vcenter-migration-prod or azure-images-dev"

    /// A warning when a name does not follow the hint: at least three hyphen-separated parts.
    static func namingWarning(_ name: String) -> String? {
        guard name.split(separator: "-").count < 3 else { return nil }
        return "'\(name)' does not follow the naming hint \(namingHint)"
    }

    /// The account a connection signs in as, where it is stored in the clear, with the destination that makes it
    /// one account (an SSO user of one vCenter is not the same user on another). Google's account is inside the
    /// sealed key, so gcp connections are not compared.
    package static func account(of record: ConnectionRecord) -> String? {
        let text = { (name: String) in record.fields[name]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        switch record.kind {
        case .vsphere: return text("username").map { $0.lowercased() + " on " + (text("vcenter") ?? "").lowercased() }
        case .nutanix: return text("username").map { $0.lowercased() + " on " + (text("endpoint") ?? "").lowercased() }
        case .azure: return text("clientId").map { "client " + $0.lowercased() }
        case .awsAccessKey: return text("accessKeyId").map { "access key " + $0 }
        case .awsAssumeRole, .awsCrossAccount, .gcp, .apiKey: return nil
        }
    }

    /// The other connections that sign in as the same account.
    package static func sharingAccount(with record: ConnectionRecord, among connections: [ConnectionRecord]) -> [ConnectionRecord] {
        guard let account = account(of: record) else { return [] }
        return connections.filter { $0.id != record.id && $0.kind == record.kind && Self.account(of: $0) == account }
    }

    package static func warnings(
        for record: ConnectionRecord, assignments: [AssignmentRecord], sharingAccount others: [ConnectionRecord]
    ) -> [String] {
        var warnings = [namingWarning(record.name)].compactMap { $0 }
        if !others.isEmpty, let account = account(of: record) {
            warnings.append(
                "its account (\(account)) is also used by \(others.map(\.name).sorted().joined(separator: ", ")): "
                    + "give each connection a dedicated account, so that each can be scoped, rotated and revoked alone")
        }
        if let both = bothUses(Set(assignments.map(\.kind))) { warnings.append(both) }
        return warnings
    }

    /// A warning when one connection serves both image management and scripted actions.
    static func bothUses(_ kinds: Set<AssignmentKind>) -> String? {
        guard kinds.contains(.image), kinds.contains(.scriptedAction) else { return nil }
        return "it serves both images and scripted actions: use a connection (and an identity) for each, "
            + "so that each holds only its own role"
    }
}
