@testable import HitchDashboard
import HitchDomain
@testable import HitchHTTP
@testable import HitchPlatforms
import Testing

/// The dashboard's inventory tree from discovered objects: hosts in a cluster under it, a host outside a cluster
/// under its datacenter (found through the compute resource of its own that discovery reads for paths).
struct InventoryTreeTests {
    static func object(_ type: InventoryType, _ moid: String, _ name: String, parent: String?, host: String? = nil) -> InventoryObject {
        var object = InventoryObject(type: type, moid: moid, name: name)
        object.parent = parent
        object.host = host
        return object
    }

    @Test func standaloneHostsSitUnderTheirDatacenter() {
        let objects = InventoryMapping.withPaths(
            [
                Self.object(.datacenter, "datacenter-1", "DC0", parent: "group-d1"),
                Self.object(.folder, "group-h4", "host", parent: "datacenter-1"),
                Self.object(.folder, "group-v3", "vm", parent: "datacenter-1"),
                Self.object(.cluster, "domain-c1", "prod", parent: "group-h4"),
                Self.object(.host, "host-1", "esx-1", parent: "domain-c1"),
                Self.object(.host, "host-2", "esx-2", parent: "domain-s1"),
                Self.object(.host, "host-3", "lost", parent: "domain-s9"),
                Self.object(.vm, "vm-1", "web", parent: "group-v3", host: "host-2"),
            ],
            computeResources: [.init(moid: "domain-s1", name: "esx-2", parent: "group-h4")])
        let paths = Dictionary(uniqueKeysWithValues: objects.map { ($0.moid, $0.path) })
        #expect(paths["domain-c1"] == "/DC0/host/prod" && paths["host-1"] == "/DC0/host/prod/esx-1")
        #expect(paths["host-2"] == "/DC0/host/esx-2/esx-2", "through the compute resource of its own")
        #expect(paths["vm-1"] == "/DC0/vm/web" && paths["datacenter-1"] == "/DC0")

        let tree = InventoryTree(objects.map(APIMapping.inventoryObject))
        func outline(_ nodes: [InventoryTree.Node]) -> [String] {
            nodes.flatMap { [$0.label] + outline($0.children).map { "  " + $0 } }
        }
        #expect(outline(tree.roots) == ["DC0", "  prod", "    esx-1", "  esx-2", "    web", "Hosts of no datacenter read", "  lost"])
    }
}
