import Foundation
import Testing

/// A vCenter simulator a test starts for itself (peers/vcsim, built by scripts/test): its own model size, users
/// with grants, slowed methods and held methods (`Gate`). `counts` is the model's own count per inventory type, printed by the peer.
final class VCSimInstance: @unchecked Sendable {  // the process is only started and stopped
    struct User: Codable, Sendable {
        var username: String
        var password: String
        var role: String
        var privileges: [String]? = nil
        /// Where the role is granted: "root" or "datacenter".
        var entity: String
    }

    let url: URL
    let thumbprint: String
    let counts: [String: Int]
    private let process: ChildProcess
    private let usersFile: URL
    private let directory: URL

    var hostPort: String { "\(url.host!):\(url.port!)" }
    /// The users file, read again at every login: a process that writes it changes a password in "vCenter".
    var usersPath: String { usersFile.path }

    private init(url: URL, thumbprint: String, counts: [String: Int], process: ChildProcess, usersFile: URL, directory: URL) {
        self.url = url
        self.thumbprint = thumbprint
        self.counts = counts
        self.process = process
        self.usersFile = usersFile
        self.directory = directory
    }

    /// A held method's gate: while it is closed, every call of the method waits in the simulator (at most five
    /// minutes); a test closes it to keep a client inside a call for as long as the test needs.
    struct Gate: Sendable {
        let path: String

        func close() { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        func open() { try? FileManager.default.removeItem(atPath: path) }
    }

    /// The gate of a method named in `start(holding:)`.
    func gate(_ method: String) -> Gate { Self.gate(method, in: directory) }

    private static func gate(_ method: String, in directory: URL) -> Gate {
        Gate(path: directory.appendingPathComponent("hold-\(method)").path)
    }

    /// Starts a simulator; the methods in `holding` start with their gates closed.
    static func start(
        users: [User], arguments: [String] = [], holding: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> VCSimInstance {
        let binary = try #require(
            ProcessInfo.processInfo.environment["HITCH_TEST_VCSIM_BINARY"],
            "the vCenter simulator peer is not built: run the tests through scripts/test", sourceLocation: sourceLocation)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hitch-vcsim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let usersFile = directory.appendingPathComponent("users.json")
        try write(users, to: usersFile)
        let gates = holding.map { gate($0, in: directory) }
        for gate in gates { gate.close() }
        let holds = zip(holding, gates).map { "\($0)=\($1.path)" }.joined(separator: ",")
        let outputPath = directory.appendingPathComponent("out")
        let output = try ChildProcess.outputFile(outputPath.path)
        let process = try ChildProcess(
            binary, ["-users", usersFile.path] + (holds.isEmpty ? [] : ["-hold", holds]) + arguments,
            environment: ["TMPDIR": directory.path], stdout: output.fileDescriptor, stderr: output.fileDescriptor)
        try output.close()
        for _ in 0..<300 {
            let text = (try? String(contentsOf: outputPath, encoding: .utf8)) ?? ""
            if let listening = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
                let countsLine = text.split(separator: "\n").first(where: { $0.hasPrefix("counts ") })
            {
                let words = listening.split(separator: " ")
                let counts = try JSONDecoder().decode([String: Int].self, from: Data(countsLine.dropFirst(7).utf8))
                return VCSimInstance(
                    url: URL(string: String(words[2]))!, thumbprint: String(words[4]), counts: counts, process: process,
                    usersFile: usersFile, directory: directory)
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        process.terminate()
        let text = (try? String(contentsOf: outputPath, encoding: .utf8)) ?? ""
        Issue.record("the vCenter simulator did not start: \(text)", sourceLocation: sourceLocation)
        throw CancellationError()
    }

    /// Changes the users (a password, a grant's place for new roles is fixed at start); counts from the next login.
    func replaceUsers(_ users: [User]) throws {
        try Self.write(users, to: usersFile)
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private static func write(_ users: [User], to file: URL) throws {
        try JSONEncoder().encode(users).write(to: file, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    }
}
