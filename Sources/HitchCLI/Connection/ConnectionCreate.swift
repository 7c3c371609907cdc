import ArgumentParser
import HitchAPI
import HitchDomain

struct ConnectionCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a connection. Secrets are read from stdin or a file, never from arguments.",
        discussion: """
            Example:
              printf '%s' "$PW" | hitch connection create vsphere prod-vcenter --vcenter vc01.corp.example \\
                  --username svc-hitch@vsphere.local --password-stdin --datacenter DC1 --tag prod
            """)

    @Argument(help: "The kind: vsphere, nutanix, azure, aws-access-key, aws-assume-role, aws-cross-account, gcp, api-key.")
    var kind: String
    @Argument(help: "The connection's name: 2-63 of lowercase letters, digits and hyphens; by the naming hint provider-purpose-environment (e.g. vcenter-migration-prod), or a warning says so.")
    var name: String
    @OptionGroup var flags: KindFlags
    @Option(help: "A description.") var description: String?
    @Option(help: "A friendly name shown beside the slug, e.g. 'Production vCenter (Frankfurt)'.") var displayName: String?
    @Option(name: .customLong("tag"), help: "A tag (repeatable, at most 5); suggested keys owner:, environment:, project:, purpose: (e.g. environment:prod).")
    var tags: [String] = []
    @Option(help: "Days the secret may age before rotation is due (1 to 3650); the server's default otherwise.")
    var maxSecretAge: DaysArgument?
    @Flag(help: "Have Hitch rotate the secret on the platform once due (aws-access-key, azure; see `connection rotate --generate`).")
    var autoRotate = false
    @Option(help: "How often the schedule tests it: 1m to 30d (30m, 6h, 1d) or never; the server's HITCH_CHECK_EVERY otherwise.")
    var checkEvery: String?
    @Flag(help: "Test the values first and save only if the test passes (exit 3 and nothing saved otherwise).")
    var test = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard ConnectionKind(rawValue: kind) != nil else {
            throw ValidationError("unknown kind '\(kind)'; `hitch connection types` lists the kinds")
        }
    }

    func run() async throws {
        let values = try flags.values(for: ConnectionKind(rawValue: kind)!)
        let client = try APIClient.make()
        let body = Components.Schemas.ConnectionCreate(
            kind: Components.Schemas.ConnectionKindName(rawValue: kind)!, name: name, description: description, displayName: displayName, tags: tags.isEmpty ? nil : tags,
            fields: .init(additionalProperties: values.fields.mapValues(\.apiValue)),
            secrets: .init(additionalProperties: values.secrets), maxSecretAgeDays: maxSecretAge?.days, autoRotate: autoRotate ? true : nil,
            checkEvery: checkEvery, generate: values.generate.isEmpty ? nil : values.generate)
        if test {
            switch try await APIClient.call({ try await client.testCandidateConnection(body: .json(body)) }) {
            case .ok(let ok): try TestResultPrinter.print(try ok.body.json, name: name, format: .table, beforeSaving: true, toStandardError: output.output == .json)
            case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
            }
        }
        switch try await APIClient.call({ try await client.createConnection(body: .json(body)) }) {
        case .created(let created): try SavedPrinter.print(try created.body.json, verb: "created", output: output.output)
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

/// What create and update print: the connection, any value Hitch generated (once), and warnings.
enum SavedPrinter {
    static func print(_ saved: Components.Schemas.ConnectionSaved, verb: String, output: OutputFormat) throws {
        for warning in saved.warnings { Printer.warn(warning) }
        if output == .json { return try Printer.json(saved) }
        let connection = saved.connection
        Swift.print("\(verb) \(connection.kind) connection \(connection.name) (credential version \(connection.credentialVersion))")
        for (field, value) in saved.issuedSecrets?.additionalProperties.sorted(by: { $0.key < $1.key }) ?? [] {
            Swift.print("\(field): \(value)")
            Printer.warn("store the \(field) now: Hitch will not show it again")
        }
    }
}
