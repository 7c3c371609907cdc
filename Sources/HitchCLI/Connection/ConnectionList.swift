import ArgumentParser
import HitchAPI

struct ConnectionList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List connections.")

    @Option(help: "Only this kind: vsphere, nutanix, azure, aws-access-key, aws-assume-role, aws-cross-account, gcp or api-key.")
    var kind: Components.Schemas.ConnectionKindName?
    @Option(name: .customLong("tag"), help: "Only connections with this tag (repeatable: all must match); KEY: alone matches any value, e.g. --tag environment:")
    var tags: [String] = []
    @Option(name: .customLong("text"), help: "Only connections whose name, display name, description or a tag contains this text.")
    var text: String?
    @Option(help: "Only connections whose last test is ok, failed or untested, whose rotation is due, or that are expiring (a certificate or secret the platform will let run out within 14 days, a server setting).")
    var status: Operations.ListConnections.Input.Query.StatusPayload?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        let query = Operations.ListConnections.Input.Query(kind: kind, tag: tags.isEmpty ? nil : tags, q: text, status: status)
        let connections: [Components.Schemas.Connection]
        switch try await APIClient.call({ try await client.listConnections(query: query) }) {
        case .ok(let ok): connections = try ok.body.json.connections
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
        if output.output == .json { return try Printer.json(connections) }
        Printer.table(
            headers: ["NAME", "KIND", "ENDPOINT", "TAGS", "STATUS", "UPDATED"],
            rows: connections.map { connection in
                [
                    connection.name, connection.kind, connection.endpoint ?? "-",
                    connection.tags.isEmpty ? "-" : connection.tags.joined(separator: ","),
                    connection.status.state + (connection.rotation?.due == true ? ", rotation due" : ""),
                    Printer.time(connection.updatedAt),
                ]
            })
    }
}

extension Operations.ListConnections.Input.Query.StatusPayload: ExpressibleByArgument {}
extension Components.Schemas.ConnectionKindName: ExpressibleByArgument {}
