import Foundation
import HitchDomain
import HitchPlatforms
import Hummingbird
import NIOCore
import Testing

/// Prism Central's cluster list as a large estate and a wrong endpoint give it: pages past 500 are followed, Prism
/// Central's own entry is not a cluster, and a Prism Element (no v3 API) is named as such.
@Suite struct NutanixListingTests {
    static func target(_ server: LocalTLSServer.Running, cluster: String?) -> NutanixTarget {
        NutanixTarget(
            endpoint: "127.0.0.1:\(server.port)", username: NutanixTesterTests.username,
            password: SecretValue(NutanixTesterTests.password), clusterName: cluster, insecure: false, thumbprint: server.thumbprint)
    }

    @Test func pagesPast500AndWithoutPrismCentral() async throws {
        let router = Router()
        router.post("/api/nutanix/v3/clusters/list") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 16)
            let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
            let offset = object["offset"] as? Int ?? 0
            let length = min(object["length"] as? Int ?? 20, 500)
            let total = 1201
            let entities = (offset..<min(offset + length, total)).map { index -> String in
                index == 0
                    ? #"{"status":{"name":"PC-01","resources":{"config":{"service_list":["PRISM_CENTRAL"]}}}}"#
                    : #"{"status":{"name":"c-\#(index)","resources":{"config":{"service_list":["AOS"]}}}}"#
            }
            let text = #"{"metadata":{"kind":"cluster","total_matches":\#(total),"length":\#(entities.count),"offset":\#(offset)},"entities":[\#(entities.joined(separator: ","))]}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        try await LocalTLSServer.run(router) { server in
            let report = await NutanixTester.test(Self.target(server, cluster: "c-1100"))
            #expect(report.passed, "\(report)")
            #expect(report.stages.first { $0.stage == .authorize }?.message == "listed 1200 cluster(s)", "\(report)")
            let central = await NutanixTester.test(Self.target(server, cluster: "PC-01"))
            #expect(central.failedStage?.failure == .notFound, "Prism Central itself is not a cluster")
        }
    }

    @Test func aPrismElementIsNamed() async throws {
        let router = Router()
        router.get("/api/nutanix/v2.0/cluster") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"name":"pe-01"}"#)))
        }
        try await LocalTLSServer.run(router) { server in
            let report = await NutanixTester.test(Self.target(server, cluster: nil))
            #expect(report.failedStage?.message.contains("Prism Element, not Prism Central") == true, "\(report)")
        }
    }
}
