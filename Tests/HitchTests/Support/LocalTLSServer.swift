import Crypto
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle
import Testing

/// A local HTTPS server on 127.0.0.1 for the platforms that have no simulator here: it follows the documented
/// request and response shapes and checks what Hitch sends. Its certificate is self-signed (made with openssl), so a
/// test pins it by its thumbprint or sees it refused.
enum LocalTLSServer {
    struct Running: Sendable {
        let port: Int
        let thumbprint: String
    }

    /// With `plainHTTP` it serves plain HTTP (an endpoint override may be `http://127.0.0.1`), and has no thumbprint.
    /// `certificateNames` are the certificate's subject alternative names: by default 127.0.0.1 and localhost; a
    /// vCenter reached by its IP often presents only its own host name (`DNS:vc01.corp.example`).
    static func run(
        _ router: Router<BasicRequestContext>, plainHTTP: Bool = false,
        certificateNames: String = "IP:127.0.0.1,DNS:localhost", _ body: @Sendable (Running) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (certificate, key) = try makeCertificate(in: directory.path, names: certificateNames)
        let tls = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
        let thumbprint = SHA256.hash(data: try certificate.toDERBytes()).map { String(format: "%02x", $0) }.joined()
        var logger = Logger(label: "local-tls-server")
        logger.logLevel = .warning
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, server: plainHTTP ? .http1() : try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            do {
                try await body(Running(port: port, thumbprint: thumbprint))
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    private static func makeCertificate(in directory: String, names: String) throws -> (NIOSSLCertificate, NIOSSLPrivateKey) {
        let process = try ChildProcess(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/key.pem", "-out",
                directory + "/cert.pem", "-days", "1", "-subj", "/CN=local.hitch.test", "-addext",
                "subjectAltName=" + names,
            ])
        try #require(process.waitUntilExit() == 0, "openssl could not make a certificate")
        return (
            try #require(try NIOSSLCertificate.fromPEMFile(directory + "/cert.pem").first),
            try NIOSSLPrivateKey(file: directory + "/key.pem", format: .pem)
        )
    }
}
