import Foundation
import HitchDomain
import HitchPlatforms
import Testing

/// Test Connection for vsphere against VMware's simulator, on the SOAP API, stage by stage.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"))
struct VSphereTesterTests {
    func target(
        _ peer: VCSimPeer, password: String? = nil, objects: [String: String] = ["datacenter": "DC0", "cluster": "DC0_C0"],
        insecure: Bool = false, thumbprint: String?? = .none, vcenter: String? = nil
    ) -> VSphereTarget {
        VSphereTarget(
            vcenter: vcenter ?? peer.hostPort, username: peer.username, password: SecretValue(password ?? peer.password),
            objects: objects, insecure: insecure, thumbprint: thumbprint ?? peer.thumbprint)
    }

    @Test func rightLoginFindsEveryObject() async throws {
        let peer = try VCSimPeer.required()
        let report = await VSphereTester.test(target(
            peer, objects: ["datacenter": "DC0", "cluster": "DC0_C0", "host": "DC0_C0_H0", "datastore": "LocalDS_0"]))
        #expect(report.passed, "\(report)")
        #expect(report.stages.map(\.stage) == TestStage.direct)
        #expect(report.stages.first { $0.stage == .tls }?.certificate?.thumbprint == peer.thumbprint)
        #expect(report.warnings.isEmpty)
    }

    @Test func wrongPasswordFailsToAuthenticate() async throws {
        let peer = try VCSimPeer.required()
        let report = await VSphereTester.test(target(peer, password: "not-the-password"))
        #expect(report.failedStage?.stage == .authenticate && report.failedStage?.failure == .authFailed, "\(report)")
        #expect(!"\(report)".contains("not-the-password"))
    }

    @Test func wrongCaseDatacenterSuggestsTheRightName() async throws {
        let peer = try VCSimPeer.required()
        let report = await VSphereTester.test(target(peer, objects: ["datacenter": "dc0"]))
        #expect(report.failedStage?.failure == .notFound)
        #expect(report.failedStage?.message == "datacenter 'dc0' not found; did you mean 'DC0'?")
    }

    @Test func missingClusterIsNotFound() async throws {
        let peer = try VCSimPeer.required()
        let report = await VSphereTester.test(target(peer, objects: ["datacenter": "DC0", "cluster": "Prod"]))
        #expect(report.failedStage?.stage == .objects && report.failedStage?.message == "cluster 'Prod' not found")
    }

    @Test func closedPortIsUnreachable() async throws {
        let peer = try VCSimPeer.required()
        let report = await VSphereTester.test(target(peer, vcenter: "127.0.0.1:1"))
        #expect(report.failedStage?.stage == .connect && report.failedStage?.failure == .unreachable, "\(report)")
    }

    @Test func selfSignedCertificateIsUntrustedAndNamed() async throws {
        let peer = try VCSimPeer.required()
        let report = await VSphereTester.test(target(peer, thumbprint: .some(nil)))
        let tls = try #require(report.failedStage)
        #expect(tls.stage == .tls && tls.failure == .tlsUntrusted, "\(report)")
        #expect(tls.certificate?.thumbprint == peer.thumbprint, "the presented thumbprint, to pin")
        #expect(tls.certificate.map { $0.notAfter > Date() } == true)
    }

    @Test func wrongPinIsUntrusted() async throws {
        let peer = try VCSimPeer.required()
        let report = await VSphereTester.test(target(peer, thumbprint: String(repeating: "ab", count: 32)))
        #expect(report.failedStage?.stage == .tls && report.failedStage?.failure == .tlsUntrusted, "\(report)")
    }

    @Test func insecurePassesWithAWarning() async throws {
        let peer = try VCSimPeer.required()
        let report = await VSphereTester.test(target(peer, insecure: true, thumbprint: .some(nil)))
        #expect(report.passed, "\(report)")
        #expect(report.warnings.contains { $0.contains("insecure") })
    }
}
