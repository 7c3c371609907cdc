import Foundation
import HitchAPI
import HitchDomain
import HitchServices
import HitchStorage

/// Discovery jobs, inventory browsing and preflight of vSphere connections.
extension APIHandlers {
    package func startDiscovery(_ input: Operations.StartDiscovery.Input) async throws -> Operations.StartDiscovery.Output {
        let job = try await runtime.discoveries.start(
            connection: input.path.name, timeoutSeconds: input.query.timeout ?? DiscoveryService.defaultTimeout,
            by: RequestActor.current(), logger: logger)
        return .accepted(.init(body: .json(APIMapping.job(job))))
    }

    package func cancelJob(_ input: Operations.CancelJob.Input) async throws -> Operations.CancelJob.Output {
        let job = try await runtime.jobs.cancel(
            id: input.path.id, by: RequestActor.current(), running: runtime.runningJobs, logger: logger)
        return .ok(.init(body: .json(APIMapping.job(job))))
    }

    package func getInventory(_ input: Operations.GetInventory.Input) async throws -> Operations.GetInventory.Output {
        let limit = input.query.limit ?? 100
        let offset = input.query.offset ?? 0
        guard (1...1000).contains(limit) else { throw HitchError(.badRequest, "limit must be from 1 to 1000") }
        guard offset >= 0 else { throw HitchError(.badRequest, "offset must be 0 or more") }
        let record = try await ConnectionReadScope.current().connection(named: input.path.name, in: runtime, logger: logger)
        let filter = InventoryFilter(
            type: input.query._type.flatMap { InventoryType(rawValue: $0.rawValue) }, text: input.query.filter, offset: offset,
            limit: limit)
        let (snapshot, page) = try await runtime.discoveries.inventory(of: record, filter, logger: logger)
        return .ok(.init(body: .json(.init(
            snapshot: snapshot.map(APIMapping.snapshot), objects: page.objects.map(APIMapping.inventoryObject),
            nextOffset: page.more ? offset + page.objects.count : nil))))
    }

    package func runPreflight(_ input: Operations.RunPreflight.Input) async throws -> Operations.RunPreflight.Output {
        let scope = input.query.scope.flatMap { PreflightScope(rawValue: $0.rawValue) }
        let saved = try await runtime.preflights.run(
            connection: input.path.name, scope: scope, by: RequestActor.current(), logger: logger)
        return .ok(.init(body: .json(APIMapping.preflight(saved, connection: input.path.name))))
    }

    package func getPreflight(_ input: Operations.GetPreflight.Input) async throws -> Operations.GetPreflight.Output {
        _ = try await ConnectionReadScope.current().connection(named: input.path.name, in: runtime, logger: logger)
        let saved = try await runtime.preflights.latest(connection: input.path.name, logger: logger)
        return .ok(.init(body: .json(APIMapping.preflight(saved, connection: input.path.name))))
    }
}

extension APIMapping {
    static func snapshot(_ snapshot: InventorySnapshot) -> Components.Schemas.InventoryPage.SnapshotPayload {
        .init(
            jobId: snapshot.jobId, credentialVersion: snapshot.credentialVersion, takenAt: snapshot.takenAt,
            counts: .init(additionalProperties: Dictionary(uniqueKeysWithValues: snapshot.counts.map { ($0.key.rawValue, $0.value) })))
    }

    static func inventoryObject(_ object: InventoryObject) -> Components.Schemas.InventoryObject {
        .init(
            _type: .init(rawValue: object.type.rawValue)!, moid: object.moid, name: object.name, path: object.path,
            parent: object.parent, connectionState: object.connectionState, version: object.version,
            powerState: object.powerState, capacityBytes: object.capacityBytes, freeBytes: object.freeBytes,
            datastoreType: object.datastoreType, guestOS: object.guestOS, cpus: object.cpus, memoryMB: object.memoryMB,
            disks: object.disks?.map { .init(label: $0.label, capacityBytes: $0.capacityBytes) },
            changeTrackingEnabled: object.changeTrackingEnabled, host: object.host, datastores: object.datastores)
    }

    static func preflight(_ saved: PreflightRecord, connection: String) -> Components.Schemas.Preflight {
        let report = saved.report
        return .init(
            connection: connection, scope: .init(rawValue: report.scope.rawValue)!, datacenter: report.datacenter,
            username: report.username, capability: .init(rawValue: report.capability.rawValue)!,
            privileges: report.privileges.map {
                .init(id: $0.id, need: .init(rawValue: $0.need.rawValue)!, usedFor: $0.usedFor, granted: $0.granted, checked: $0.checked)
            },
            missing: report.missing.map(\.id), unknown: report.unknown.map(\.id), warnings: report.warnings, remedy: report.remedy,
            credentialVersion: saved.credentialVersion, checkedAt: saved.checkedAt)
    }
}
