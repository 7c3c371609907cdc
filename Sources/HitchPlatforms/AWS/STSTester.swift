import Foundation
import HitchDomain
import NIOCore
import NIOHTTP1

/// What an aws-access-key test needs.
public struct AWSAccessKeyTarget: Sendable {
    public var accountId: String
    public var credentials: SigV4Signer.Credentials
    public var region: String
    /// A regional or private STS endpoint; `http://` only on a loopback address (a local emulator).
    public var stsEndpoint: URL?

    public init(accountId: String, credentials: SigV4Signer.Credentials, region: String, stsEndpoint: URL? = nil) {
        self.accountId = accountId
        self.credentials = credentials
        self.region = region
        self.stsEndpoint = stsEndpoint
    }
}

/// Tests an access key with a SigV4-signed STS `GetCallerIdentity`; the account it answers must be `accountId`.
public enum STSTester {
    /// STS's regional endpoint: `amazonaws.com`, or `amazonaws.com.cn` in the China regions (`cn-*`).
    static func defaultEndpoint(region: String) -> URL {
        URL(string: "https://sts.\(region).amazonaws.com\(region.hasPrefix("cn-") ? ".cn" : "")")!
    }

    /// A signed query to any AWS query API at `endpoint` (tests set up moto's IAM with it); the answer's XML.
    public static func query(
        _ form: String, endpoint: URL, credentials: SigV4Signer.Credentials, region: String, service: String
    ) async throws -> String {
        let node = try await call(
            form, at: try HTTPSLocation(endpoint, allowLoopbackHTTP: true), credentials: credentials, region: region,
            service: service, timeout: .seconds(15), now: Date())
        func render(_ node: SOAPNode) -> String {
            "<\(node.name)>" + node.text + node.children.map(render).joined() + "</\(node.name)>"
        }
        return render(node)
    }

    public static func testAccessKey(_ target: AWSAccessKeyTarget, timeout: TimeAmount = .seconds(15), now: Date = Date()) async -> TestReport {
        await TestReport.run { report in
            let endpoint = target.stsEndpoint ?? defaultEndpoint(region: target.region)
            let location = try HTTPSLocation(endpoint, allowLoopbackHTTP: true)
            let connection = try await EndpointProbe(
                host: location.host, port: location.port, policy: .systemTrust, timeout: timeout, plainHTTP: location.plainHTTP
            ).open(into: &report.stages)
            defer { connection.close() }
            if location.plainHTTP { report.warnings.append("the STS endpoint is plain HTTP (a local emulator)") }
            let answer = try await call(
                "Action=GetCallerIdentity&Version=2011-06-15", at: location, over: connection, credentials: target.credentials,
                region: target.region, timeout: timeout, now: now)
            guard let account = answer.first("Account")?.text, let arn = answer.first("Arn")?.text else {
                throw StageFailure(.authenticate, .error, "STS's answer could not be read")
            }
            report.stages.append(.ok(.authenticate, "STS knows the key as \(arn)"))
            report.stages.append(.ok(.authorize, "GetCallerIdentity needs no permission"))
            guard account == target.accountId else {
                throw StageFailure(.objects, .notFound, "the key belongs to account \(account), not \(target.accountId)")
            }
            report.stages.append(.ok(.objects, "account \(account)"))
            report.credentialCreatedAt = await keyCreatedAt(target, userArn: arn, timeout: timeout)
        }
    }

    /// The key's CreateDate from IAM ListAccessKeys, for its real age; nil when the key may not list its user's keys
    /// (the test does not need it).
    static func keyCreatedAt(_ target: AWSAccessKeyTarget, userArn: String, timeout: TimeAmount) async -> Date? {
        guard let range = userArn.range(of: ":user/") else { return nil }
        let userName = String(userArn[range.upperBound...].split(separator: "/").last ?? "")
        guard !userName.isEmpty, let keys = try? await IAMAccessKeys(target, timeout: timeout).list(userName: userName) else { return nil }
        return keys.first { $0.accessKeyId == target.credentials.accessKeyId }?.createdAt
    }

