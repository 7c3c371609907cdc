import Foundation
import HitchDomain

/// The least-privilege preflight: which privileges of the recommended role the session's user holds on the
/// configured datacenter, asked with AuthorizationManager.HasPrivilegeOnEntities and the session's own id (what
/// vCenter answers truthfully for that user), and where the user's role is granted.
extension VSpherePlatformSession {
    public func preflight(
        scope: PreflightScope, datacenter name: String, username: String, insecure: Bool
    ) async throws -> PreflightReport {
        do {
            return try await check(scope: scope, datacenter: name, username: username, insecure: insecure)
        } catch let fault as VSphereFault {
            throw VSphereReadError(
                fault.type == "NotAuthenticated"
                    ? "vCenter ended the session during the preflight" : "vCenter answered \(fault.type) during the preflight")
        }
    }

    private func check(
        scope: PreflightScope, datacenter name: String, username: String, insecure: Bool
    ) async throws -> PreflightReport {
        guard let authorization = content.authorizationManager else {
            throw VSphereReadError("this endpoint has no AuthorizationManager: preflight needs a vCenter")
        }
        let datacenters = try await session.names(of: "Datacenter", under: content.rootFolder, content)
        guard let datacenter = datacenters.first(where: { $0.1 == name })?.0 else {
            let hint = datacenters.first { $0.1.lowercased() == name.lowercased() }.map { "; did you mean '\($0.1)'?" } ?? ""
            throw VSphereReadError("datacenter '\(name)' not found\(hint)")
        }
        let current = try await session.properties(of: content.sessionManager, ["currentSession"], content)
        guard let sessionKey = current["currentSession"]?.child("key")?.text else {
            throw VSphereReadError("vCenter did not tell the session's id")
        }
        let granted = try await privileges(
            PrivilegeRequirement.recommended.map(\.id) + PrivilegeRequirement.administrative, on: datacenter,
            sessionKey: sessionKey, authorization: authorization)

        let checks = PrivilegeRequirement.recommended.map {
            PrivilegeCheck(id: $0.id, need: $0.need, usedFor: $0.usedFor, granted: granted.contains($0.id))
        }
        var warnings: [String] = []
        warnings += try await placementWarnings(username: username, datacenter: (datacenter, name), authorization: authorization)
        let administrative = PrivilegeRequirement.administrative.filter(granted.contains)
        if !administrative.isEmpty {
            warnings.append(
                "the account holds far more than the recommended role (it is granted \(administrative.joined(separator: ", "))); "
                    + "it looks like an administrator: use a dedicated account with the recommended role")
        }
        if insecure { warnings.append("insecure is on: the vCenter's certificate is not verified") }
        var report = PreflightReport(scope: scope, datacenter: name, username: username, privileges: checks, warnings: warnings)
        if !report.missing.isEmpty { report.remedy = PreflightRemedy.commands(scope: scope, datacenter: name, username: username) }
        return report
    }

    /// The privilege ids granted to the session's user on `entity`.
    private func privileges(
        _ ids: [String], on entity: ManagedObjectReference, sessionKey: String, authorization: ManagedObjectReference
    ) async throws -> Set<String> {
        let answer = try await session.call(
            "HasPrivilegeOnEntities", this: authorization,
            "<entity \(entity.xml)</entity><sessionId>\(SOAPNode.escape(sessionKey))</sessionId>"
                + ids.map { "<privId>\(SOAPNode.escape($0))</privId>" }.joined())
        var granted: Set<String> = []
        for availability in answer.all("privAvailability") where availability.child("isGranted")?.text == "true" {
            if let id = availability.child("privId")?.text { granted.insert(id) }
        }
        return granted
    }

    /// A warning when the user's role is granted at the vCenter root rather than on the datacenter, read from the
    /// datacenter's permissions with the inherited ones; a warning too when they cannot be read.
    private func placementWarnings(
        username: String, datacenter: (reference: ManagedObjectReference, name: String),
        authorization: ManagedObjectReference
    ) async throws -> [String] {
        let answer: SOAPNode
        do {
            answer = try await session.call(
                "RetrieveEntityPermissions", this: authorization,
                "<entity \(datacenter.reference.xml)</entity><inherited>true</inherited>")
        } catch let fault as VSphereFault where fault.type == "NoPermission" {
            return ["could not read where the account's role is granted (NoPermission): check that it is on datacenter '\(datacenter.name)'"]
        }
        let user = Self.principal(username)
        let places = answer.all("returnval").compactMap { permission -> ManagedObjectReference? in
            guard let principal = permission.child("principal")?.text, Self.principal(principal) == user,
                permission.child("group")?.text != "true"
            else { return nil }
            return permission.child("entity").flatMap(VSphereSession.reference)
        }
        if places.contains(content.rootFolder) {
            return [
                "the account's role is granted at the vCenter root, not on datacenter '\(datacenter.name)': "
                    + "grant it on the datacenter so that it reaches nothing else"
            ]
        }
        return []
    }

    /// `VSPHERE.LOCAL\hitch` and `hitch@vsphere.local` name the same principal.
    static func principal(_ name: String) -> String {
        let lowered = name.lowercased()
        guard let slash = lowered.firstIndex(of: "\\") else { return lowered }
        return "\(lowered[lowered.index(after: slash)...])@\(lowered[..<slash])"
    }
}

/// The commands that create the recommended role and grant it on the datacenter, in govc and PowerCLI forms.
enum PreflightRemedy {
    static func commands(scope: PreflightScope, datacenter: String, username: String) -> [String] {
        let role = scope == .migration ? "HitchMigration" : "HitchDiscovery"
        let privileges = PrivilegeRequirement.recommended.filter { $0.need.isRequired(for: scope) }.map(\.id)
        let quoted = privileges.map { "'\($0)'" }.joined(separator: ",")
        return [
            "govc role.create \(role) \(privileges.joined(separator: " "))",
            "govc permissions.set -principal '\(username)' -role \(role) -propagate=true '/\(datacenter)'",
            "New-VIRole -Name \(role) -Privilege (Get-VIPrivilege -Id \(quoted))",
            "New-VIPermission -Entity (Get-Datacenter -Name '\(datacenter)') -Principal '\(username)' -Role \(role) -Propagate:$true",
        ]
    }
}
