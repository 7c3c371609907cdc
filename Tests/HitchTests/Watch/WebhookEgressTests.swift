import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchPlatforms
@testable import HitchServices
import HitchStorage
import Testing

/// A webhook's receiver is reached like a platform: under the server's egress policy, checked on the resolved
/// address before anything is sent. Both backends.
@Suite struct WebhookEgressTests {
    static func event(at date: Date) -> WatchEvent {
        WatchEvent(
            name: .statusChanged, at: date, connection: "vcenter-prod", kind: "vsphere", details: ["state": "unreachable"])
    }

    /// Queues one status-changed event for every webhook, as a test result's transaction would.
    static func tell(_ runtime: HitchRuntime) async throws {
        try await runtime.store.write(logger: TestBackend.logger) { try await WebhookOutbox.enqueue([event(at: Date())], in: $0) }
    }

    static func onlyDelivery(of webhook: String, in runtime: HitchRuntime) async throws -> WebhookDeliveryRecord {
        let deliveries = try await runtime.webhooks.deliveries(id: webhook, limit: 10, logger: TestBackend.logger)
        return try #require(deliveries.count == 1 ? deliveries.first : nil, "\(deliveries)")
    }

    @Test(arguments: TestBackend.all)
    func aReceiverTheEgressPolicyDeniesGetsNothing(backend: TestBackend) async throws {
        try await WebhookReceiver.run { receiver, url in
            let port = try #require(URLComponents(string: url)?.port)
            var environment = WatchAPITests.neverChecked
            environment["HITCH_EGRESS_DENY"] = "127.0.0.1/32"
            try await withAPI(backend, environment: environment) { client, runtime in
                // Plain HTTP to the loopback receiver, and HTTPS to the same address: both refused before connecting.
                var ids: [String] = []
                for target in [url, "https://127.0.0.1:\(port)/hook"] {
                    let added = try await client.call(.post, "/v1/webhooks", json: ["url": target, "events": ["status-changed"]])
                    #expect(added.status == .created, "\(added.text)")
                    ids.append(try #require((added.json["webhook"] as? [String: Any])?["id"] as? String))
                }
                try await Self.tell(runtime)
                #expect(try await runtime.webhookDelivery.runDue(logger: TestBackend.logger) == 0)
                for id in ids {
                    let delivery = try await Self.onlyDelivery(of: id, in: runtime)
                    #expect(delivery.state == .pending && delivery.attempts == 1 && delivery.lastStatus == nil)
                    #expect(delivery.lastError == "the egress policy does not allow 127.0.0.1:\(port)", "\(delivery)")
                }
                #expect(receiver.deliveries.isEmpty)
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func aLoopbackReceiverIsReachedWithoutTheDeveloperSetting(backend: TestBackend) async throws {
        try await WebhookReceiver.run { receiver, url in
            var environment = WatchAPITests.neverChecked
            environment.removeValue(forKey: "HITCH_ALLOW_LOOPBACK_HTTP")
            try await withAPI(backend, environment: environment) { client, runtime in
                let added = try await client.call(.post, "/v1/webhooks", json: ["url": url + "?team=platform", "events": ["status-changed"]])
                #expect(added.status == .created, "\(added.text)")
                let secret = try #require(added.json["secret"] as? String)
                try await Self.tell(runtime)
                #expect(try await runtime.webhookDelivery.runDue(logger: TestBackend.logger) == 1)
                let received = try #require(receiver.deliveries.first)
                #expect(receiver.deliveries.count == 1 && received.isSigned(with: secret))
                #expect(received.json["connection"] == "vcenter-prod" && received.headers["x-hitch-event"] == "status-changed")
            }
        }
    }

    @Test func theHostHeaderNamesThePortAndBracketsAnIPv6Address() throws {
        func authority(_ url: String) throws -> String { try HTTPSLocation(URL(string: url)!, allowLoopbackHTTP: true).authority }
        #expect(try authority("https://hooks.example/x") == "hooks.example")
        #expect(try authority("https://hooks.example:8443/x") == "hooks.example:8443")
        #expect(try authority("http://127.0.0.1/x") == "127.0.0.1")
        #expect(try authority("http://[::1]:9000/x") == "[::1]:9000")
    }

    @Test func aWebhookURLIsHTTPSOrLoopbackHTTP() throws {
        for accepted in ["https://hooks.example/x", "http://127.0.0.1:9/hook", "http://[::1]:9/hook"] {
            #expect(throws: Never.self) { try WebhookService.validatedURL(accepted) }
        }
        for refused in ["http://localhost:9/hook", "http://hooks.example/x", "http://10.0.0.1/x", "ftp://hooks.example/"] {
            #expect(throws: HitchError.self, "\(refused)") { try WebhookService.validatedURL(refused) }
        }
    }
}
