import Foundation
import HitchDomain

/// Why a discovery or preflight stopped on the platform; never quotes the platform's answer.
public struct VSphereReadError: Error, Sendable, CustomStringConvertible {
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Reads a vCenter's inventory: per type, one ContainerView on the connection's datacenter (or the root folder when
/// it names none) and RetrievePropertiesEx (paged).
extension VSpherePlatformSession {
    /// What is read of each type: the managed object types a view holds, and their properties.
    struct InventoryQuery: Sendable {
        let type: InventoryType
        let managedTypes: [String]
        let properties: [String]

        static let all: [InventoryQuery] = [
            .init(type: .datacenter, managedTypes: ["Datacenter"], properties: ["name", "parent"]),
            .init(type: .folder, managedTypes: ["Folder"], properties: ["name", "parent"]),
            .init(type: .cluster, managedTypes: ["ClusterComputeResource"], properties: ["name", "parent"]),
            .init(
                type: .host, managedTypes: ["HostSystem"],
                properties: ["name", "parent", "runtime.connectionState", "runtime.powerState", "config.product.version"]),
            .init(type: .resourcePool, managedTypes: ["ResourcePool", "VirtualApp"], properties: ["name", "parent"]),
            .init(
                type: .datastore, managedTypes: ["Datastore"],
                properties: ["name", "parent", "summary.capacity", "summary.freeSpace", "summary.type"]),
            .init(
                type: .network, managedTypes: ["Network", "DistributedVirtualPortgroup", "OpaqueNetwork"],
                properties: ["name", "parent"]),
            .init(
                type: .vm, managedTypes: ["VirtualMachine"],
                properties: [
                    "name", "parent", "runtime.powerState", "runtime.host", "config.guestFullName", "config.hardware.numCPU",
                    "config.hardware.memoryMB", "config.hardware.device", "config.changeTrackingEnabled", "datastore",
                ]),
        ]
    }

    /// Every object of the inventory, with folder paths: of the datacenter named `datacenter` only (the one the
    /// connection names, where its role is granted), or of the whole vCenter when it names none. `progress` hears
    /// the type being read and how many of it have been read after each page; it may throw (cancellation) to stop
    /// the discovery.
    public func discover(
        datacenter: String? = nil, pageSize: Int = 500, progress: @Sendable (InventoryType, Int) async throws -> Void = { _, _ in }
    ) async throws -> [InventoryObject] {
        let scope = try await scopeReference(datacenter: datacenter)
        var objects: [InventoryObject] = []
        for query in InventoryQuery.all {
            do {
                // A view holds what is below its container, not the container itself: the datacenter is read from
                // the root and kept alone.
                let container = query.type == .datacenter ? content.rootFolder : (scope ?? content.rootFolder)
                var read = try await session.retrieve(
                    query.managedTypes, properties: query.properties, under: container, content, pageSize: pageSize,
                    onPage: { count in try await progress(query.type, count) },
                    map: { InventoryMapping.object(query.type, $0) })
                if query.type == .datacenter, let scope { read = read.filter { $0.moid == scope.value } }
                objects += read
            } catch let fault as VSphereFault {
                throw VSphereReadError(Self.explain(fault, reading: query.type))
            }
        }
        // A host sits in a compute resource: its cluster, or one of its own when it stands alone. Those of its own
        // are no inventory type; their names and parents are read only to give hosts their paths.
        let computeResources: [InventoryMapping.Container]
        do {
            computeResources = try await session.retrieve(
                ["ComputeResource"], properties: ["name", "parent"], under: scope ?? content.rootFolder, content, pageSize: pageSize,
                map: InventoryMapping.container)
        } catch let fault as VSphereFault {
            throw VSphereReadError(Self.explain(fault, reading: .host))
        }
        return InventoryMapping.withPaths(objects, computeResources: computeResources)
    }

    /// The datacenter named, found by its exact name; nil when none is named.
    private func scopeReference(datacenter name: String?) async throws -> ManagedObjectReference? {
        guard let name, !name.isEmpty else { return nil }
        let datacenters: [(ManagedObjectReference, String)]
        do {
            datacenters = try await session.names(of: "Datacenter", under: content.rootFolder, content)
        } catch let fault as VSphereFault {
            throw VSphereReadError(Self.explain(fault, reading: .datacenter))
        }
        guard let found = datacenters.first(where: { $0.1 == name })?.0 else {
            let hint = datacenters.first { $0.1.lowercased() == name.lowercased() }.map { "; did you mean '\($0.1)'?" } ?? ""
            throw VSphereReadError("datacenter '\(name)' not found\(hint)")
        }
        return found
    }

    static func explain(_ fault: VSphereFault, reading type: InventoryType) -> String {
        switch fault.type {
        case "NotAuthenticated": "vCenter ended the session while reading \(type.rawValue) objects"
        case "NoPermission": "the account may not read \(type.rawValue) objects (NoPermission)"
        default: "vCenter answered \(fault.type) while reading \(type.rawValue) objects"
        }
    }
}

/// From the PropertyCollector's answers to inventory objects.
enum InventoryMapping {
    static func object(_ type: InventoryType, _ read: VSphereSession.RetrievedObject) -> InventoryObject {
        let properties = read.properties
        var object = InventoryObject(type: type, moid: read.reference.value, name: properties["name"]?.text ?? read.reference.value)
        object.parent = properties["parent"]?.text
        switch type {
        case .host:
            object.connectionState = properties["runtime.connectionState"]?.text
            object.powerState = properties["runtime.powerState"]?.text
            object.version = properties["config.product.version"]?.text
        case .datastore:
            object.capacityBytes = properties["summary.capacity"].flatMap { Int64($0.text) }
            object.freeBytes = properties["summary.freeSpace"].flatMap { Int64($0.text) }
            object.datastoreType = properties["summary.type"]?.text
        case .vm:
            object.powerState = properties["runtime.powerState"]?.text
            object.host = properties["runtime.host"]?.text
            object.guestOS = properties["config.guestFullName"]?.text
            object.cpus = properties["config.hardware.numCPU"].flatMap { Int($0.text) }
            object.memoryMB = properties["config.hardware.memoryMB"].flatMap { Int($0.text) }
            // Unset means off: vCenter leaves the property out until tracking was once configured.
            object.changeTrackingEnabled = properties["config.changeTrackingEnabled"]?.text == "true"
            object.datastores = properties["datastore"].map { $0.children.map(\.text) } ?? []
            object.disks = properties["config.hardware.device"].map(disks) ?? []
        case .datacenter, .cluster, .resourcePool, .folder, .network:
            break
        }
        return object
    }

    /// The virtual disks of a device list: the devices with a capacity.
    static func disks(_ devices: SOAPNode) -> [InventoryDisk] {
        devices.children.compactMap { device in
            let bytes = device.child("capacityInBytes").flatMap { Int64($0.text) }
                ?? device.child("capacityInKB").flatMap { Int64($0.text) }.map { $0 * 1024 }
            guard let bytes else { return nil }
            let label = device.child("deviceInfo")?.child("label")?.text ?? "disk \(device.child("key")?.text ?? "")"
            return InventoryDisk(label: label, capacityBytes: bytes)
        }
    }

    /// An object read only for the paths of what it holds.
    struct Container: Sendable {
        let moid: String
        let name: String
        let parent: String?
    }

    static func container(_ read: VSphereSession.RetrievedObject) -> Container {
        Container(moid: read.reference.value, name: read.properties["name"]?.text ?? read.reference.value, parent: read.properties["parent"]?.text)
    }

    /// Sets the inventory path of datacenters, folders, clusters, hosts and VMs: the names of what holds them,
    /// from the datacenter down (`/DC0/vm/web/db-1`, `/DC0/host/prod/esx-1`). A host's path runs through its
    /// compute resource: its cluster, or the one of its own that a host outside a cluster has (`/DC0/host/esx-2/esx-2`).
    static func withPaths(_ objects: [InventoryObject], computeResources: [Container] = []) -> [InventoryObject] {
        var containers: [String: (name: String, parent: String?)] = [:]
        for resource in computeResources { containers[resource.moid] = (resource.name, resource.parent) }
        for object in objects where [.folder, .datacenter, .cluster].contains(object.type) {
            containers[object.moid] = (object.name, object.parent)
        }
        func path(of moid: String) -> String {
            var names: [String] = []
            var current: String? = moid
            var seen: Set<String> = []
            while let id = current, let container = containers[id], seen.insert(id).inserted {
                names.append(container.name)
                current = container.parent
            }
            return "/" + names.reversed().joined(separator: "/")
        }
        return objects.map { object in
            var object = object
            switch object.type {
            case .datacenter, .folder, .cluster: object.path = path(of: object.moid)
            case .vm, .host: object.path = object.parent.map { path(of: $0) + "/" + object.name }
            default: break
            }
            return object
        }
    }
}
