import Foundation

/// The kinds of vSphere objects discovery reads, by the names users type (`--type resource-pool`).
public enum InventoryType: String, Sendable, CaseIterable, Codable {
    case datacenter
    case cluster
    case host
    case resourcePool = "resource-pool"
    case datastore
    case folder
    case network
    case vm
}

/// One object of a connection's inventory: what every object has, and the attributes of its type (nil elsewhere).
public struct InventoryObject: Sendable, Equatable, Codable {
    public var type: InventoryType
    /// The managed object id (`vm-42`), unique per type within a vCenter.
    public var moid: String
    public var name: String
    /// Datacenters, folders, clusters, hosts and VMs: the inventory path of names from the datacenter down
    /// (`/DC0/vm/web`, `/DC0/host/prod/esx-1`).
    public var path: String?
    /// The moid of the parent (folder, cluster or resource pool's owner).
    public var parent: String?

    // Hosts
    public var connectionState: String?
    public var version: String?
    // Hosts and VMs
    public var powerState: String?
    // Datastores
    public var capacityBytes: Int64?
    public var freeBytes: Int64?
    public var datastoreType: String?
    // VMs
    public var guestOS: String?
    public var cpus: Int?
    public var memoryMB: Int?
    public var disks: [InventoryDisk]?
    public var changeTrackingEnabled: Bool?
    /// The moid of the host it runs on.
    public var host: String?
    public var datastores: [String]?

    public init(type: InventoryType, moid: String, name: String) {
        self.type = type
        self.moid = moid
        self.name = name
    }
}

public struct InventoryDisk: Sendable, Equatable, Codable {
    public var label: String
    public var capacityBytes: Int64

    public init(label: String, capacityBytes: Int64) {
        self.label = label
        self.capacityBytes = capacityBytes
    }
}

/// A connection's stored inventory: what one discovery job read, complete, with the credential version it used.
public struct InventorySnapshot: Sendable, Equatable {
    public var connectionId: String
    public var jobId: String
    public var credentialVersion: Int
    public var takenAt: Date
    public var counts: [InventoryType: Int]

    public init(connectionId: String, jobId: String, credentialVersion: Int, takenAt: Date, counts: [InventoryType: Int]) {
        self.connectionId = connectionId
        self.jobId = jobId
        self.credentialVersion = credentialVersion
        self.takenAt = takenAt
        self.counts = counts
    }
}
