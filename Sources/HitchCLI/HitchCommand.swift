import ArgumentParser
import Foundation

/// The `hitch` command: it lists the subcommands and maps failures to exit codes.
public struct HitchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "hitch",
        abstract: "Keeps the connections that automation needs to reach infrastructure platforms.",
        discussion: """
            The CLI finds the server in HITCH_ADDR (default http://127.0.0.1:8750) and its token in HITCH_TOKEN \
            or ~/.config/hitch/token.
            Exit codes: 0 ok, 1 error, 2 usage or validation, 3 a check failed (connection test, audit verify, preflight, discovery --wait), \
            4 refused (conflict, in use, stale), 5 not found, 6 not allowed.
            """,
        subcommands: [
            Serve.self, Login.self, Logout.self, Whoami.self, ConnectionCommand.self, UserCommand.self, TokenCommand.self,
            DiscoveryCommand.self, InventoryCommand.self, PreflightCommand.self, JobCommand.self, AssignmentCommand.self,
            AuditCommand.self, LeaseCommand.self, Exec.self, KeyCommand.self, BackupCommand.self, RestoreCommand.self,
            WebhookCommand.self,
        ])

    public init() {}

    /// Runs the command named on the command line, and exits with Hitch's exit codes.
    public static func runMain() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let status as ExitCode {
            // A command's own exit status (`hitch exec`), passed on as it is.
            Foundation.exit(status.rawValue)
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("hitch: \(error.message)\n".utf8))
            Foundation.exit(error.exitCode.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(code == .validationFailure ? HitchExitCode.usage.rawValue : HitchExitCode.error.rawValue)
        }
    }
}
