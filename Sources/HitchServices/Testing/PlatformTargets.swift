import Foundation
import HitchDomain
import HitchPlatforms
import HitchStorage

/// A connection's stored values as each platform's code takes them: one mapping for tests, sessions and leases.
enum PlatformTargets {
    struct Values {
        let fields: [String: FieldValue]
        let secrets: [String: SecretValue]
        /// The certificate the connection first passed with (vsphere, nutanix without a pin).
        var remembered: String?

        init(fields: [String: FieldValue], secrets: [String: SecretValue], remembered: String? = nil) {
            self.fields = fields
            self.secrets = secrets
            self.remembered = remembered
        }

        /// A connection's values, with the certificate it remembers.
        init(_ record: ConnectionRecord, secrets: [String: SecretValue]) {
            self.init(fields: record.fields, secrets: secrets, remembered: record.knownCertificate?.thumbprint)
        }

        func text(_ name: String) -> String? {
            if case .string(let value)? = fields[name], !value.isEmpty { return value }
            return nil
        }

        func flag(_ name: String) -> Bool {
            if case .boolean(let value)? = fields[name] { return value }
            return false
        }

        func url(_ name: String) -> URL? { text(name).flatMap(URL.init(string:)) }
        func secret(_ name: String) -> SecretValue { secrets[name] ?? SecretValue("") }
    }

    static func vsphere(_ values: Values) -> VSphereTarget {
        let objects = ["datacenter", "cluster", "host", "resourcePool", "datastore", "folder"]
            .reduce(into: [String: String]()) { $0[$1] = values.text($1) }
        var target = VSphereTarget(
            vcenter: values.text("vcenter") ?? "", username: values.text("username") ?? "", password: values.secret("password"),
            objects: objects, insecure: values.flag("insecure"), thumbprint: values.text("thumbprint"))
        target.rememberedThumbprint = values.remembered
        return target
    }

    static func nutanix(_ values: Values) -> NutanixTarget {
        var target = NutanixTarget(
            endpoint: values.text("endpoint") ?? "", username: values.text("username") ?? "", password: values.secret("password"),
            clusterName: values.text("clusterName"), insecure: values.flag("insecure"), thumbprint: values.text("thumbprint"))
        target.rememberedThumbprint = values.remembered
        return target
    }

    static func azure(_ values: Values, tlsPolicy: TLSPolicy = .systemTrust) -> AzureTarget {
        AzureTarget(
            tenantId: values.text("tenantId") ?? "", clientId: values.text("clientId") ?? "",
            clientSecret: values.secret("clientSecret"), subscriptionId: values.text("subscriptionId") ?? "",
            cloud: values.text("cloud") ?? "public", authorityHost: values.url("authorityHost"),
            armEndpoint: values.url("armEndpoint"), graphEndpoint: values.url("graphEndpoint"), tlsPolicy: tlsPolicy)
    }

    static func gcp(_ values: Values, tlsPolicy: TLSPolicy = .systemTrust) -> GCPTarget {
        GCPTarget(
            projectId: values.text("projectId") ?? "", serviceAccountKey: values.secret("serviceAccountKey"),
            apiEndpoint: values.url("apiEndpoint"), tlsPolicy: tlsPolicy)
    }

    static func awsAccessKey(_ values: Values) -> AWSAccessKeyTarget {
        AWSAccessKeyTarget(
            accountId: values.text("accountId") ?? "",
            credentials: .init(accessKeyId: values.text("accessKeyId") ?? "", secretAccessKey: values.secret("secretAccessKey")),
            region: values.text("region") ?? "us-east-1", stsEndpoint: values.url("stsEndpoint"))
    }

    /// A role, assumed with the `via` key's credentials at the `via` key's STS endpoint (or with the server's own
    /// identity, which carries a session token); nil when `via` is not an access key.
    static func assumeRole(_ values: Values, via: Values, defaultSessionName: String) -> AWSAssumeRoleTarget? {
        guard let keyId = via.text("accessKeyId") else { return nil }
        return AWSAssumeRoleTarget(
            roleArn: values.text("roleArn") ?? "", sessionName: values.text("sessionName") ?? defaultSessionName,
            externalId: values.secrets["externalId"], region: values.text("region") ?? via.text("region") ?? "us-east-1",
            via: .init(accessKeyId: keyId, secretAccessKey: via.secret("secretAccessKey"), sessionToken: via.secrets["sessionToken"]),
            stsEndpoint: via.url("stsEndpoint"))
    }
}
