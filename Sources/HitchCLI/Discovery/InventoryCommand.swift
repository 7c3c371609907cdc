import ArgumentParser
import Foundation
import HitchAPI

struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory", abstract: "Browse a connection's inventory from its last complete discovery.",
        subcommands: [InventoryShow.self])
}

struct InventoryShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "List inventory objects, by type, name and id.")

    @Argument(help: "The connection's name.") var name: String
    @Option(help: "datacenter, cluster, host, resource-pool, datastore, folder, network or vm.") var type: String?
    @Option(help: "Only objects whose name or path contains this text (any case).") var filter: String?
    @Option(help: "At most this many (1 to 1000).") var limit = 100
    @Option(help: "Skip this many first (the previous page's next offset).") var offset = 0
    @OptionGroup var output: OutputOptions

    func run() async throws {
        var typeFilter: Components.Schemas.InventoryType?
        if let type {
            guard let known = Components.Schemas.InventoryType(rawValue: type) else {
                throw ValidationError(
                    "--type must be one of: \(Components.Schemas.InventoryType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            typeFilter = known
        }
        let client = try APIClient.make()
        let query = Operations.GetInventory.Input.Query(_type: typeFilter, filter: filter, offset: offset, limit: limit)
        switch try await APIClient.call({ try await client.getInventory(path: .init(name: name), query: query) }) {
        case .ok(let ok):
            let page = try ok.body.json
            if output.output == .json { return try Printer.json(page) }
            guard let snapshot = page.snapshot else {
                throw CLIError("\(name) has no inventory yet: run `hitch discovery run \(name) --wait`", exitCode: .notFound)
            }
            Printer.table(
                headers: ["TYPE", "NAME", "ID", "PATH", "DETAIL"],
                rows: page.objects.map { [$0._type.rawValue, $0.name, $0.moid, $0.path ?? "-", Self.detail($0)] })
            Printer.note("inventory read \(Printer.time(snapshot.takenAt)) with credential version \(snapshot.credentialVersion) (job \(snapshot.jobId))")
            if let next = page.nextOffset { Printer.note("more objects follow: --offset \(next)") }
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }

    /// The type's attributes in one short line.
    static func detail(_ object: Components.Schemas.InventoryObject) -> String {
        var parts: [String] = []
        if let state = object.connectionState { parts.append(state) }
        if let power = object.powerState { parts.append(power) }
        if let version = object.version { parts.append("version \(version)") }
        if let type = object.datastoreType { parts.append(type) }
        if let capacity = object.capacityBytes { parts.append("\(capacity >> 30) GiB") }
        if let free = object.freeBytes { parts.append("\(free >> 30) GiB free") }
        if let cpus = object.cpus { parts.append("\(cpus) vCPU") }
        if let memory = object.memoryMB { parts.append("\(memory) MB") }
        if let disks = object.disks, object._type == .vm { parts.append("\(disks.count) disk(s)") }
        if let cbt = object.changeTrackingEnabled { parts.append(cbt ? "CBT on" : "CBT off") }
        if let guest = object.guestOS { parts.append(guest) }
        return parts.isEmpty ? "-" : parts.joined(separator: ", ")
    }
}
