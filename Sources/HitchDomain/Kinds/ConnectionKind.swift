/// The type of a connection. Each kind is a schema: its fields, which are secret, which are required.
public enum ConnectionKind: String, CaseIterable, Sendable, Codable {
    case vsphere
    case nutanix
    case azure
    case awsAccessKey = "aws-access-key"
    case awsAssumeRole = "aws-assume-role"
    case awsCrossAccount = "aws-cross-account"
    case gcp
    case apiKey = "api-key"

    /// How the dashboard groups kinds when a user picks one.
    public enum Category: String, Sendable {
        case cloudProvider = "cloud-provider"
        case onPremises = "on-premises"
        case apiKey = "api-key"
    }

    public var category: Category {
        switch self {
        case .vsphere, .nutanix: .onPremises
        case .azure, .awsAccessKey, .awsAssumeRole, .awsCrossAccount, .gcp: .cloudProvider
        case .apiKey: .apiKey
        }
    }

    public var title: String {
        switch self {
        case .vsphere: "VMware vCenter"
        case .nutanix: "Nutanix Prism Central"
        case .azure: "Microsoft Azure service principal"
        case .awsAccessKey: "AWS access key"
        case .awsAssumeRole: "AWS role assumed with another connection's key"
        case .awsCrossAccount: "AWS cross-account role with an external id"
        case .gcp: "Google Cloud service account"
        case .apiKey: "Hitch API key for agents"
        }
    }

    /// The field that names where the connection points, shown as its endpoint in lists.
    public var endpointField: String? {
        switch self {
        case .vsphere: "vcenter"
        case .nutanix: "endpoint"
        case .azure: "subscriptionId"
        case .awsAccessKey: "accountId"
        case .awsAssumeRole, .awsCrossAccount: "roleArn"
        case .gcp: "projectId"
        case .apiKey: nil
        }
    }

    public var schema: KindSchema { KindCatalog.schema(for: self) }
}
