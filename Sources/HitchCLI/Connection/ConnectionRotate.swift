import ArgumentParser
import HitchAPI

struct ConnectionRotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Rotate a connection's secret on the platform itself (aws-access-key, azure).",
        discussion: """
            With --generate, Hitch makes a new access key for the key's own IAM user with the current key, tests it \
            with STS, saves it as a new credential version and then deletes the old key from IAM. If a step before \
            the save fails, the new key is deleted again and the old one kept (exit 1, naming the step); a user with \
            two keys already is refused before anything is made (exit 4). For azure, a new client secret is added to \
            the application with Microsoft Graph, tested, saved, and the old one removed. The new secret is never shown.
              hitch connection rotate aws-deploy-prod --generate
            Other kinds are rotated by hand: `hitch connection update NAME --password-stdin` (or the kind's secret).
            """)

    @Argument(help: "The connection's name.") var name: String
    @Flag(help: "Make the new secret on the platform (required: the only rotation this command does).") var generate = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard generate else {
            throw ValidationError("give --generate; to enter a new secret by hand, use `hitch connection update \(name) --<secret>-stdin`")
        }
    }

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.rotateOnPlatform(path: .init(name: name)) }) {
        case .created(let created): try SavedPrinter.print(try created.body.json, verb: "rotated on the platform", output: output.output)
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}
