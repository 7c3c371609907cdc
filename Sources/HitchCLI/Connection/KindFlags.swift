import Foundation
import ArgumentParser
import HitchAPI
import HitchDomain

/// The flags of every kind. Each plain flag is the kebab-case form of its field's name; secrets come from
/// stdin or a file.
struct KindFlags: ParsableArguments {
    @Option(help: "vsphere: vCenter host or IP, with an optional :port.") var vcenter: String?
    @Option(help: "nutanix: Prism Central host or IP, with an optional :port (default 9440).") var endpoint: String?
    @Option(help: "vsphere, nutanix: the service account.") var username: String?
    @Option(help: "vsphere: datacenter name, exactly as in vCenter.") var datacenter: String?
    @Option(help: "vsphere: cluster name.") var cluster: String?
    @Option(help: "vsphere: host name.") var host: String?
    @Option(help: "vsphere: resource pool name.") var resourcePool: String?
    @Option(help: "vsphere: datastore name.") var datastore: String?
    @Option(help: "vsphere: folder name.") var folder: String?
    @Option(help: "nutanix: cluster name, exactly as in Prism.") var clusterName: String?
    @Flag(inversion: .prefixedNo, help: "vsphere, nutanix: skip TLS verification (prefer --thumbprint).")
    var insecure: Bool?
    @Option(help: "vsphere, nutanix: pin the server certificate's SHA-256 thumbprint.") var thumbprint: String?
    @Option(help: "azure: directory (tenant) ID.") var tenantId: String?
    @Option(help: "azure: application (client) ID.") var clientId: String?
    @Option(help: "azure: subscription ID.") var subscriptionId: String?
    @Option(help: "azure: public, usgov or china.") var cloud: String?
    @Option(help: "azure: an Entra ID authority URL instead of the cloud's.") var authorityHost: String?
    @Option(help: "azure: a Resource Manager URL instead of the cloud's.") var armEndpoint: String?
    @Option(help: "azure: a Microsoft Graph URL instead of the cloud's (for connection rotate --generate).") var graphEndpoint: String?
    @Option(help: "aws-access-key: the 12-digit account ID.") var accountId: String?
    @Option(help: "aws-access-key: the access key ID.") var accessKeyId: String?
    @Option(help: "aws: default region.") var region: String?
    @Option(help: "aws-access-key: an STS endpoint instead of https://sts.REGION.amazonaws.com.") var stsEndpoint: String?
    @Option(help: "aws-assume-role, aws-cross-account: the role ARN.") var roleArn: String?
    @Option(help: "aws-assume-role: the role session name.") var sessionName: String?
    @Option(help: "aws-assume-role, aws-cross-account: the aws-access-key connection that assumes the role; omit it for the server's own AWS identity where the server allows that (HITCH_AWS_AMBIENT_IDENTITY=1).")
    var via: String?
    @Option(help: "gcp: the project ID.") var projectId: String?
    @Option(help: "gcp: a Resource Manager URL instead of Google's.") var apiEndpoint: String?
    @Option(help: "api-key: admin or connector.") var tokenType: String?
    @Option(help: "api-key: how long the key stays valid from now, e.g. 90d (its expiry; none by default).")
    var expires: DurationArgument?
    @Option(help: "api-key: when the key stops being valid, in UTC, e.g. 2027-03-01T00:00:00Z.") var expiresAt: String?

    @Flag(help: "vsphere, nutanix: read the password from stdin.") var passwordStdin = false
    @Flag(help: "azure: read the client secret from stdin.") var clientSecretStdin = false
    @Flag(help: "aws-access-key: read the secret access key from stdin.") var secretAccessKeyStdin = false
    @Flag(help: "aws-cross-account: read the external ID from stdin.") var externalIdStdin = false
    @Flag(help: "aws-cross-account: let Hitch generate the external ID (shown once).") var generateExternalId = false
    @Option(help: "gcp: the service account JSON key file, or - for stdin.") var keyFile: String?

