import ArgumentParser
import Foundation
import HitchAPI

struct LeaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lease", abstract: "Short-lived credentials from a connection, for automation (consumer, admin).",
        discussion: """
            A lease is a vCenter session (vsphere), a Prism Central session (nutanix), STS temporary credentials
            (the AWS kinds) or an OAuth access token (azure, gcp) that Hitch makes from the stored secret, which
            never leaves it. The credential is printed once; the lease ends at its expiry, on revoke, when its job
            finishes, or when the connection rotates.
              hitch lease create prod-vcenter --ttl 30m
              eval "$(hitch lease create aws-main -o env)"
              hitch exec aws-main -- aws sts get-caller-identity
            """,
        subcommands: [LeaseCreate.self, LeaseList.self, LeaseShow.self, LeaseRevoke.self])

    static func print(_ leases: [Components.Schemas.Lease]) {
        Printer.table(
            headers: ["ID", "CONNECTION", "KIND", "CONSUMER", "STATE", "ISSUED", "EXPIRES", "ENDED", "JOB"],
            rows: leases.map {
                [$0.id, $0.connection, $0.kind, $0.consumer, $0.state.rawValue + ($0.endReason.map { " (\($0.rawValue))" } ?? ""),
                 Printer.time($0.issuedAt), Printer.time($0.expiresAt), Printer.time($0.endedAt), $0.jobId ?? "-"]
            })
    }
}

/// `-o table|json|env` for the one command that prints a credential.
enum LeaseOutput: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
    case env
}

struct LeaseCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Take a lease on a connection and print its credential, once.")

    @Argument(help: "The connection's name.") var name: String
    @Option(help: "How long it lasts: 15m (default), 2h, ... at most the server's maximum.") var ttl: DurationArgument?
    @Option(help: "An active job of the connection: the lease ends when it finishes.") var job: String?
    @Option(help: "azure, gcp: the token's scope (Resource Manager's .default, or cloud-platform, by default).") var scope: String?
    @Option(name: .shortAndLong, help: "table (default), json, or env (export lines for the platform's own tools).")
    var output: LeaseOutput = .table

    func run() async throws {
        let issued = try await Self.issue(name, ttl: ttl, job: job, scope: scope)
        switch output {
        case .json: try Printer.json(issued)
        case .env: Swift.print(LeaseEnvironment.variables(issued).map { "export \($0.key)=\(LeaseEnvironment.quoted($0.value))" }.joined(separator: "\n"))
        case .table:
            LeaseCommand.print([issued.lease])
            for (name, value) in LeaseEnvironment.variables(issued) { Swift.print("\(name)=\(value)") }
            if let note = issued.credentials.note { Printer.warn(note) }
            Printer.warn("the credential is shown once; it ends \(Printer.time(issued.lease.expiresAt)) or on `hitch lease revoke \(issued.lease.id)`")
        }
    }

    static func issue(
        _ name: String, ttl: DurationArgument?, job: String?, scope: String? = nil
    ) async throws -> Components.Schemas.LeaseIssued {
        let client = try APIClient.make()
        let body = Components.Schemas.LeaseCreate(ttlSeconds: ttl.map { Int($0.seconds) }, jobId: job, scope: scope)
        switch try await APIClient.call({ try await client.createLease(path: .init(name: name), body: .json(body)) }) {
        case .created(let created): return try created.body.json
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct LeaseList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Leases, newest first (metadata only).")

    @Option(help: "Only this connection's.") var connection: String?
    @Flag(help: "Only leases that have not ended.") var active = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.listLeases(query: .init(connection: connection, active: active ? true : nil)) }) {
        case .ok(let ok):
            let leases = try ok.body.json.leases
            if output.output == .json { return try Printer.json(leases) }
            LeaseCommand.print(leases)
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct LeaseShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One lease (metadata only).")

    @Argument(help: "The lease's id.") var id: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.getLease(path: .init(id: id)) }) {
        case .ok(let ok):
            let lease = try ok.body.json
            if output.output == .json { return try Printer.json(lease) }
            LeaseCommand.print([lease])
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct LeaseRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "End a lease now (a vCenter session is logged out).")

    @Argument(help: "The lease's id.") var id: String

    func run() async throws {
        try await Self.revoke(id)
        Swift.print("lease \(id) ended")
    }

    static func revoke(_ id: String) async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.revokeLease(path: .init(id: id)) }) {
        case .noContent: return
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}
