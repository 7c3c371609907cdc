import Foundation
import HitchDomain
@testable import HitchPlatforms
import NIOCore
import Testing

/// The PropertyCollector reads discovery builds on, against VMware's simulator: every object of a type with the
/// properties asked for, the same whether the server pages at its default (the peer's 100) or at one object a page
/// through ContinueRetrievePropertiesEx; a page callback that throws stops the read.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"))
struct VSphereRetrieveTests {
    @Test func retrieveReadsEveryObjectWithItsProperties() async throws {
        let peer = try VCSimPeer.required()
        var stages: [StageResult] = []
        let connection = try await EndpointProbe(
            host: peer.url.host!, port: peer.url.port!, policy: .pinned(thumbprint: peer.thumbprint), timeout: .seconds(10)
        ).open(into: &stages)
        let session = VSphereSession(connection: connection)
        defer { session.shutdown() }
        let content = try await session.retrieveServiceContent()
        try await session.login(content, username: peer.username, password: peer.password)

        let properties = ["name", "runtime.powerState", "config.hardware.numCPU", "config.hardware.memoryMB"]
        let whole = try await session.retrieve(["VirtualMachine"], properties: properties, under: content.rootFolder, content) { $0 }
        let pages = PageCounts()
        let paged = try await session.retrieve(
            ["VirtualMachine"], properties: properties, under: content.rootFolder, content, pageSize: 1,
            onPage: { await pages.add($0) }, map: { $0 })
        #expect(whole.count >= 2)
        #expect(Set(paged.map(\.reference.value)) == Set(whole.map(\.reference.value)) && paged.count == whole.count)
        #expect(await pages.seen == Array(1...whole.count))
        await #expect(throws: CancellationError.self) {
            try await session.retrieve(
                ["VirtualMachine"], properties: properties, under: content.rootFolder, content, pageSize: 1,
                onPage: { _ in throw CancellationError() }, map: { $0 })
        }
        for vm in whole {
            #expect(vm.properties["name"]?.text.isEmpty == false)
            #expect(["poweredOn", "poweredOff", "suspended"].contains(vm.properties["runtime.powerState"]?.text ?? ""))
            #expect(Int(vm.properties["config.hardware.numCPU"]?.text ?? "") ?? 0 > 0)
        }
        let hosts = try await session.names(of: "HostSystem", under: content.rootFolder, content)
        #expect(hosts.count >= 1)
        await session.logout(content)
    }
}

private actor PageCounts {
    var seen: [Int] = []
    func add(_ count: Int) { seen.append(count) }
}
