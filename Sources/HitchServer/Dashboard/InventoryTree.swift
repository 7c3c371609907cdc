import HitchAPI

/// A vSphere inventory as a tree: datacenter > cluster > host > VMs. Hosts outside a cluster and VMs whose host
/// was not read are listed on their own at the end.
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
        var roots = objects.filter { $0._type == .datacenter }.sorted { $0.name < $1.name }.map { dc in
            Node(
                label: dc.name, detail: "datacenter",
                children: clusters.filter { datacenter(above: $0.parent) == dc.moid }.map { cluster in
                    Node(
                        label: cluster.name, detail: "cluster",
                        children: hosts.filter { $0.parent == cluster.moid }.map(hostNode))
                })
        }
        let standalone = hosts.filter { !clusterIds.contains($0.parent ?? "") }
        if !standalone.isEmpty {
            roots.append(Node(label: "Hosts outside a cluster", children: standalone.map(hostNode)))
        }
        let hostIds = Set(hosts.map(\.moid))
        let orphans = objects.filter { $0._type == .vm && !hostIds.contains($0.host ?? "") }
        if !orphans.isEmpty {
            roots.append(Node(label: "VMs without a known host", children: orphans.map { Node(label: $0.name, detail: $0.powerState) }))
        }
        self.roots = roots
    }
}
