import Foundation
import HitchDomain
import HitchPlatforms
import Testing

/// A vCenter or Prism reached by its IP address whose certificate names only its host name (the common lab and
/// brownfield setup): a thumbprint pin is the server's identity, and `insecure` skips verification, so neither
/// asks for a matching host name. System trust still does.
@Suite struct PinnedHostNameTests {
    static let otherHost = "DNS:vc01.corp.example"

    @Test(arguments: [true, false])
    func vsphereByIPWithACertificateForItsHostName(pinned: Bool) async throws {
        let capture = CaptureServer()
        try await LocalTLSServer.run(capture.router, certificateNames: Self.otherHost) { server in
            let target = VSphereTarget(
                vcenter: "127.0.0.1:\(server.port)", username: "svc", password: SecretValue("pw"), objects: [:],
                insecure: !pinned, thumbprint: pinned ? server.thumbprint : nil)
            let report = await VSphereTester.test(target)
            let tls = report.stages.first { $0.stage == .tls }
            #expect(tls?.passed == true, "\(report)")
            #expect(capture.requests.contains { $0.contains("RetrieveServiceContent") }, "the SOAP call went out")
        }
    }

    @Test(arguments: [true, false])
    func nutanixByIPWithACertificateForItsHostName(pinned: Bool) async throws {
        try await LocalTLSServer.run(NutanixTesterTests.prism, certificateNames: Self.otherHost) { server in
            let target = NutanixTarget(
                endpoint: "127.0.0.1:\(server.port)", username: NutanixTesterTests.username,
                password: SecretValue(NutanixTesterTests.password), clusterName: "Prod-Cluster", insecure: !pinned,
                thumbprint: pinned ? server.thumbprint : nil)
            let report = await NutanixTester.test(target)
            #expect(report.passed, "\(report)")
        }
    }

    /// The wrong pin is still refused, before anything is sent.
    @Test func aWrongPinIsStillRefused() async throws {
        let capture = CaptureServer()
        try await LocalTLSServer.run(capture.router, certificateNames: Self.otherHost) { server in
            let target = VSphereTarget(
                vcenter: "127.0.0.1:\(server.port)", username: "svc", password: SecretValue("pw"), objects: [:],
                insecure: false, thumbprint: String(repeating: "0", count: 64))
            let report = await VSphereTester.test(target)
            #expect(report.failedStage?.stage == .tls && report.failedStage?.failure == .tlsUntrusted, "\(report)")
            #expect(capture.requests.isEmpty)
        }
    }
}
