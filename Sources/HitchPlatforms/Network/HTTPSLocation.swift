import Foundation
import NIOCore
import NIOHTTP1

/// An https URL taken apart for `PolicyHTTPSConnection`. Plain http is accepted only with `allowLoopbackHTTP`
/// and a loopback IP literal: a local emulator such as moto (and the egress policy checks again, after resolution,
/// that the server runs with the developer setting).
struct HTTPSLocation: Sendable {
    let host: String
    let port: Int
    /// Without a trailing slash; empty for the root.
    let path: String
    let plainHTTP: Bool

    init(_ url: URL, allowLoopbackHTTP: Bool = false) throws(StageFailure) {
        guard let host = url.host, !host.isEmpty else {
            throw StageFailure(.resolve, .error, "\(url.absoluteString) is not an https URL")
        }
        switch url.scheme {
        case "https": plainHTTP = false
        case "http" where allowLoopbackHTTP && IPRange.isLoopbackLiteral(host): plainHTTP = true
        default: throw StageFailure(.resolve, .error, "\(url.absoluteString) is not an https URL")
        }
        self.host = host
        port = url.port ?? (plainHTTP ? 80 : 443)
        path = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
    }

    /// The Host header's value: the host, with the port when it is not the scheme's, an IPv6 address in brackets.
    var authority: String {
        let name = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return port == (plainHTTP ? 80 : 443) ? name : "\(name):\(port)"
    }

    /// One request, over `existing` (which stays open) or a connection of its own; a failure to connect or answer
    /// is this stage's.
    func send(
        _ method: HTTPMethod, path: String, headers: HTTPHeaders, body: String?, policy: TLSPolicy, timeout: TimeAmount,
        stage: TestStage, over existing: PolicyHTTPSConnection? = nil
    ) async throws(StageFailure) -> PolicyHTTPSConnection.Response {
        let connection: PolicyHTTPSConnection
        if let existing {
            connection = existing
        } else {
            connection = try await PolicyHTTPSConnection.connect(
                host: host, port: port, policy: policy, timeout: timeout, plainHTTP: plainHTTP, stage: stage)
        }
        defer { if existing == nil { connection.close() } }
        var headers = headers
        if !headers.contains(name: "Host") { headers.add(name: "Host", value: authority) }
        do {
            return try await connection.send(method, path: path, headers: headers, body: body.map { ByteBuffer(string: $0) })
        } catch {
            throw StageFailure(stage, .unreachable, "no answer from \(host):\(port)")
        }
    }
}
