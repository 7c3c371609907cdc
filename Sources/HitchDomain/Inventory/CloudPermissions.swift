/// The least privileges Hitch documents for each cloud kind (docs/permissions.md prints the same lists): reading
/// the platform, image management, and scripted actions, each a role of its own so that one connection need not
/// hold both. A preflight checks every entry on the platform's own API.
public enum CloudPermissions {
    /// Azure Resource Manager actions, checked against the principal's permissions on the subscription.
    public static let azure: [PrivilegeRequirement] = [
        .init(id: "Microsoft.Resources/subscriptions/resourceGroups/read", need: .discovery, usedFor: "find the resource groups to work in"),
        .init(id: "Microsoft.Compute/virtualMachines/read", need: .discovery, usedFor: "inventory of virtual machines"),
        .init(id: "Microsoft.Compute/images/read", need: .images, usedFor: "read managed images"),
        .init(id: "Microsoft.Compute/images/write", need: .images, usedFor: "create managed images"),
        .init(id: "Microsoft.Compute/images/delete", need: .images, usedFor: "remove superseded images"),
        .init(id: "Microsoft.Compute/galleries/read", need: .images, usedFor: "read compute galleries"),
        .init(id: "Microsoft.Compute/galleries/images/versions/write", need: .images, usedFor: "publish image versions"),
        .init(id: "Microsoft.Compute/virtualMachines/write", need: .images, usedFor: "build VMs an image is captured from"),
        .init(id: "Microsoft.Compute/virtualMachines/delete", need: .images, usedFor: "remove build VMs"),
        .init(id: "Microsoft.Compute/disks/write", need: .images, usedFor: "build VM disks"),
        .init(id: "Microsoft.Network/networkInterfaces/write", need: .images, usedFor: "build VM network interfaces"),
        .init(id: "Microsoft.Network/virtualNetworks/subnets/join/action", need: .images, usedFor: "attach build VMs to a subnet"),
        .init(id: "Microsoft.Compute/virtualMachines/runCommand/action", need: .scriptedActions, usedFor: "run scripts in VMs"),
        .init(id: "Microsoft.Compute/virtualMachines/extensions/write", need: .scriptedActions, usedFor: "install the script extension"),
        .init(id: "Microsoft.Compute/virtualMachines/extensions/read", need: .scriptedActions, usedFor: "read a script's result"),
    ]
    /// Any of these granted means the principal holds far more than a role of Hitch's (Owner, User Access Administrator).
    public static let azureAdministrative = ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleDefinitions/write"]

    /// Google Cloud IAM permissions, checked with `projects.testIamPermissions` on the project.
    public static let gcp: [PrivilegeRequirement] = [
        .init(id: "compute.zones.list", need: .discovery, usedFor: "find the zones to work in"),
        .init(id: "compute.instances.list", need: .discovery, usedFor: "inventory of instances"),
        .init(id: "compute.images.get", need: .images, usedFor: "read images"),
        .init(id: "compute.images.create", need: .images, usedFor: "create images"),
        .init(id: "compute.images.delete", need: .images, usedFor: "remove superseded images"),
        .init(id: "compute.images.useReadOnly", need: .images, usedFor: "build from a base image"),
        .init(id: "compute.instances.create", need: .images, usedFor: "build instances an image is captured from"),
        .init(id: "compute.instances.delete", need: .images, usedFor: "remove build instances"),
        .init(id: "compute.disks.create", need: .images, usedFor: "build instance disks"),
        .init(id: "compute.subnetworks.use", need: .images, usedFor: "attach build instances to a subnet"),
        .init(id: "compute.instances.get", need: .scriptedActions, usedFor: "read an instance before running a script"),
        .init(id: "compute.instances.setMetadata", need: .scriptedActions, usedFor: "hand a startup script to an instance"),
    ]
    /// Any of these granted means the account holds far more than a role of Hitch's (Owner, IAM administrator).
    public static let gcpAdministrative = ["resourcemanager.projects.setIamPolicy", "iam.serviceAccountKeys.create"]

