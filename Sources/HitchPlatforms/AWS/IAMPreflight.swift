import Foundation
import HitchDomain
import NIOCore

/// The least-privilege preflight of an AWS identity: `iam:SimulatePrincipalPolicy` for the key's IAM user (or the
/// connection's role, assumed first) against the actions of Hitch's documented policy (`CloudPermissions.aws`).
/// An identity that may not simulate its own policy gets a report whose entries are unknown, a clear "cannot
/// check", and the documented policy.
public enum IAMPreflight {
    /// Who is checked: the credentials that sign, and the principal whose policies are simulated.
    struct Principal {
        let credentials: SigV4Signer.Credentials
        let arn: String
        let account: String
    }

    public static func check(_ target: AWSAccessKeyTarget, scope: PreflightScope, timeout: TimeAmount = .seconds(15), now: Date = Date()) async throws(PlatformSessionError) -> PreflightReport {
        do {
            let sts = try HTTPSLocation(target.stsEndpoint ?? STSTester.defaultEndpoint(region: target.region), allowLoopbackHTTP: true)
            let identity = try await STSTester.call(
                "Action=GetCallerIdentity&Version=2011-06-15", at: sts, credentials: target.credentials, region: target.region,
                timeout: timeout, now: now)
            let principal = Principal(
                credentials: target.credentials, arn: identity.first("Arn")?.text ?? "", account: identity.first("Account")?.text ?? "")
            return try await report(for: principal, scope: scope, region: target.region, stsEndpoint: target.stsEndpoint, timeout: timeout, now: now)
        } catch let failure as StageFailure {
            throw PlatformSessionError(failure)
        } catch {
            throw PlatformSessionError(StageFailure(.authorize, .error, "AWS could not be asked"))
        }
    }

    /// A role's policies, simulated with the role's own temporary credentials (the via key assumes it first).
    public static func check(_ target: AWSAssumeRoleTarget, scope: PreflightScope, timeout: TimeAmount = .seconds(15), now: Date = Date()) async throws(PlatformSessionError) -> PreflightReport {
        let temporary = try await STSLease.assumeRole(target, seconds: 900, timeout: timeout, now: now)
        let credentials = SigV4Signer.Credentials(
            accessKeyId: temporary.accessKeyId, secretAccessKey: temporary.secretAccessKey, sessionToken: temporary.sessionToken)
        let account = target.roleArn.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).first.map(String.init) ?? ""
        do {
            return try await report(
                for: Principal(credentials: credentials, arn: target.roleArn, account: account), scope: scope, region: target.region,
                stsEndpoint: target.stsEndpoint, timeout: timeout, now: now)
        } catch let failure as StageFailure {
            throw PlatformSessionError(failure)
        } catch {
            throw PlatformSessionError(StageFailure(.authorize, .error, "AWS could not be asked"))
        }
    }

    private static func report(
        for principal: Principal, scope: PreflightScope, region: String, stsEndpoint: URL?, timeout: TimeAmount, now: Date
    ) async throws -> PreflightReport {
        let actions = CloudPermissions.aws.map(\.id) + CloudPermissions.awsAdministrative
        var warnings: [String] = []
        var allowed: Set<String>?
        do {
            allowed = try await simulate(actions, for: principal, endpoint: iamEndpoint(stsEndpoint: stsEndpoint, region: region), timeout: timeout, now: now)
        } catch let failure as StageFailure where failure.code != .authFailed {
            warnings.append(
                "cannot check: \(principal.arn) may not call iam:SimulatePrincipalPolicy on itself (\(failure.message)); "
                    + "allow it, or attach the documented policy below and check by hand")
        }
        return PreflightReport.checking(
            CloudPermissions.aws, administrative: CloudPermissions.awsAdministrative, isGranted: { action in allowed.map { $0.contains(action) } },
            scope: scope, location: "account \(principal.account)", username: principal.arn, holder: "the identity", warnings: warnings
        ) { CloudRemedy.aws(scope: scope) }
    }

    /// IAM's endpoint and signing region: the partition's global endpoint, unless the connection names a private
    /// or emulated STS endpoint outside AWS's domains, which then serves IAM too (a local emulator does).
    static func iamEndpoint(stsEndpoint: URL?, region: String) -> (url: URL, region: String) {
        if let stsEndpoint, let host = stsEndpoint.host, !host.hasSuffix(".amazonaws.com"), !host.hasSuffix(".amazonaws.com.cn") {
            return (stsEndpoint, "us-east-1")
        }
        if region.hasPrefix("cn-") { return (URL(string: "https://iam.cn-north-1.amazonaws.com.cn")!, "cn-north-1") }
        if region.hasPrefix("us-gov-") { return (URL(string: "https://iam.us-gov.amazonaws.com")!, "us-gov-west-1") }
        return (URL(string: "https://iam.amazonaws.com")!, "us-east-1")
    }

    /// The actions IAM's simulation allows the principal (`EvalDecision` `allowed`).
    private static func simulate(
        _ actions: [String], for principal: Principal, endpoint: (url: URL, region: String), timeout: TimeAmount, now: Date
    ) async throws -> Set<String> {
        var form = "Action=SimulatePrincipalPolicy"
        for (index, action) in actions.enumerated() { form += "&ActionNames.member.\(index + 1)=" + FormEncoding.escape(action) }
        form += "&PolicySourceArn=" + FormEncoding.escape(principal.arn) + "&Version=2010-05-08"
        let answer = try await STSTester.call(
            form, at: try HTTPSLocation(endpoint.url, allowLoopbackHTTP: true), credentials: principal.credentials,
            region: endpoint.region, service: "iam", timeout: timeout, now: now)
        guard let results = answer.first("EvaluationResults") else {
            throw StageFailure(.authorize, .error, "IAM's simulation answer could not be read")
        }
        return Set(results.children("member").compactMap { member in
            member.child("EvalDecision")?.text == "allowed" ? member.child("EvalActionName")?.text : nil
        })
    }
}
