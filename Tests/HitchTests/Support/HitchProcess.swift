import Foundation
import HitchServices
import Testing

/// The built `hitch` binary, run as a user would.
enum HitchBinary {
    static var path: String {
        if let path = ProcessInfo.processInfo.environment["HITCH_BINARY"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/hitch").path
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var output: String { stdout + stderr }
    }

    /// Runs a CLI command to its end.
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String]) async throws -> Result {
        try await runTool(path, arguments, stdin: stdin, environment: environment)
    }

    /// Runs any program to its end, with the environment given (the test's own when nil). It waits on a thread of
    /// its own: a test that blocked one of Swift's cooperative threads (two, on a two-core machine) on a child
    /// process would stall every other test's tasks, local servers included, until it ended.
    static func runTool(
        _ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Swift.Result { try runBlocking(executable, arguments, stdin: stdin, environment: environment) })
            }
        }
    }

    /// For a check that a trait makes before any test runs (no task of another test to stall then).
    static func runBlocking(
        _ executable: String, _ arguments: [String], stdin: String?, environment: [String: String]?
    ) throws -> Result {
        let input = try ChildProcess.pipe()
        let output = try ChildProcess.pipe()
        let errors = try ChildProcess.pipe()
        let child = try ChildProcess(
            executable, arguments, environment: environment, stdin: input.read.fileDescriptor,
            stdout: output.write.fileDescriptor, stderr: errors.write.fileDescriptor)
        // The child holds its own copies: the parent's ends close, so that reading ends when the child exits.
        for end in [input.read, output.write, errors.write] { try end.close() }
        if let stdin { input.write.write(Data(stdin.utf8)) }
        try input.write.close()
        let stdout = output.read.readDataToEndOfFile()
        let stderr = errors.read.readDataToEndOfFile()
        return Result(
            status: child.waitUntilExit(), stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// A `hitch serve` process on 127.0.0.1 with a port of its own choosing, logging to a file.
final class ServerProcess {
    let process: ChildProcess
    let logPath: String
    private(set) var address = ""

    private let scheme: String

    /// `scheme` is https for a server given --tls-cert.
    init(arguments: [String], environment: [String: String], logPath: String, scheme: String = "http") async throws {
        self.logPath = logPath
        self.scheme = scheme
        let log = try ChildProcess.outputFile(logPath)
        process = try ChildProcess(
            HitchBinary.path, ["serve", "--bind", "127.0.0.1:0"] + arguments, environment: environment,
            stdout: log.fileDescriptor, stderr: log.fileDescriptor)
        try log.close()
        address = try await waitForAddress()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    private func waitForAddress() async throws -> String {
        for _ in 0..<300 {
            if let range = log.range(of: "listening on 127.0.0.1:") {
                let port = log[range.upperBound...].prefix { $0.isNumber }
                if !port.isEmpty { return "\(scheme)://127.0.0.1:\(port)" }
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw ServerDidNotStart(log: log)
    }

    func stop() {
        guard process.isRunning else { return }
        process.interrupt()
        process.waitUntilExit()
    }

    struct ServerDidNotStart: Error, CustomStringConvertible {
        let log: String
        var description: String { "hitch serve did not start:\n\(log)" }
    }
}

/// A `hitch serve` on a backend's configuration, and the environment of a CLI signed in with its bootstrap token.
struct SignedInServer {
    let server: ServerProcess
    let environment: [String: String]

    /// A server started again, with the environment of a CLI that holds its token.
    init(server: ServerProcess, environment: [String: String]) {
        self.server = server
        self.environment = environment
    }

    /// With `tls`, it serves HTTPS with that certificate, and the CLI trusts `tls.authority`.
    init(
        _ configuration: HitchConfiguration, environment base: [String: String] = CanaryEndToEndTests.baseEnvironment,
        tls: (certificate: String, key: String, authority: String)? = nil
    ) async throws {
        var arguments = ["--data-dir", configuration.dataDirectory, "--log-level", "trace"]
        if let url = configuration.databaseURL { arguments += ["--database-url", url] }
        if let tls { arguments += ["--tls-cert", tls.certificate, "--tls-key", tls.key] }
        server = try await ServerProcess(
            arguments: arguments, environment: base, logPath: configuration.dataDirectory + ".log", scheme: tls == nil ? "http" : "https")
        var environment = base
        if let tls { environment["HITCH_CA_CERT"] = tls.authority }
        environment["HITCH_ADDR"] = server.address
        environment["HITCH_TOKEN"] = try String(contentsOfFile: configuration.dataDirectory + "/bootstrap-token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        self.environment = environment
    }

    /// The environment of a new service identity with `role`, made by the admin through the built CLI, with a
    /// token of an hour; `options` go to `user create` (e.g. `--allow-tag team-a`).
    func environment(ofService name: String, role: String, options: [String] = []) async throws -> [String: String] {
        let created = try await HitchBinary.run(["user", "create", name, "--role", role, "--service"] + options, environment: environment)
        try #require(created.status == 0, "\(created.output)")
        let issued = try await HitchBinary.run(
            ["token", "create", "--user", name, "--name", "t", "--expires", "1h", "-o", "json"], environment: environment)
        var service = environment
        service["HITCH_TOKEN"] = try #require(
            (try JSONSerialization.jsonObject(with: Data(issued.stdout.utf8)) as? [String: Any])?["secret"] as? String, "\(issued.output)")
        return service
    }
}

/// Runs the built CLI, checks each exit status, and keeps every output for the check that no secret is in any.
final class CLIRecorder {
    private(set) var outputs: [String] = []

    @discardableResult
    func run(
        _ arguments: [String], as environment: [String: String], stdin: String? = nil, expect status: Int32,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> HitchBinary.Result {
        let result = try await HitchBinary.run(arguments, stdin: stdin, environment: environment)
        #expect(result.status == status, "hitch \(arguments.joined(separator: " ")): \(result.output)", sourceLocation: sourceLocation)
        outputs.append(result.output)
        return result
    }
}