    /// AWS IAM actions, checked with `iam:SimulatePrincipalPolicy` for the caller.
    public static let aws: [PrivilegeRequirement] = [
        .init(id: "ec2:DescribeRegions", need: .discovery, usedFor: "find the regions to work in"),
        .init(id: "ec2:DescribeInstances", need: .discovery, usedFor: "inventory of instances"),
        .init(id: "ec2:DescribeImages", need: .images, usedFor: "read AMIs"),
        .init(id: "ec2:CreateImage", need: .images, usedFor: "capture AMIs"),
        .init(id: "ec2:DeregisterImage", need: .images, usedFor: "remove superseded AMIs"),
        .init(id: "ec2:DeleteSnapshot", need: .images, usedFor: "remove superseded AMIs' snapshots"),
        .init(id: "ec2:RunInstances", need: .images, usedFor: "build instances an AMI is captured from"),
        .init(id: "ec2:TerminateInstances", need: .images, usedFor: "remove build instances"),
        .init(id: "ec2:CreateTags", need: .images, usedFor: "tag what Hitch's users build"),
        .init(id: "ssm:SendCommand", need: .scriptedActions, usedFor: "run scripts on instances"),
        .init(id: "ssm:GetCommandInvocation", need: .scriptedActions, usedFor: "read a script's result"),
        .init(id: "ssm:DescribeInstanceInformation", need: .scriptedActions, usedFor: "find instances that run scripts"),
    ]
    /// Any of these allowed means the identity holds far more than a policy of Hitch's (administrator access).
    public static let awsAdministrative = ["iam:CreateUser", "iam:AttachUserPolicy", "iam:PutRolePolicy"]

    /// Prism Central's v3 calls that discovery makes, each checked by making it for one entity, with the role
    /// permission each needs.
    public static let nutanix: [PrivilegeRequirement] = [
        .init(id: "POST /api/nutanix/v3/clusters/list", need: .discovery, usedFor: "list clusters (Prism role permission View_Cluster)"),
        .init(id: "POST /api/nutanix/v3/hosts/list", need: .discovery, usedFor: "list hosts (View_Host)"),
        .init(id: "POST /api/nutanix/v3/vms/list", need: .discovery, usedFor: "list VMs (View_Virtual_Machine)"),
    ]

    public static func requirements(of kind: ConnectionKind) -> [PrivilegeRequirement] {
        switch kind {
        case .azure: azure
        case .gcp: gcp
        case .awsAccessKey, .awsAssumeRole, .awsCrossAccount: aws
        case .vsphere: PrivilegeRequirement.recommended
        case .nutanix: nutanix
        case .apiKey: []
        }
    }

    /// The entries a scope requires, as each platform's role or policy names them.
    public static func required(of kind: ConnectionKind, for scope: PreflightScope) -> [PrivilegeRequirement] {
        requirements(of: kind).filter { $0.need.isRequired(for: scope) }
    }
}

extension PreflightReport {
    /// A cloud kind's report: each requirement granted, missing, or unknown (`isGranted` nil: the platform would not
    /// tell), a warning when the identity (`holder`, e.g. "the principal") holds one of `administrative`, and
    /// `remedy` when the scope misses or cannot confirm something.
    public static func checking(
        _ requirements: [PrivilegeRequirement], administrative: [String], isGranted: (String) -> Bool?, scope: PreflightScope,
        location: String, username: String, holder: String, warnings: [String] = [], remedy: () -> [String]
    ) -> PreflightReport {
        let checks = requirements.map {
            let granted = isGranted($0.id)
            return PrivilegeCheck(id: $0.id, need: $0.need, usedFor: $0.usedFor, granted: granted ?? false, checked: granted != nil)
        }
        var warnings = warnings
        let held = administrative.filter { isGranted($0) == true }
        if !held.isEmpty {
            warnings.append(
                "\(holder) holds far more than Hitch's role (it may \(held.joined(separator: ", "))): "
                    + "it looks like an administrator; use a dedicated identity with the documented role")
        }
        var report = PreflightReport(scope: scope, datacenter: location, username: username, privileges: checks, warnings: warnings)
        if !report.missing.isEmpty || !report.unknown.isEmpty { report.remedy = remedy() }
        return report
    }
}
