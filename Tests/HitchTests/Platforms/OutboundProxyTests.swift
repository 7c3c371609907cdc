import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchPlatforms
@testable import HitchServices
import NIOCore
import Testing

/// Connections through an outbound proxy with CONNECT, against a small proxy on 127.0.0.1: the tunnel is used, the
/// pin still applies to the real destination, NO_PROXY bypasses it, and a proxy that fails or refuses is its own
/// stage and code. Through the API too, with the server's HTTPS_PROXY.
@Suite struct OutboundProxyTests {
    /// Generous: the proxy is a Python peer, and the full suite loads a 2-core machine. The tests are about the
    /// tunnel, not its speed.
    static let timeout = TimeAmount.seconds(60)

    func target(_ server: LocalTLSServer.Running, pin: String? = nil) -> NutanixTarget {
        NutanixTarget(
            endpoint: "127.0.0.1:\(server.port)", username: NutanixTesterTests.username, password: SecretValue(NutanixTesterTests.password),
            clusterName: "Prod-Cluster", insecure: false, thumbprint: pin ?? server.thumbprint)
    }

    @Test func throughTheTunnelThePinStillHolds() async throws {
        let proxy = try ConnectProxyPeer()
        defer { proxy.stop() }
        try await LocalTLSServer.run(NutanixTesterTests.prism) { server in
            let policy = EgressPolicy(proxy: OutboundProxy(url: proxy.url))
            let passed = await EgressPolicy.$current.withValue(policy) { await NutanixTester.test(target(server), timeout: Self.timeout) }
            #expect(passed.passed, "\(passed)")
            #expect(passed.stages.map(\.stage) == TestStage.allCases, "the proxy is a stage of its own")
            #expect(proxy.tunnels == ["127.0.0.1:\(server.port)"], "the connection went through the proxy")

            let wrongPin = String(repeating: "ab", count: 32)
            let refused = await EgressPolicy.$current.withValue(policy) { await NutanixTester.test(target(server, pin: wrongPin), timeout: Self.timeout) }
            #expect(refused.failedStage?.stage == .tls && refused.failedStage?.failure == .tlsUntrusted, "the pin is the destination's: \(refused)")
            #expect(refused.failedStage?.certificate?.thumbprint == server.thumbprint)

            let bypassed = EgressPolicy(proxy: OutboundProxy(url: proxy.url, noProxy: "example.com, 127.0.0.1"))
            let direct = await EgressPolicy.$current.withValue(bypassed) { await NutanixTester.test(target(server), timeout: Self.timeout) }
            #expect(direct.passed && direct.stages.map(\.stage) == TestStage.direct, "NO_PROXY: \(direct)")
            #expect(proxy.tunnels.count == 2, "no tunnel for a bypassed host")
        }
    }

    @Test func aFailingProxyIsItsOwnStage() async throws {
        let guarded = try ConnectProxyPeer(arguments: ["--user", "hitch:proxy-pw-1"])
        defer { guarded.stop() }
        try await LocalTLSServer.run(NutanixTesterTests.prism) { server in
            func test(_ url: String) async -> TestReport {
                await EgressPolicy.$current.withValue(EgressPolicy(proxy: OutboundProxy(url: url))) { await NutanixTester.test(target(server), timeout: Self.timeout) }
            }
            let unauthenticated = await test(guarded.url)
            #expect(unauthenticated.failedStage?.stage == .proxy && unauthenticated.failedStage?.failure == .proxyFailed)
            #expect(unauthenticated.failedStage?.message.contains("407") == true, "\(unauthenticated)")
            let authenticated = await test("http://hitch:proxy-pw-1@127.0.0.1:\(guarded.port)")
            #expect(authenticated.passed, "\(authenticated)")
            #expect(!"\(authenticated)".contains("proxy-pw-1"), "the proxy's password is in no report")

            let closedPort = await test("http://127.0.0.1:1")
            #expect(closedPort.failedStage?.stage == .proxy && closedPort.failedStage?.failure == .proxyFailed, "\(closedPort)")
        }
        let unreachable = await EgressPolicy.$current.withValue(EgressPolicy(proxy: OutboundProxy(url: guarded.url.replacingOccurrences(of: "http://", with: "http://hitch:proxy-pw-1@")))) {
            await NutanixTester.test(NutanixTarget(
                endpoint: "127.0.0.1:1", username: "u", password: SecretValue("p"), clusterName: nil, insecure: false,
                thumbprint: String(repeating: "ab", count: 32)), timeout: Self.timeout)
        }
        #expect(unreachable.failedStage?.stage == .connect && unreachable.failedStage?.failure == .unreachable, "the destination's failure: \(unreachable)")
    }

    @Test func settings() throws {
        #expect(try EgressSettings.proxy([:]) == nil)
        let proxy = try #require(try EgressSettings.proxy(["https_proxy": "http://proxy.corp:3128", "no_proxy": ".corp.example,vc01"]))
        #expect(proxy.host == "proxy.corp" && proxy.port == 3128)
        #expect(!proxy.applies(to: "vc02.corp.example") && !proxy.applies(to: "VC01") && proxy.applies(to: "management.azure.com"))
        #expect(throws: HitchError.self) { try EgressSettings.proxy(["HTTPS_PROXY": "socks5://proxy:1080"]) }
        #expect(OutboundProxy(url: "http://proxy:8080", noProxy: "*")?.applies(to: "anything") == false)
    }

    @Test(arguments: TestBackend.all)
    func theServersProxyCarriesATest(backend: TestBackend) async throws {
        let proxy = try ConnectProxyPeer()
        defer { proxy.stop() }
        try await LocalTLSServer.run(NutanixTesterTests.prism) { server in
            try await withAPI(backend, environment: TestBackend.environment.merging(["HTTPS_PROXY": proxy.url]) { $1 }) { client, _ in
                #expect(try await client.call(.post, "/v1/connections", json: [
                    "kind": "nutanix", "name": "prism-discovery-lab",
                    "fields": ["endpoint": "127.0.0.1:\(server.port)", "username": NutanixTesterTests.username, "thumbprint": server.thumbprint],
                    "secrets": ["password": NutanixTesterTests.password],
                ]).status == .created)
                let tested = try await client.call(.post, "/v1/connections/prism-discovery-lab/test?timeout=60", json: [String: Any]())
                #expect(tested.json["passed"] as? Bool == true && tested.text.contains("\"proxy\""), "\(tested.text)")
                #expect(proxy.tunnels == ["127.0.0.1:\(server.port)"])
            }
        }
    }
}
