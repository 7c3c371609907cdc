import Foundation
import HitchDomain
import HitchPlatforms
import HitchStorage
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
        egress: EgressPolicy, ambient: AmbientAWSIdentity? = nil, kind: ConnectionKind, fields: [String: FieldValue],
        secrets: [String: SecretValue], via: Via? = nil, remembered: String? = nil, deadline: Duration = defaultDeadline
    ) async -> TestReport {
        let report = await EgressPolicy.$current.withValue(egress) { await withTaskGroup(of: TestReport?.self) { group in
            group.addTask {
                await runPlatform(
                    kind: kind, values: PlatformTargets.Values(fields: fields, secrets: secrets, remembered: remembered), via: via,
                    ambient: ambient, deadline: deadline)
            }
            group.addTask {
                try? await Task.sleep(for: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? TestReport.timedOut(after: deadline)
        } }
        ServerMetrics.connectionTest(kind: kind, report: report)
        return report
    }

    /// A vsphere connection's values as its platform code takes them.
    static func vsphereTarget(_ record: ConnectionRecord, secrets: [String: SecretValue]) -> VSphereTarget {
        PlatformTargets.vsphere(.init(record, secrets: secrets))
    }

    private static func runPlatform(
        kind: ConnectionKind, values: PlatformTargets.Values, via: Via?, ambient: AmbientAWSIdentity?, deadline: Duration
    ) async -> TestReport {
        let timeout = TimeAmount.nanoseconds(Int64(deadline.components.seconds) * 1_000_000_000)
        let (fields, secrets) = (values.fields, values.secrets)
        switch kind {
        case .vsphere:
            return await VSphereTester.test(PlatformTargets.vsphere(values), timeout: timeout)
        case .nutanix:
            return await NutanixTester.test(PlatformTargets.nutanix(values), timeout: timeout)
        case .azure:
            return await AzureTester.test(PlatformTargets.azure(values), timeout: timeout)
        case .gcp:
            return await GCPTester.test(PlatformTargets.gcp(values), timeout: timeout)
        case .awsAccessKey:
            return await STSTester.testAccessKey(PlatformTargets.awsAccessKey(values), timeout: timeout)
        case .awsAssumeRole, .awsCrossAccount:
            var via = via
            if via == nil {
                do {
                    via = try await AmbientAWSIdentity.via(for: kind, fields: fields, from: ambient)
                } catch {
                    return TestReport.failed(.authenticate, error.message)
                }
            }
            guard let via,
                let target = PlatformTargets.assumeRole(
                    values, via: .init(fields: via.fields, secrets: via.secrets), defaultSessionName: "hitch")
            else {
                return TestReport.failed(.authenticate, "the via connection is missing or is not an aws-access-key")
            }
            return await STSTester.testAssumeRole(target, timeout: timeout)
        case .apiKey:
            return APIKeyTester.test(
                tokenType: values.text("tokenType"), key: secrets["key"], expiresAt: values.text("expiresAt").flatMap(Timestamps.date))
        }
    }
}
