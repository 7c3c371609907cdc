import ArgumentParser
import HitchAPI
import HitchDomain
import HitchServices

struct ConnectionUpdate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Change a connection's fields, secrets, description or tags.",
        discussion: """
            Only what is given changes. A new secret or identity makes a new credential version:
              printf '%s' "$NEW_PW" | hitch connection update prod-vcenter --password-stdin
            A change of where the secret is sent (a destination field: --vcenter, --endpoint, --insecure,
            --thumbprint, --sts-endpoint, --authority-host, --arm-endpoint, --api-endpoint, --via) needs every secret
            of the connection re-entered in the same command, or nothing changes (exit 2):
              printf '%s' "$PW" | hitch connection update prod-vcenter --vcenter vc02.corp.example --password-stdin
            The change is sent with the ETag read first; if someone saved in between, nothing changes (exit 4).
            """)

    @Argument(help: "The connection's name.") var name: String
    @OptionGroup var flags: KindFlags
    @Option(help: "A new description.") var description: String?
    @Option(help: "A new display name; '' removes it.") var displayName: String?
    @Option(name: .customLong("tag"), help: "Replace the tags (repeatable, at most 5).") var tags: [String] = []
    @Option(help: "Days the secret may age before rotation is due (1 to 3650), or `default` for the server's.")
    var maxSecretAge: DaysArgument?
    @Flag(inversion: .prefixedNo, help: "Have Hitch rotate the secret on the platform once due, or stop (aws-access-key, azure).")
    var autoRotate: Bool?
    @Option(help: "How often the schedule tests it: 1m to 30d (30m, 6h, 1d), never, or default (the server's).")
    var checkEvery: String?
    @Option(name: .customLong("clear"), help: "Empty an optional field (repeatable), e.g. --clear thumbprint.")
    var clear: [String] = []
    @Option(help: "Have Hitch make a new value, shown once: key (api-key) or external-id (aws-cross-account).")
    var regenerate: Regenerated?
    @Flag(help: "Test the changed values first and save only if the test passes (exit 3 and nothing saved otherwise).")
    var test = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        let current = try await ConnectionFetch.get(name, client: client)
        guard let kind = ConnectionKind(rawValue: current.kind) else {
            throw CLIError("the server returned an unknown kind '\(current.kind)'")
        }
        var values = try flags.values(for: kind)
        if let regenerate {
            guard regenerate.kind == kind else {
                throw CLIError.usage("--regenerate \(regenerate.rawValue) is for \(regenerate.kind.rawValue) connections")
            }
            values.generate.append(regenerate.field)
        }
        let body = Components.Schemas.ConnectionUpdate(
            description: description, displayName: displayName, tags: tags.isEmpty ? nil : tags,
            fields: values.fields.isEmpty ? nil : .init(additionalProperties: values.fields.mapValues(\.apiValue)),
            clear: clear.isEmpty ? nil : clear,
            secrets: values.secrets.isEmpty ? nil : .init(additionalProperties: values.secrets),
            maxSecretAgeDays: maxSecretAge?.days, autoRotate: autoRotate, checkEvery: checkEvery, generate: values.generate.isEmpty ? nil : values.generate)
        if test {
            switch try await APIClient.call({ try await client.testConnection(path: .init(name: name), body: .json(body)) }) {
            case .ok(let ok): try TestResultPrinter.print(try ok.body.json, name: name, format: .table, beforeSaving: true, toStandardError: output.output == .json)
            case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
            }
        }
        let response = try await APIClient.call {
            try await client.updateConnection(path: .init(name: name), headers: .init(ifMatch: current.etag), body: .json(body))
        }
        switch response {
        case .ok(let ok): try SavedPrinter.print(try ok.body.json, verb: "updated", output: output.output)
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

/// What `update --regenerate` may make anew.
enum Regenerated: String, ExpressibleByArgument, CaseIterable {
    case key
    case externalId = "external-id"

    var kind: ConnectionKind { self == .key ? .apiKey : .awsCrossAccount }
    var field: String { self == .key ? "key" : "externalId" }
}
