import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle

/// A local HTTPS endpoint shaped like Prism Central's v3 `clusters/list` that answers after a fixed delay, for
/// scripts/bench-test-all. It checks the basic-auth header against the password read from stdin, like Prism.
struct SlowPrism: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slow-prism", abstract: "Serve a Prism-shaped clusters/list on 127.0.0.1 that answers after a delay.")

    @Option var port: Int
    @Option(help: "PEM certificate.") var certificate: String
    @Option(help: "PEM private key.") var key: String
    @Option(help: "Milliseconds before each answer.") var delay = 100
    @Option var username: String
    @Option(help: "The cluster the answer lists.") var clusterName = "Bench"

    func run() async throws {
        guard let password = readLine(strippingNewline: true), !password.isEmpty else {
            throw ValidationError("give the password on stdin")
        }
        let expected = "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        let answer = #"{"metadata":{"kind":"cluster","total_matches":1},"entities":[{"status":{"name":"\#(clusterName)"},"spec":{"name":"\#(clusterName)"},"metadata":{"kind":"cluster"}}]}"#
        let delay = Duration.milliseconds(delay)
        let router = Router()
        router.post("/api/nutanix/v3/clusters/list") { request, _ -> Response in
            try await Task.sleep(for: delay)
            guard request.headers[.authorization] == expected else {
                return Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: #"{"state":"ERROR","code":401}"#)))
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: answer)))
        }
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        var logger = Logger(label: "slow-prism")
        logger.logLevel = .warning
        let app = Application(
            router: router, server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname("127.0.0.1", port: port), backlog: 1024), logger: logger)
        try await app.runService()
    }
}