    private var plainValues: [(field: String, value: FieldValue?)] {
        [
            ("vcenter", vcenter.map(FieldValue.string)), ("endpoint", endpoint.map(FieldValue.string)),
            ("username", username.map(FieldValue.string)), ("datacenter", datacenter.map(FieldValue.string)),
            ("cluster", cluster.map(FieldValue.string)), ("host", host.map(FieldValue.string)),
            ("resourcePool", resourcePool.map(FieldValue.string)), ("datastore", datastore.map(FieldValue.string)),
            ("folder", folder.map(FieldValue.string)), ("clusterName", clusterName.map(FieldValue.string)),
            ("insecure", insecure.map(FieldValue.boolean)), ("thumbprint", thumbprint.map(FieldValue.string)),
            ("tenantId", tenantId.map(FieldValue.string)), ("clientId", clientId.map(FieldValue.string)),
            ("subscriptionId", subscriptionId.map(FieldValue.string)), ("cloud", cloud.map(FieldValue.string)),
            ("authorityHost", authorityHost.map(FieldValue.string)), ("armEndpoint", armEndpoint.map(FieldValue.string)),
            ("graphEndpoint", graphEndpoint.map(FieldValue.string)),
            ("accountId", accountId.map(FieldValue.string)), ("accessKeyId", accessKeyId.map(FieldValue.string)),
            ("region", region.map(FieldValue.string)), ("stsEndpoint", stsEndpoint.map(FieldValue.string)), ("roleArn", roleArn.map(FieldValue.string)),
            ("sessionName", sessionName.map(FieldValue.string)), ("via", via.map(FieldValue.string)),
            ("projectId", projectId.map(FieldValue.string)), ("apiEndpoint", apiEndpoint.map(FieldValue.string)), ("tokenType", tokenType.map(FieldValue.string)),
            ("expiresAt", (expires.map { Timestamps.text(Date().addingTimeInterval(TimeInterval($0.seconds))) } ?? expiresAt).map(FieldValue.string)),
        ]
    }

    /// Secret field to the flag that supplies it, when that flag is given.
    private var secretSources: [(field: String, flag: String, read: () throws -> String)] {
        var sources: [(String, String, () throws -> String)] = []
        if passwordStdin { sources.append(("password", "--password-stdin", SecretInput.readStdin)) }
        if clientSecretStdin { sources.append(("clientSecret", "--client-secret-stdin", SecretInput.readStdin)) }
        if secretAccessKeyStdin {
            sources.append(("secretAccessKey", "--secret-access-key-stdin", SecretInput.readStdin))
        }
        if externalIdStdin { sources.append(("externalId", "--external-id-stdin", SecretInput.readStdin)) }
        if let keyFile { sources.append(("serviceAccountKey", "--key-file", { try SecretInput.readFile(keyFile) })) }
        return sources
    }

    func validate() throws {
        let readsStdin = [passwordStdin, clientSecretStdin, secretAccessKeyStdin, externalIdStdin, keyFile == "-"]
        if readsStdin.filter({ $0 }).count > 1 { throw ValidationError("only one secret can be read from stdin") }
        if externalIdStdin && generateExternalId {
            throw ValidationError("use --external-id-stdin or --generate-external-id, not both")
        }
        if expires != nil && expiresAt != nil { throw ValidationError("use --expires or --expires-at, not both") }
    }

    /// The values for a connection of `kind`; a flag that is not one of the kind's fields is a usage error.
    func values(for kind: ConnectionKind) throws -> (fields: [String: FieldValue], secrets: [String: String], generate: [String]) {
        let schema = kind.schema
        var fields: [String: FieldValue] = [:]
        for (field, value) in plainValues {
            guard let value else { continue }
            guard schema.field(named: field) != nil else {
                throw CLIError.usage("--\(Self.flagName(field)) is not a flag of kind \(kind.rawValue)")
            }
            fields[field] = value
        }
        var secrets: [String: String] = [:]
        for source in secretSources {
            guard schema.field(named: source.field)?.isSecret == true else {
                throw CLIError.usage("\(source.flag) is not a flag of kind \(kind.rawValue)")
            }
            secrets[source.field] = try source.read()
        }
        if generateExternalId && kind != .awsCrossAccount {
            throw CLIError.usage("--generate-external-id is a flag of kind aws-cross-account only")
        }
        return (fields, secrets, generateExternalId ? ["externalId"] : [])
    }

    static func flagName(_ field: String) -> String {
        field.reduce(into: "") { name, character in
            if character.isUppercase { name += "-" + character.lowercased() } else { name.append(character) }
        }
    }
}

extension FieldValue {
    var apiValue: Components.Schemas.FieldValue {
        switch self {
        case .string(let text): .case1(text)
        case .boolean(let flag): .case2(flag)
        }
    }
}
