/// The field schemas of every kind (DESIGN.md section 1).
enum KindCatalog {
    static func schema(for kind: ConnectionKind) -> KindSchema {
        KindSchema(kind: kind, fields: fields(for: kind))
    }

    private static func fields(for kind: ConnectionKind) -> [FieldSpec] {
        switch kind {
        case .vsphere: vsphere
        case .nutanix: nutanix
        case .azure: azure
        case .awsAccessKey: awsAccessKey
        case .awsAssumeRole: awsAssumeRole
        case .awsCrossAccount: awsCrossAccount
        case .gcp: gcp
        case .apiKey: apiKey
        }
    }

    private static let caseSensitive = "case sensitive: enter it exactly as in vCenter"

    private static let tlsFields: [FieldSpec] = [
        FieldSpec(
            "insecure", label: "Skip TLS verification", type: .boolean, destination: true,
            help: "Do not verify the server certificate. Prefer a thumbprint pin.", rule: .none),
        FieldSpec(
            "thumbprint", label: "Certificate SHA-256 thumbprint", destination: true,
            help: "Pin the server's leaf certificate by its SHA-256 thumbprint (64 hex digits, colons allowed).",
            rule: .sha256Thumbprint),
    ]

    private static let vsphere: [FieldSpec] =
        [
            FieldSpec(
                "vcenter", label: "vCenter", required: true, destination: true,
                help: "Host name or IP address of the vCenter, with an optional :port.", rule: .hostPort),
            FieldSpec(
                "username", label: "Username", required: true, identity: true,
                help: "A dedicated service account, e.g. svc-hitch@vsphere.local.", rule: .nonEmpty(256)),
            FieldSpec("password", label: "Password", secret: true, required: true, help: "The account's password."),
            FieldSpec("datacenter", label: "Datacenter", help: caseSensitive, rule: .inventoryName),
            FieldSpec("cluster", label: "Cluster", help: caseSensitive, rule: .inventoryName),
            FieldSpec("host", label: "Host", help: caseSensitive, rule: .inventoryName),
            FieldSpec("resourcePool", label: "Resource pool", help: caseSensitive, rule: .inventoryName),
            FieldSpec("datastore", label: "Datastore", help: caseSensitive, rule: .inventoryName),
            FieldSpec("folder", label: "Folder", help: caseSensitive, rule: .inventoryName),
        ] + tlsFields

    private static let nutanix: [FieldSpec] =
        [
            FieldSpec(
                "endpoint", label: "Prism Central", required: true, destination: true,
                help: "Host name or IP address of Prism Central, with an optional :port (default 9440).",
                rule: .hostPort),
            FieldSpec(
                "username", label: "Username", required: true, identity: true, help: "A dedicated service account.",
                rule: .nonEmpty(256)),
            FieldSpec("password", label: "Password", secret: true, required: true, help: "The account's password."),
            FieldSpec(
                "clusterName", label: "Cluster name", help: "case sensitive: enter it exactly as in Prism.",
                rule: .inventoryName),
        ] + tlsFields

    private static let azure: [FieldSpec] = [
        FieldSpec(
            "tenantId", label: "Tenant ID", required: true, identity: true,
            help: "Directory (tenant) ID: a GUID or a verified domain such as contoso.onmicrosoft.com.",
            rule: .azureTenant),
        FieldSpec(
            "clientId", label: "Client ID", required: true, identity: true,
            help: "Application (client) ID of the service principal, a GUID.", rule: .guid),
        FieldSpec(
            "clientSecret", label: "Client secret", secret: true, required: true,
            help: "The client secret's value (not its ID)."),
        FieldSpec(
            "subscriptionId", label: "Subscription ID", required: true, help: "The subscription to use, a GUID.",
            rule: .guid),
        FieldSpec(
            "cloud", label: "Cloud", type: .choice(["public", "usgov", "china"]),
            help: "The Azure cloud: public (default), usgov or china."),
        FieldSpec(
            "authorityHost", label: "Authority host", destination: true,
            help: "Overrides the cloud's Entra ID authority, e.g. https://login.microsoftonline.com.", rule: .httpsURL),
        FieldSpec(
            "armEndpoint", label: "Resource Manager endpoint", destination: true,
            help: "Overrides the cloud's Resource Manager endpoint, e.g. https://management.azure.com.", rule: .httpsURL),
        FieldSpec(
            "graphEndpoint", label: "Microsoft Graph endpoint", destination: true, bindsOnlyWhenSet: true,
            help: "Overrides the cloud's Microsoft Graph endpoint (for rotating the client secret), e.g. https://graph.microsoft.com.",
            rule: .httpsURL),
    ]

