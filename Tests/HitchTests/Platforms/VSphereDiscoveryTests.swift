import Foundation
import HitchDomain
@testable import HitchPlatforms
import NIOCore
import Testing

/// Discovery and preflight against VMware's simulator, each test with a simulator of its own: the counts per type
/// equal the model's own (printed by the peer), through ContinueRetrievePropertiesEx pages; and the privileges
/// of users the peer grants roles to, on the datacenter or at the root.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"))
struct VSphereDiscoveryTests {
    static let admin = VCSimInstance.User(username: "admin@vsphere.local", password: "vcsim-admin-pw", role: "Admin", entity: "root")

    static func open(_ simulator: VCSimInstance, _ user: VCSimInstance.User, insecure: Bool = false) async throws
        -> VSpherePlatformSession
    {
        try await VSpherePlatformSession.open(VSphereTarget(
            vcenter: simulator.hostPort, username: user.username, password: SecretValue(user.password),
            objects: ["datacenter": "DC0"], insecure: insecure, thumbprint: insecure ? nil : simulator.thumbprint))
    }

    static func counts(_ objects: [InventoryObject]) -> [String: Int] {
        Dictionary(grouping: objects, by: \.type.rawValue).mapValues(\.count)
    }

    @Test func theDefaultModelIsReadWhole() async throws {
        let simulator = try VCSimInstance.start(users: [Self.admin])
        defer { simulator.stop() }
        let session = try await Self.open(simulator, Self.admin)
        let objects = try await session.discover()
        await session.close()

        #expect(Self.counts(objects) == simulator.counts)
        let byId = Dictionary(objects.map { ("\($0.type.rawValue)/\($0.moid)", $0) }) { first, _ in first }
        let vms = objects.filter { $0.type == .vm }
        for vm in vms {
            #expect(vm.path == "/DC0/vm/\(vm.name)")
            #expect((vm.cpus ?? 0) > 0 && (vm.memoryMB ?? 0) > 0 && vm.guestOS?.isEmpty == false)
            #expect(["poweredOn", "poweredOff", "suspended"].contains(vm.powerState ?? ""))
            #expect(vm.disks?.isEmpty == false && vm.disks?.allSatisfy { $0.capacityBytes > 0 && !$0.label.isEmpty } == true)
            #expect(vm.changeTrackingEnabled != nil)
            #expect(vm.host.map { byId["host/\($0)"] != nil } == true, "runs on a discovered host")
            #expect(vm.datastores?.isEmpty == false && vm.datastores?.allSatisfy { byId["datastore/\($0)"] != nil } == true)
        }
        for host in objects where host.type == .host {
            #expect(host.connectionState == "connected" && host.version?.isEmpty == false && host.powerState != nil)
            // A host outside a cluster has a compute resource of its own, of its name.
            let holder = host.name.hasPrefix("DC0_C0_") ? "DC0_C0" : host.name
            #expect(host.path == "/DC0/host/\(holder)/\(host.name)")
        }
        #expect(objects.first { $0.type == .cluster }?.path == "/DC0/host/DC0_C0")
        for datastore in objects where datastore.type == .datastore {
            let capacity = try #require(datastore.capacityBytes)
            #expect(capacity > 0 && (datastore.freeBytes ?? -1) >= 0 && (datastore.freeBytes ?? 0) <= capacity)
            #expect(datastore.datastoreType?.isEmpty == false)
        }
        #expect(objects.first { $0.type == .datacenter }?.path == "/DC0")
        #expect(Set(objects.filter { $0.type == .folder }.compactMap(\.path)) == ["/DC0/vm", "/DC0/host", "/DC0/datastore", "/DC0/network"])
    }

    /// Two datacenters with folders, pools, over 100 VMs: read in pages of 40, every page reported.
    @Test func aLargerModelIsReadThroughPages() async throws {
        let simulator = try VCSimInstance.start(
            users: [Self.admin],
            arguments: ["-datacenters", "2", "-clusters", "2", "-cluster-hosts", "3", "-hosts", "1", "-vms", "20",
                        "-pools", "2", "-folders", "1"])
        defer { simulator.stop() }
        let session = try await Self.open(simulator, Self.admin)
        let pages = PageLog()
        let objects = try await session.discover(pageSize: 40) { type, count in await pages.add(type, count) }
        await session.close()

        #expect(Self.counts(objects) == simulator.counts)
        let vmCount = try #require(simulator.counts["vm"])
        #expect(vmCount >= 100)
        #expect(await pages.counts(of: .vm) == Array(stride(from: 40, to: vmCount, by: 40)) + [vmCount])
        let folders = Dictionary(objects.filter { $0.type == .folder }.map { ($0.moid, $0.path ?? "") }) { first, _ in first }
        for vm in objects where vm.type == .vm {
            #expect(vm.path == vm.parent.flatMap { folders[$0] }.map { "\($0)/\(vm.name)" }, "a VM's path is its folder's and its name")
        }
        let datacenterPaths = objects.filter { $0.type == .datacenter }.compactMap(\.path)
        #expect(Set(datacenterPaths).count == 2)
        for host in objects where host.type == .host {
            #expect(datacenterPaths.contains { host.path?.hasPrefix($0 + "/host/") == true }, "\(host.name): \(host.path ?? "no path")")
        }

        // The connection's datacenter alone, with its hierarchy: hosts in its clusters or compute resources of
        // their own, pools in a cluster, a compute resource or a pool, VMs in its VM folders.
        let scopedSession = try await Self.open(simulator, Self.admin)
        let scoped = try await scopedSession.discover(datacenter: "DC1", pageSize: 40)
        await #expect(throws: VSphereReadError.self, "an unknown datacenter is named, with a hint") {
            _ = try await scopedSession.discover(datacenter: "dc1")
        }
        await scopedSession.close()
        #expect(scoped.filter { $0.type == .datacenter }.map(\.path) == ["/DC1"])
        let scopedVMs = scoped.filter { $0.type == .vm }
        #expect(!scopedVMs.isEmpty && scopedVMs.count < vmCount, "only DC1's VMs: \(scopedVMs.count) of \(vmCount)")
        let byMoid = Dictionary(scoped.map { ($0.moid, $0) }) { first, _ in first }
        for object in scoped where object.type != .datacenter {
            switch object.type {
            case .vm:
                let folder = try #require(object.parent.flatMap { byMoid[$0] }, "\(object.name)'s folder was read")
                #expect(folder.type == .folder && folder.path?.hasPrefix("/DC1/vm") == true, "\(object.name) in \(folder.path ?? "?")")
            case .host:
                #expect(object.path?.hasPrefix("/DC1/host/") == true, "\(object.name): \(object.path ?? "no path")")
                if let parent = object.parent.flatMap({ byMoid[$0] }) { #expect(parent.type == .cluster) }
            case .resourcePool:
                let parent = object.parent.flatMap { byMoid[$0] }
                #expect(parent == nil || [.cluster, .resourcePool].contains(parent!.type), "a pool sits in a cluster, a compute resource or a pool")
            case .cluster, .folder:
                #expect(object.path?.hasPrefix("/DC1/") == true, "\(object.type.rawValue) \(object.name): \(object.path ?? "no path")")
            default:
                continue
            }
        }
        #expect(!scoped.contains { $0.path?.hasPrefix("/DC0") == true }, "nothing of the other datacenter")
    }