    /// One signed query (STS by default), over `connection` or one of its own; an error answer is mapped by its
    /// code, never quoted.
    static func call(
        _ form: String, at location: HTTPSLocation, over connection: PolicyHTTPSConnection? = nil,
        credentials: SigV4Signer.Credentials, region: String, service: String = "sts", timeout: TimeAmount, now: Date
    ) async throws -> SOAPNode {
        let hostHeader = location.port == (location.plainHTTP ? 80 : 443) ? location.host : "\(location.host):\(location.port)"
        let contentType = "application/x-www-form-urlencoded; charset=utf-8"
        let path = location.path.isEmpty ? "/" : location.path
        let signed = SigV4Signer(credentials: credentials, region: region, service: service).sign(
            method: "POST", host: hostHeader, path: path, query: "", headers: [("Content-Type", contentType)],
            body: Array(form.utf8), at: now)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        for (name, value) in signed { headers.add(name: name, value: value) }
        headers.replaceOrAdd(name: "Host", value: hostHeader)
        let response = try await location.send(
            .POST, path: path, headers: headers, body: form, policy: .systemTrust, timeout: timeout, stage: .authenticate,
            over: connection)
        guard let node = SOAPNode.parse(Data(response.body.readableBytesView)) else {
            throw StageFailure(.authenticate, .error, "STS answered \(response.status.code) with nothing readable")
        }
        if response.status != .ok {
            let code = node.first("Code")?.text ?? "HTTP \(response.status.code)"
            switch code {
            case "SignatureDoesNotMatch", "InvalidClientTokenId", "IncompleteSignature", "ExpiredToken":
                throw StageFailure(.authenticate, .authFailed, "STS refused the key (\(code)); not retried")
            case "AccessDenied":
                throw StageFailure(.authorize, .insufficientPrivileges, "STS denied the call (\(code))")
            default:
                throw StageFailure(.authenticate, .error, "STS answered \(code)")
            }
        }
        return node
    }
}

/// What an aws-assume-role or aws-cross-account test needs: the role, and the access key (of the `via`
/// connection) that assumes it.
public struct AWSAssumeRoleTarget: Sendable {
    public var roleArn: String
    public var sessionName: String
    /// Required by a cross-account role's trust policy.
    public var externalId: SecretValue?
    public var region: String
    public var via: SigV4Signer.Credentials
    public var stsEndpoint: URL?

    public init(
        roleArn: String, sessionName: String, externalId: SecretValue?, region: String, via: SigV4Signer.Credentials,
        stsEndpoint: URL?
    ) {
        self.roleArn = roleArn
        self.sessionName = sessionName
        self.externalId = externalId
        self.region = region
        self.via = via
        self.stsEndpoint = stsEndpoint
    }
}

extension STSTester {
    /// `AssumeRole` (with the `ExternalId` when there is one) signed with the `via` key, then `GetCallerIdentity`
    /// with the temporary credentials, whose account must be the role's.
    public static func testAssumeRole(_ target: AWSAssumeRoleTarget, timeout: TimeAmount = .seconds(15), now: Date = Date()) async -> TestReport {
        await TestReport.run { report in
            let endpoint = target.stsEndpoint ?? defaultEndpoint(region: target.region)
            let location = try HTTPSLocation(endpoint, allowLoopbackHTTP: true)
            let connection = try await EndpointProbe(
                host: location.host, port: location.port, policy: .systemTrust, timeout: timeout, plainHTTP: location.plainHTTP
            ).open(into: &report.stages)
            defer { connection.close() }
            if location.plainHTTP { report.warnings.append("the STS endpoint is plain HTTP (a local emulator)") }
            var form = "Action=AssumeRole&DurationSeconds=900"
            if let externalId = target.externalId { form += "&ExternalId=" + FormEncoding.escape(externalId.exposedValue) }
            form += "&RoleArn=" + FormEncoding.escape(target.roleArn) + "&RoleSessionName="
                + FormEncoding.escape(target.sessionName) + "&Version=2011-06-15"
            let assumed: SOAPNode
            do {
                assumed = try await call(
                    form, at: location, over: connection, credentials: target.via, region: target.region, timeout: timeout,
                    now: now)
            } catch let failure as StageFailure where failure.code == .insufficientPrivileges {
                throw StageFailure(
                    .authorize, .insufficientPrivileges,
                    "AssumeRole was denied: the role's trust policy (or its external ID condition) refuses this caller")
            }
            guard let keyId = assumed.first("AccessKeyId")?.text, let secret = assumed.first("SecretAccessKey")?.text,
                let token = assumed.first("SessionToken")?.text
            else { throw StageFailure(.authenticate, .error, "STS's AssumeRole answer could not be read") }
            report.stages.append(.ok(.authenticate, "assumed \(target.roleArn) with the via key"))
            let temporary = SigV4Signer.Credentials(
                accessKeyId: keyId, secretAccessKey: SecretValue(secret), sessionToken: SecretValue(token))
            let identity = try await call(
                "Action=GetCallerIdentity&Version=2011-06-15", at: location, credentials: temporary, region: target.region,
                timeout: timeout, now: now)
            let account = identity.first("Account")?.text ?? ""
            report.stages.append(.ok(.authorize, "the temporary credentials work"))
            let roleAccount = target.roleArn.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).first.map(String.init) ?? ""
            guard account == roleAccount else {
                throw StageFailure(.objects, .notFound, "the credentials act in account \(account), not the role's \(roleAccount)")
            }
            report.stages.append(.ok(.objects, "acting as the role in account \(account)"))
        }
    }
}
