import ArgumentParser
import Foundation
import HitchAPI

struct DiscoveryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discovery", abstract: "Read a vSphere connection's inventory.",
        discussion: """
            A discovery runs as a background job, one at a time per connection. Its result replaces the
            connection's inventory only once complete; a rotation meanwhile ends it as `invalidated`.
              hitch discovery run prod-vcenter --wait
              hitch inventory show prod-vcenter --type vm
            """,
        subcommands: [DiscoveryRun.self])
}

struct DiscoveryRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Start a discovery job; with --wait, follow it and print the counts per type.",
        discussion: "Exit status with --wait: 0 when it succeeded, 3 when it failed, was cancelled or invalidated.")

    @Argument(help: "The vSphere connection's name.") var name: String
    @Flag(help: "Follow the job's progress until it ends.") var wait = false
    @Option(help: "Seconds the job may take, 10 to 86400.") var timeout = 3600
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        let job: Components.Schemas.Job
        switch try await APIClient.call({
            try await client.startDiscovery(path: .init(name: name), query: .init(timeout: timeout))
        }) {
        case .accepted(let accepted): job = try accepted.body.json
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
        guard wait else {
            if output.output == .json { return try Printer.json(job) }
            Swift.print(job.id)
            Printer.note("discovery job \(job.id) running on \(job.connection); follow it with `hitch job show \(job.id)`")
            return
        }
        let ended = try await Self.follow(job, client: client, quiet: output.output == .json)
        if output.output == .json {
            try Printer.json(ended)
        } else if ended.state == .succeeded {
            try await Self.printCounts(of: ended, client: client)
        }
        guard ended.state == .succeeded else {
            throw CLIError("discovery of \(ended.connection) \(ended.state.rawValue): \(ended.detail ?? "")", exitCode: .testFailed)
        }
    }

    /// Polls the job until it ends, printing its progress on stderr when it changes.
    static func follow(_ job: Components.Schemas.Job, client: Client, quiet: Bool) async throws -> Components.Schemas.Job {
        var current = job
        var shown = ""
        while current.state == .running || current.state == .queued {
            if !quiet, let detail = current.detail, detail != shown {
                Printer.note("discovery \(current.id): \(detail)")
                shown = detail
            }
            try await Task.sleep(for: .milliseconds(250))
            switch try await APIClient.call({ try await client.getJob(path: .init(id: job.id)) }) {
            case .ok(let ok): current = try ok.body.json
            case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
            }
        }
        return current
    }

    /// The counts per type of the snapshot the job stored, read back from the inventory.
    private static func printCounts(of job: Components.Schemas.Job, client: Client) async throws {
        Swift.print("discovery of \(job.connection) succeeded (job \(job.id))")
        let page: Components.Schemas.InventoryPage
        switch try await APIClient.call({
            try await client.getInventory(path: .init(name: job.connection), query: .init(limit: 1))
        }) {
        case .ok(let ok): page = try ok.body.json
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
        guard let snapshot = page.snapshot, snapshot.jobId == job.id else {
            return Printer.note("another discovery has replaced this job's inventory since; see hitch inventory show \(job.connection)")
        }
        let counts = snapshot.counts.additionalProperties.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] }
        Printer.table(headers: ["TYPE", "COUNT"], rows: counts)
    }
}