    @Test func preflightReadsTheUsersPrivilegesOnTheDatacenter() async throws {
        let migration = PrivilegeRequirement.recommended.map(\.id)
        let readOnly = VCSimInstance.User(username: "ro@vsphere.local", password: "vcsim-ro-pw", role: "ReadOnly", entity: "datacenter")
        let dedicated = VCSimInstance.User(
            username: "mig@vsphere.local", password: "vcsim-mig-pw", role: "HitchMigration", privileges: migration, entity: "datacenter")
        let atRoot = VCSimInstance.User(
            username: "root-mig@vsphere.local", password: "vcsim-root-pw", role: "HitchMigration", privileges: migration, entity: "root")
        let simulator = try VCSimInstance.start(users: [Self.admin, readOnly, dedicated, atRoot])
        defer { simulator.stop() }

        func preflight(_ user: VCSimInstance.User, _ scope: PreflightScope, insecure: Bool = false) async throws -> PreflightReport {
            let session = try await Self.open(simulator, user, insecure: insecure)
            do {
                let report = try await session.preflight(scope: scope, datacenter: "DC0", username: user.username, insecure: insecure)
                await session.close()
                return report
            } catch {
                await session.close()
                throw error
            }
        }
        let rootWarning = "the account's role is granted at the vCenter root, not on datacenter 'DC0': grant it on the datacenter so that it reaches nothing else"

        let limited = try await preflight(readOnly, .migration)
        #expect(limited.capability == .discovery)
        #expect(limited.missing.map(\.id) == PrivilegeRequirement.recommended.filter { $0.need == .migration }.map(\.id))
        #expect(limited.privileges.filter(\.granted).map(\.id) == ["System.Anonymous", "System.Read", "System.View"])
        #expect(limited.warnings.isEmpty, "\(limited.warnings)")
        #expect(limited.remedy.contains { $0.hasPrefix("govc role.create HitchMigration System.Anonymous") })
        #expect(limited.remedy.contains("govc permissions.set -principal 'ro@vsphere.local' -role HitchMigration -propagate=true '/DC0'"))
        #expect(limited.remedy.contains { $0.hasPrefix("New-VIPermission -Entity (Get-Datacenter -Name 'DC0')") })
        let enough = try await preflight(readOnly, .discovery)
        #expect(enough.capability == .discovery && enough.missing.isEmpty && enough.remedy.isEmpty)

        let exact = try await preflight(dedicated, .migration)
        #expect(exact.capability == .migration && exact.missing.isEmpty && exact.warnings.isEmpty, "\(exact.warnings)")

        let root = try await preflight(atRoot, .migration)
        #expect(root.capability == .migration && root.warnings == [rootWarning])

        let administrator = try await preflight(Self.admin, .migration, insecure: true)
        #expect(administrator.capability == .migration)
        #expect(administrator.warnings.count == 3)
        #expect(administrator.warnings.contains(rootWarning))
        #expect(administrator.warnings.contains { $0.contains("far more than the recommended role") && $0.contains("Authorization.ModifyPermissions") })
        #expect(administrator.warnings.contains("insecure is on: the vCenter's certificate is not verified"))

        let session = try await Self.open(simulator, readOnly)
        await #expect {
            try await session.preflight(scope: .migration, datacenter: "dc0", username: readOnly.username, insecure: false)
        } throws: { ($0 as? VSphereReadError)?.message == "datacenter 'dc0' not found; did you mean 'DC0'?" }
        await session.close()
    }
}

private actor PageLog {
    private var seen: [InventoryType: [Int]] = [:]
    func add(_ type: InventoryType, _ count: Int) { seen[type, default: []].append(count) }
    func counts(of type: InventoryType) -> [Int] { seen[type] ?? [] }
}
