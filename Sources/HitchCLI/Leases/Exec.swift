import ArgumentParser
import Foundation
import HitchAPI

/// Runs a command with a lease's credential in its environment, then ends the lease, and exits with the command's
/// status: the credential never lands in a shell history or a file.
struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run a command with a lease's credential in its environment; end the lease after.",
        discussion: """
              hitch exec aws-main --ttl 15m -- aws sts get-caller-identity
            The variables are those of `hitch lease create -o env`. The command's exit status is hitch's.
            """)

    @Argument(help: "The connection's name.") var name: String
    @Option(help: "How long the lease may last: 15m by default.") var ttl: DurationArgument?
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.") var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command after --, e.g. hitch exec NAME -- aws sts get-caller-identity") }
    }

    func run() async throws {
        let issued = try await LeaseCreate.issue(name, ttl: ttl, job: nil)
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in LeaseEnvironment.variables(issued) { environment[key] = value }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.environment = environment
        let status: Int32
        do {
            try process.run()
            process.waitUntilExit()
            status = process.terminationStatus
        } catch {
            try? await LeaseRevoke.revoke(issued.lease.id)
            throw CLIError("cannot run \(command[0])")
        }
        do {
            try await LeaseRevoke.revoke(issued.lease.id)
        } catch {
            Printer.warn("the lease \(issued.lease.id) could not be ended now; it ends at its expiry")
        }
        throw ExitCode(status)
    }
}
