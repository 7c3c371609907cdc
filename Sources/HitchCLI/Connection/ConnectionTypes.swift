import ArgumentParser
import HitchAPI

struct ConnectionTypes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "types", abstract: "List the kinds of connection and their fields.")

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        let kinds: [Components.Schemas.ConnectionKind]
        switch try await APIClient.call({ try await client.listConnectionKinds() }) {
        case .ok(let ok): kinds = try ok.body.json.kinds
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
        if output.output == .json { return try Printer.json(kinds) }
        for kind in kinds {
            print("\(kind.name)  (\(kind.category.rawValue))  \(kind.title)")
            for field in kind.fields {
                var notes: [String] = []
                if field.required { notes.append("required") }
                if field.secret { notes.append("secret") }
                if field.destination { notes.append("destination: changing it needs the secret re-entered") }
                if field.generated == .always { notes.append("generated") }
                if let choices = field.choices { notes.append(choices.joined(separator: "|")) }
                let suffix = notes.isEmpty ? "" : " [\(notes.joined(separator: ", "))]"
                print("    \(field.name)\(suffix): \(field.help)")
            }
        }
    }
}
