import Foundation
import HitchDomain
import HitchPlatforms
import HitchServices
import Hummingbird
import NIOCore
import Synchronization
import Testing

/// Test Connection for nutanix against a local server shaped like Prism Central's v3 API, which checks the basic
/// authorization header and the list request it is sent.
@Suite struct NutanixTesterTests {
    static let username = "svc-hitch"
    static let password = "prism-pw-7c1"

    /// `POST /api/nutanix/v3/clusters/list` as Prism Central answers it: 401 without the right basic credentials,
    /// 403 for an account without the right, else the clusters (Prism Central lists itself too).
    static var prism: Router<BasicRequestContext> {
        let router = Router()
        router.post("/api/nutanix/v3/clusters/list", use: clusters)
        return router
    }

    @Sendable static func clusters(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let expected = "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        let noRights = "Basic " + Data("no-rights:\(password)".utf8).base64EncodedString()
        let authorization = request.headers[.authorization]
        if authorization == noRights { return json(.forbidden, #"{"state":"ERROR","code":403,"message_list":[{"message":"Access denied"}]}"#) }
        guard authorization == expected else {
            return json(.unauthorized, #"{"state":"ERROR","code":401,"message_list":[{"message":"Authentication required."}]}"#)
        }
        let body = try await request.body.collect(upTo: 1 << 16)
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        guard request.headers[.contentType]?.hasPrefix("application/json") == true, object?["kind"] as? String == "cluster" else {
            return json(.unprocessableContent, #"{"state":"ERROR","code":422,"message_list":[{"message":"kind is required"}]}"#)
        }
        return json(.ok, """
            {"api_version":"3.1","metadata":{"kind":"cluster","total_matches":2,"length":2,"offset":0},
             "entities":[
              {"status":{"name":"Prod-Cluster","resources":{"config":{"service_list":["AOS"]}}},"spec":{"name":"Prod-Cluster"},"metadata":{"kind":"cluster","uuid":"0005a1b2-c3d4-e5f6-0000-000000000001"}},
              {"status":{"name":"PC-01","resources":{"config":{"service_list":["PRISM_CENTRAL"]}}},"spec":{"name":"PC-01"},"metadata":{"kind":"cluster","uuid":"0005a1b2-c3d4-e5f6-0000-000000000002"}}]}
            """)
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func target(_ server: LocalTLSServer.Running, username: String = username, password: String = password,
                cluster: String? = "Prod-Cluster", pin: Bool = true, insecure: Bool = false) -> NutanixTarget {
        NutanixTarget(
            endpoint: "127.0.0.1:\(server.port)", username: username, password: SecretValue(password), clusterName: cluster,
            insecure: insecure, thumbprint: pin ? server.thumbprint : nil)
    }

    @Test func everyCase() async throws {
        try await LocalTLSServer.run(Self.prism) { server in
            let passed = await NutanixTester.test(target(server))
            #expect(passed.passed, "\(passed)")
            #expect(passed.stages.map(\.stage) == TestStage.direct)

            let wrong = await NutanixTester.test(target(server, password: "not-it"))
            #expect(wrong.failedStage?.stage == .authenticate && wrong.failedStage?.failure == .authFailed)

            let forbidden = await NutanixTester.test(target(server, username: "no-rights"))
            #expect(forbidden.failedStage?.failure == .insufficientPrivileges)

            let wrongCase = await NutanixTester.test(target(server, cluster: "prod-cluster"))
            #expect(wrongCase.failedStage?.message == "cluster 'prod-cluster' not found; did you mean 'Prod-Cluster'?")

            let untrusted = await NutanixTester.test(target(server, pin: false))
            #expect(untrusted.failedStage?.failure == .tlsUntrusted && untrusted.failedStage?.certificate?.thumbprint == server.thumbprint)

            let insecure = await NutanixTester.test(target(server, pin: false, insecure: true))
            #expect(insecure.passed && !insecure.warnings.isEmpty)
            for report in [passed, wrong, forbidden, wrongCase, untrusted, insecure] {
                #expect(!"\(report)".contains(Self.password))
            }
        }
    }

    /// The certificate is judged inside the handshake of the connection that carries the password: a server whose
    /// certificate fails the pin or the system's trust never receives a request.
    @Test func passwordNeverReachesAnUnverifiedServer() async throws {
        let requests = Mutex(0)
        let router = Router()
        router.post("/api/nutanix/v3/clusters/list") { request, context -> Response in
            requests.withLock { $0 += 1 }
            return try await Self.clusters(request, context)
        }
        try await LocalTLSServer.run(router) { server in
            var wrongPin = target(server)
            wrongPin.thumbprint = String(repeating: "ab", count: 32)
            let pinned = await NutanixTester.test(wrongPin)
            #expect(pinned.failedStage?.stage == .tls && pinned.failedStage?.failure == .tlsUntrusted, "\(pinned)")
            #expect(pinned.failedStage?.certificate?.thumbprint == server.thumbprint)
            let untrusted = await NutanixTester.test(target(server, pin: false))
            #expect(untrusted.failedStage?.stage == .tls && untrusted.failedStage?.failure == .tlsUntrusted)
            #expect(requests.withLock { $0 } == 0)

            #expect(await NutanixTester.test(target(server)).passed)
            #expect(requests.withLock { $0 } == 1, "one handshake and one request per test")
        }
    }
}
