import Foundation
import HitchDomain
import HitchPlatforms
import NIOCore

/// Runs the platform's test for a connection's kind, with its fields and opened secrets.
enum PlatformTests {
    static let defaultDeadline: Duration = .seconds(15)

    /// The test, or a `timeout` at the stage it had not finished when `deadline` passed.
    /// The access-key connection that an assume-role or cross-account connection goes through.
    struct Via: Sendable {
        let fields: [String: FieldValue]
        let secrets: [String: SecretValue]
    }

    /// The platform code runs under `egress`, which it checks before each connection.
    static func run(
        egress: EgressPolicy, kind: ConnectionKind, fields: [String: FieldValue], secrets: [String: SecretValue], via: Via? = nil,
        deadline: Duration = defaultDeadline
    ) async -> TestReport {
        await EgressPolicy.$current.withValue(egress) { await withTaskGroup(of: TestReport?.self) { group in
            group.addTask { await runPlatform(kind: kind, fields: fields, secrets: secrets, via: via, deadline: deadline) }
            group.addTask {
                try? await Task.sleep(for: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? TestReport.timedOut(after: deadline)
        } }
    }

    /// A vsphere connection's values as its platform code takes them.
    static func vsphereTarget(fields: [String: FieldValue], secrets: [String: SecretValue]) -> VSphereTarget {
        func text(_ name: String) -> String? {
            if case .string(let value)? = fields[name], !value.isEmpty { return value }
            return nil
        }
        let objects = ["datacenter", "cluster", "host", "resourcePool", "datastore", "folder"]
            .reduce(into: [String: String]()) { $0[$1] = text($1) }
        var insecure = false
        if case .boolean(let value)? = fields["insecure"] { insecure = value }
        return VSphereTarget(
            vcenter: text("vcenter") ?? "", username: text("username") ?? "", password: secrets["password"] ?? SecretValue(""),
            objects: objects, insecure: insecure, thumbprint: text("thumbprint"))
    }

    private static func runPlatform(
        kind: ConnectionKind, fields: [String: FieldValue], secrets: [String: SecretValue], via: Via?,
        deadline: Duration
    ) async -> TestReport {
        let timeout = TimeAmount.nanoseconds(Int64(deadline.components.seconds) * 1_000_000_000)
        func text(_ name: String) -> String? {
            if case .string(let value)? = fields[name], !value.isEmpty { return value }
            return nil
        }
        func flag(_ name: String) -> Bool {
            if case .boolean(let value)? = fields[name] { return value }
            return false
        }
        switch kind {
        case .vsphere:
            return await VSphereTester.test(vsphereTarget(fields: fields, secrets: secrets), timeout: timeout)
        case .nutanix:
            return await NutanixTester.test(
                NutanixTarget(
                    endpoint: text("endpoint") ?? "", username: text("username") ?? "",
                    password: secrets["password"] ?? SecretValue(""), clusterName: text("clusterName"),
                    insecure: flag("insecure"), thumbprint: text("thumbprint")),
                timeout: timeout)
        case .azure:
            return await AzureTester.test(
                AzureTarget(
                    tenantId: text("tenantId") ?? "", clientId: text("clientId") ?? "",
                    clientSecret: secrets["clientSecret"] ?? SecretValue(""), subscriptionId: text("subscriptionId") ?? "",
                    cloud: text("cloud") ?? "public", authorityHost: text("authorityHost").flatMap(URL.init(string:)),
                    armEndpoint: text("armEndpoint").flatMap(URL.init(string:))),
                timeout: timeout)
        case .gcp:
            return await GCPTester.test(
                GCPTarget(
                    projectId: text("projectId") ?? "", serviceAccountKey: secrets["serviceAccountKey"] ?? SecretValue(""),
                    apiEndpoint: text("apiEndpoint").flatMap(URL.init(string:))),
                timeout: timeout)
        case .awsAccessKey:
            return await STSTester.testAccessKey(
                AWSAccessKeyTarget(
                    accountId: text("accountId") ?? "",
                    credentials: .init(
                        accessKeyId: text("accessKeyId") ?? "",
                        secretAccessKey: secrets["secretAccessKey"] ?? SecretValue("")),
                    region: text("region") ?? "us-east-1", stsEndpoint: text("stsEndpoint").flatMap(URL.init(string:))),
                timeout: timeout)
        case .awsAssumeRole, .awsCrossAccount:
            guard let via, case .string(let viaKey)? = via.fields["accessKeyId"] else {
                return TestReport.failed(.authenticate, "the via connection is missing or is not an aws-access-key")
            }
            var viaEndpoint: URL?
            if case .string(let endpoint)? = via.fields["stsEndpoint"] { viaEndpoint = URL(string: endpoint) }
            var region = text("region")
            if region == nil, case .string(let viaRegion)? = via.fields["region"] { region = viaRegion }
            return await STSTester.testAssumeRole(
                AWSAssumeRoleTarget(
                    roleArn: text("roleArn") ?? "", sessionName: text("sessionName") ?? "hitch",
                    externalId: secrets["externalId"], region: region ?? "us-east-1",
                    via: .init(accessKeyId: viaKey, secretAccessKey: via.secrets["secretAccessKey"] ?? SecretValue("")),
                    stsEndpoint: viaEndpoint),
                timeout: timeout)
        case .apiKey:
            return APIKeyTester.test(
                tokenType: text("tokenType"), key: secrets["key"], expiresAt: text("expiresAt").flatMap(Timestamps.date))
        }
    }
}
