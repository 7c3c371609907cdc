import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

/// `hitch serve --tls-cert --tls-key`, as a user runs it: the CLI trusts the server through a private CA
/// (`HITCH_CA_CERT`, or `hitch login --ca-cert`, which saves it), a plain HTTP request to the TLS port gets no answer,
/// the dashboard's cookies are Secure, and SIGHUP serves a new certificate to the next connection while an open one
/// keeps working. Off loopback, serve refuses plain HTTP before it opens anything.
@Suite struct TLSEndToEndTests {
    @Test func theCLIAndTheDashboardOverTLSAndAReloadOnHangup() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let authority = try await TestCertificateAuthority(in: directory.path)
        let first = try await authority.issue("hitch-tls-one")
        let second = try await authority.issue("hitch-tls-two")
        let servedCertificate = directory.path + "/served.crt"
        let servedKey = directory.path + "/served.key"
        try FileManager.default.copyItem(atPath: first.certificate, toPath: servedCertificate)
        try FileManager.default.copyItem(atPath: first.key, toPath: servedKey)

        let server = try await ServerProcess(
            arguments: ["--data-dir", directory.path + "/data", "--tls-cert", servedCertificate, "--tls-key", servedKey],
            environment: CanaryEndToEndTests.baseEnvironment, logPath: directory.path + "/server.log", scheme: "https")
        defer { server.stop() }
        #expect(server.address.hasPrefix("https://127.0.0.1:"))
        let port = try #require(server.address.split(separator: ":").last.map(String.init))

        // The CLI: untrusted without the CA, trusted with it.
        var environment = CanaryEndToEndTests.baseEnvironment
        environment["XDG_CONFIG_HOME"] = directory.path + "/config"
        environment["HITCH_ADDR"] = server.address
        environment["HITCH_TOKEN"] = try String(contentsOfFile: directory.path + "/data/bootstrap-token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let untrusted = try await HitchBinary.run(["connection", "list"], environment: environment)
        #expect(untrusted.status != 0 && untrusted.stderr.contains("not trusted"), "\(untrusted.output)")
        var trusting = environment
        trusting["HITCH_CA_CERT"] = authority.certificatePath
        let password = "tls-admin-password-\(UUID().uuidString.prefix(8))"
        let created = try await HitchBinary.run(
            ["user", "create", "tls-admin", "--role", "admin", "--password-stdin"], stdin: password, environment: trusting)
        #expect(created.status == 0, "\(created.output)")

        // `hitch login --addr https://... --ca-cert` saves the address, the token and the CA for the next commands.
        var signedIn = CanaryEndToEndTests.baseEnvironment
        signedIn["XDG_CONFIG_HOME"] = directory.path + "/config"
        let login = try await HitchBinary.run(
            ["login", "--addr", server.address, "--username", "tls-admin", "--password-stdin", "--ca-cert", authority.certificatePath],
            stdin: password, environment: signedIn)
        #expect(login.status == 0, "\(login.output)")
        let whoami = try await HitchBinary.run(["whoami"], environment: signedIn)
        #expect(whoami.status == 0 && whoami.stdout.contains("tls-admin"), "\(whoami.output)")
        let saved = try String(contentsOfFile: directory.path + "/config/hitch/addr", encoding: .utf8)
        #expect(saved.trimmingCharacters(in: .whitespacesAndNewlines) == server.address)

        // Plain HTTP to the TLS port: no HTTP answer at all.
        let plain = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(10))
        #expect(plain == nil, "a plain request got \(String(describing: plain?.status))")

        // The dashboard's cookies are Secure, from a client that trusts the CA.
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(authority.certificatePath)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        let page = try await client.execute(HTTPClientRequest(url: server.address + "/ui/login"), timeout: .seconds(30))
        try await client.shutdown()
        let cookie = try #require(page.headers["Set-Cookie"].first { $0.hasPrefix("hitch_signin=") })
        #expect(cookie.contains("; Secure"), "\(cookie)")

