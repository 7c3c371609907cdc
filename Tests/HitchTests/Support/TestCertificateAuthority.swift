import Foundation
import Testing

/// A private CA made with openssl for one test, and server certificates for 127.0.0.1 that it signs, each with a
/// common name of its own so that a test can tell which one a server presents.
struct TestCertificateAuthority {
    let directory: String
    var certificatePath: String { directory + "/ca.crt" }

    init(in directory: String) async throws {
        self.directory = directory
        try await Self.openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/ca.key", "-out", directory + "/ca.crt",
            "-days", "2", "-subj", "/CN=hitch test CA",
        ])
    }

    /// A certificate for 127.0.0.1 and localhost with common name `name`: (certificate path, key path).
    func issue(_ name: String) async throws -> (certificate: String, key: String) {
        let base = directory + "/" + name
        try await Self.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=\(name)"])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: base + ".ext", atomically: true, encoding: .utf8)
        try await Self.openssl([
            "x509", "-req", "-in", base + ".csr", "-CA", certificatePath, "-CAkey", directory + "/ca.key", "-CAcreateserial",
            "-out", base + ".crt", "-days", "2", "-extfile", base + ".ext",
        ])
        chmod(base + ".key", 0o600)
        return (base + ".crt", base + ".key")
    }

    /// The base64 SHA-256 of a certificate's public key (SPKI), as Chromium's --ignore-certificate-errors-spki-list
    /// takes it.
    func publicKeyHash(of certificate: String) async throws -> String {
        let result = try await HitchBinary.runTool(
            "/bin/sh", ["-c", "openssl x509 -pubkey -noout -in \"$1\" | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64", "sh", certificate])
        try #require(result.status == 0, "\(result.output)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func openssl(_ arguments: [String]) async throws {
        let result = try await HitchBinary.runTool("/usr/bin/openssl", arguments)
        try #require(result.status == 0, "openssl \(arguments.joined(separator: " ")): \(result.output)")
    }
}
