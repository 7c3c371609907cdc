import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchPlatforms
import Hummingbird
import NIOCore
import Testing

/// The AWS preflight: against a local server shaped like STS's GetCallerIdentity and IAM's
/// SimulatePrincipalPolicy, and against moto with signature checking on, where the test user may not simulate its
/// own policy (moto does not implement the call either): every entry is then unknown, with the policy to attach.
@Suite struct IAMPreflightTests {
    static let userArn = "arn:aws:iam::123456789012:user/svc-hitch"

    /// One query endpoint for both services, as a local emulator has: the caller is svc-hitch, whose policy allows
    /// EC2 and nothing of SSM.
    static var router: Router<BasicRequestContext> {
        let router = Router()
        router.post("/") { request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 16))
            let form = FormFields.pairs(body)
            let values = FormFields.dictionary(body)
            guard request.headers[.authorization]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIATESTPREFLIGHT001/") == true else {
                return xml(.forbidden, "<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>")
            }
            switch values["Action"] {
            case "GetCallerIdentity":
                return xml(.ok, "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>\(userArn)</Arn><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>")
            case "SimulatePrincipalPolicy":
                guard values["PolicySourceArn"] == userArn,
                    request.headers[.authorization]?.contains("/us-east-1/iam/aws4_request") == true
                else { return xml(.badRequest, "<ErrorResponse><Error><Code>InvalidInput</Code></Error></ErrorResponse>") }
                let members = form.filter { $0.0.hasPrefix("ActionNames.member.") }.map(\.1).map { action in
                    "<member><EvalActionName>\(action)</EvalActionName><EvalDecision>\(action.hasPrefix("ec2:") ? "allowed" : "implicitDeny")</EvalDecision></member>"
                }
                return xml(.ok, "<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>\(members.joined())</EvaluationResults></SimulatePrincipalPolicyResult></SimulatePrincipalPolicyResponse>")
            default:
                return xml(.badRequest, "<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>")
            }
        }
        return router
    }

    static func xml(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/xml"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Test func simulatedForTheKeysUser() async throws {
        try await LocalTLSServer.run(Self.router, plainHTTP: true) { server in
            let target = AWSAccessKeyTarget(
                accountId: "123456789012",
                credentials: .init(accessKeyId: "AKIATESTPREFLIGHT001", secretAccessKey: SecretValue("local-preflight-secret")),
                region: "eu-west-1", stsEndpoint: URL(string: "http://127.0.0.1:\(server.port)")!)
            try await EgressPolicy.$current.withValue(EgressPolicy(allowsLoopbackHTTP: true)) {
                let images = try await IAMPreflight.check(target, scope: .images)
                #expect(images.missing.isEmpty && images.unknown.isEmpty && images.username == Self.userArn, "\(images)")
                #expect(images.datacenter == "account 123456789012" && images.capability == .discovery)
                let scripts = try await IAMPreflight.check(target, scope: .scriptedActions)
                #expect(Set(scripts.missing.map(\.id)) == ["ssm:SendCommand", "ssm:GetCommandInvocation", "ssm:DescribeInstanceInformation"])
                #expect(scripts.remedy.last?.contains(#""ssm:SendCommand""#) == true, "the policy JSON: \(scripts.remedy)")
                #expect(scripts.warnings.isEmpty, "no administrator actions allowed")
            }
        }
    }

    @Test func iamEndpointByPartition() {
        #expect(IAMPreflight.iamEndpoint(stsEndpoint: nil, region: "eu-west-1").url.absoluteString == "https://iam.amazonaws.com")
        #expect(IAMPreflight.iamEndpoint(stsEndpoint: nil, region: "cn-north-1").region == "cn-north-1")
        #expect(IAMPreflight.iamEndpoint(stsEndpoint: URL(string: "https://sts.eu-west-1.amazonaws.com")!, region: "eu-west-1").url.host == "iam.amazonaws.com")
        #expect(IAMPreflight.iamEndpoint(stsEndpoint: URL(string: "https://aws.emulator.internal")!, region: "eu-west-1").url.host == "aws.emulator.internal")
    }

    @Test(.enabled(if: MotoAccount.url != nil, "moto runs under scripts/test"))
    func anIdentityThatMayNotSimulateGetsUnknownsAndThePolicy() async throws {
        let account = try await MotoAccount.shared.fixture()
        let target = AWSAccessKeyTarget(
            accountId: account.accountId,
            credentials: .init(accessKeyId: account.accessKeyId, secretAccessKey: SecretValue(account.secretAccessKey)),
            region: "eu-west-1", stsEndpoint: account.url)
        try await EgressPolicy.$current.withValue(EgressPolicy(allowsLoopbackHTTP: true)) {
            let report = try await IAMPreflight.check(target, scope: .images)
            #expect(report.username == "arn:aws:iam::123456789012:user/\(account.userName)", "moto checked the signature: \(report.username)")
            #expect(report.missing.isEmpty && report.unknown.count == CloudPermissions.required(of: .awsAccessKey, for: .images).count)
            #expect(report.warnings.contains { $0.hasPrefix("cannot check:") }, "\(report.warnings)")
            #expect(report.remedy.last?.contains(#""ec2:CreateImage""#) == true)
            #expect(report.capability == .none, "nothing known is not discovery")
        }
    }
}