        // SIGHUP: a connection opened before keeps working; the next one gets the new certificate.
        let probe = try TLSProbe(port: port, authority: authority.certificatePath)
        let before = try probe.line()
        #expect(before == "first hitch-tls-one 200", "\(before)")
        try FileManager.default.removeItem(atPath: servedCertificate)
        try FileManager.default.removeItem(atPath: servedKey)
        try FileManager.default.copyItem(atPath: second.certificate, toPath: servedCertificate)
        try FileManager.default.copyItem(atPath: second.key, toPath: servedKey)
        kill(server.process.processIdentifier, SIGHUP)
        for _ in 0..<100 where !server.log.contains("tls certificate reloaded") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(server.log.contains("tls certificate reloaded"), "\(server.log)")
        let after = try probe.finish()
        #expect(after.contains("fresh hitch-tls-two 200"), "\(after)")
        #expect(after.contains("kept hitch-tls-one 200 same-socket"), "\(after)")
        #expect(server.process.isRunning)

        // A reload whose files do not load keeps serving the certificate that works.
        try "not a certificate".write(toFile: servedCertificate, atomically: true, encoding: .utf8)
        kill(server.process.processIdentifier, SIGHUP)
        for _ in 0..<100 where !server.log.contains("tls certificate not reloaded") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(server.log.contains("tls certificate not reloaded"))
        let still = try await HitchBinary.run(["whoami"], environment: signedIn)
        #expect(still.status == 0, "\(still.output)")
        #expect(!server.log.contains(password))
    }

    @Test func plainHTTPOffLoopbackIsRefusedBeforeAnythingOpens() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // It never listens: the refusal comes before the data directory or a socket is opened.
        let refused = try await HitchBinary.run(
            ["serve", "--data-dir", directory.path + "/data", "--bind", "0.0.0.0:0"], environment: CanaryEndToEndTests.baseEnvironment)
        #expect(refused.status != 0 && refused.stderr.contains("refusing to serve plain HTTP on 0.0.0.0"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data"))
        let halfTLS = try await HitchBinary.run(
            ["serve", "--data-dir", directory.path + "/data", "--tls-cert", directory.path + "/missing.crt"],
            environment: CanaryEndToEndTests.baseEnvironment)
        #expect(halfTLS.status != 0 && halfTLS.stderr.contains("--tls-cert and --tls-key go together"), "\(halfTLS.output)")
        let unreadable = try await HitchBinary.run(
            ["serve", "--data-dir", directory.path + "/data", "--tls-cert", directory.path + "/missing.crt", "--tls-key", directory.path + "/missing.key"],
            environment: CanaryEndToEndTests.baseEnvironment)
        #expect(unreadable.status != 0 && unreadable.stderr.contains("missing.crt"), "\(unreadable.output)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data"))
    }
}

/// A Python client that opens one TLS connection and keeps it, then (on a line from the test) opens a fresh one and
/// uses the kept one again, printing the certificate each presented.
private final class TLSProbe {
    private let process: ChildProcess
    private let input: (read: FileHandle, write: FileHandle)
    private let output: (read: FileHandle, write: FileHandle)
    private var buffer = Data()

    static let script = """
        import http.client, ssl, sys
        port, ca = int(sys.argv[1]), sys.argv[2]
        context = ssl.create_default_context(cafile=ca)
        def name(connection):
            return dict(part[0] for part in connection.sock.getpeercert()["subject"])["commonName"]
        def get(connection):
            connection.request("GET", "/healthz")
            answer = connection.getresponse()
            answer.read()
            return answer.status
        kept = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        status = get(kept)
        socket = kept.sock
        print("first", name(kept), status, flush=True)
        sys.stdin.readline()
        fresh = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        print("fresh", name(fresh) if get(fresh) else "", 200, flush=True)
        status = get(kept)
        print("kept", name(kept), status, "same-socket" if kept.sock is socket else "reconnected", flush=True)
        """

    init(port: String, authority: String) throws {
        input = try ChildProcess.pipe()
        output = try ChildProcess.pipe()
        process = try ChildProcess(
            "/usr/bin/env", ["python3", "-c", Self.script, port, authority], stdin: input.read.fileDescriptor,
            stdout: output.write.fileDescriptor, stderr: output.write.fileDescriptor)
        try input.read.close()
        try output.write.close()
    }

    /// The next line the probe prints.
    func line() throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let more = output.read.availableData
            if more.isEmpty { return String(decoding: buffer, as: UTF8.self) }
            buffer.append(more)
        }
    }

    /// Lets the probe go on, and returns what it printed to its end.
    func finish() throws -> String {
        input.write.write(Data("go\n".utf8))
        try input.write.close()
        let rest = output.read.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: buffer + rest, as: UTF8.self)
    }
}
