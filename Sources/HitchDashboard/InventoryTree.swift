import HitchAPI

/// A vSphere inventory as a tree: datacenter > cluster > host > VMs, with a datacenter's hosts outside a cluster
/// after its clusters (found by their paths). Hosts of no datacenter read and VMs whose host was not read are
/// listed on their own at the end.
struct InventoryTree: Sendable {
    struct Node: Sendable {
        let label: String
        let detail: String
        let children: [Node]
        let hasChildren: Bool

        init(label: String, detail: String? = nil, children: [Node] = []) {
            self.label = label
            self.detail = detail ?? ""
            self.children = children
            hasChildren = !children.isEmpty
        }
    }

    let roots: [Node]

    init(_ objects: [Components.Schemas.InventoryObject]) {
        let byMoid = Dictionary(objects.map { ($0.moid, $0) }, uniquingKeysWith: { first, _ in first })
        func datacenter(above moid: String?) -> String? {
            var current = moid
            var steps = 0
            while let id = current, let object = byMoid[id], steps < 64 {
                if object._type == .datacenter { return object.moid }
                current = object.parent
                steps += 1
            }
            return nil
        }
        let vmsByHost = Dictionary(grouping: objects.filter { $0._type == .vm }, by: { $0.host ?? "" })
        func hostNode(_ host: Components.Schemas.InventoryObject) -> Node {
            let vms = (vmsByHost[host.moid] ?? []).sorted { $0.name < $1.name }.map { vm in
                Node(label: vm.name, detail: [vm.powerState, vm.guestOS].compactMap { $0 }.joined(separator: ", "))
            }
            return Node(label: host.name, detail: [host.connectionState, host.version].compactMap { $0 }.joined(separator: ", "), children: vms)
        }
        let hosts = objects.filter { $0._type == .host }.sorted { $0.name < $1.name }
        let clusters = objects.filter { $0._type == .cluster }.sorted { $0.name < $1.name }
        let clusterIds = Set(clusters.map(\.moid))
        let datacenters = objects.filter { $0._type == .datacenter }.sorted { $0.name < $1.name }
        let standalone = hosts.filter { !clusterIds.contains($0.parent ?? "") }
        // A host outside a cluster belongs to the datacenter its path runs through (`/DC0/host/esx-2/esx-2`).
        func datacenter(holding host: Components.Schemas.InventoryObject) -> String? {
            guard let path = host.path else { return nil }
            return datacenters.first { dc in dc.path.map { path.hasPrefix($0 + "/") } == true }?.moid
        }
        var roots = datacenters.map { dc in
            Node(
                label: dc.name, detail: "datacenter",
                children: clusters.filter { datacenter(above: $0.parent) == dc.moid }.map { cluster in
                    Node(
                        label: cluster.name, detail: "cluster",
                        children: hosts.filter { $0.parent == cluster.moid }.map(hostNode))
                } + standalone.filter { datacenter(holding: $0) == dc.moid }.map(hostNode))
        }
        let unplaced = standalone.filter { datacenter(holding: $0) == nil }
        if !unplaced.isEmpty {
            roots.append(Node(label: "Hosts of no datacenter read", children: unplaced.map(hostNode)))
        }
        let hostIds = Set(hosts.map(\.moid))
        let orphans = objects.filter { $0._type == .vm && !hostIds.contains($0.host ?? "") }
        if !orphans.isEmpty {
            roots.append(Node(label: "VMs without a known host", children: orphans.map { Node(label: $0.name, detail: $0.powerState) }))
        }
        self.roots = roots
    }
}