    private static let stsEndpoint = FieldSpec(
        "stsEndpoint", label: "STS endpoint", destination: true,
        help: "A regional or private STS endpoint instead of https://sts.REGION.amazonaws.com.", rule: .httpsURL)

    private static let awsAccessKey: [FieldSpec] = [
        FieldSpec(
            "accountId", label: "Account ID", required: true, help: "The 12-digit AWS account ID.",
            rule: .awsAccountId),
        FieldSpec(
            "accessKeyId", label: "Access key ID", required: true, identity: true,
            help: "An IAM user's access key ID (AKIA... or ASIA...).", rule: .awsAccessKeyId),
        FieldSpec(
            "secretAccessKey", label: "Secret access key", secret: true, required: true,
            help: "The secret access key that belongs to the access key ID.", rule: .awsSecretAccessKey),
        FieldSpec("region", label: "Region", help: "Default region, e.g. eu-west-1.", rule: .awsRegion),
        stsEndpoint,
    ]

    private static let roleFields: [FieldSpec] = [
        FieldSpec(
            "roleArn", label: "Role ARN", required: true, identity: true,
            help: "The role to assume, arn:aws:iam::123456789012:role/NAME.", rule: .awsRoleArn),
        FieldSpec("region", label: "Region", help: "Default region, e.g. eu-west-1.", rule: .awsRegion),
        FieldSpec(
            "via", label: "Via connection", type: .connectionReference(.awsAccessKey), destination: true,
            help: "The aws-access-key connection whose key assumes the role; empty for the server's own AWS identity, where the server allows it.",
            rule: .connectionName),
    ]

    private static let awsAssumeRole: [FieldSpec] =
        [
            FieldSpec(
                "sessionName", label: "Session name", help: "The role session name, 2-64 of [A-Za-z0-9+=,.@_-].",
                rule: .awsSessionName)
        ] + roleFields

    private static let awsCrossAccount: [FieldSpec] =
        roleFields + [
            FieldSpec(
                "externalId", label: "External ID", secret: true, required: true, origin: .suppliedOrGenerated,
                help: "The external ID of the role's trust policy; Hitch can generate one.", rule: .awsExternalId)
        ]

    private static let gcp: [FieldSpec] = [
        FieldSpec(
            "projectId", label: "Project ID", required: true, help: "The Google Cloud project ID.",
            rule: .gcpProjectId),
        FieldSpec(
            "serviceAccountKey", label: "Service account key", secret: true, required: true, multiline: true,
            help: "The service account's JSON key file.", rule: .gcpServiceAccountKey),
        FieldSpec(
            "apiEndpoint", label: "Resource Manager endpoint", destination: true,
            help: "Overrides https://cloudresourcemanager.googleapis.com.", rule: .httpsURL),
    ]

    private static let apiKey: [FieldSpec] = [
        FieldSpec(
            "tokenType", label: "Token type", type: .choice(["admin", "connector"]), required: true,
            help: "admin or connector."),
        FieldSpec(
            "key", label: "API key", secret: true, origin: .generated,
            help: "Generated by Hitch and shown once, on create."),
        FieldSpec(
            "expiresAt", label: "Expires",
            help: "When the key stops being valid, in UTC (e.g. 2027-03-01T00:00:00Z); never when empty. A new key keeps it.",
            rule: .timestamp),
    ]
}
