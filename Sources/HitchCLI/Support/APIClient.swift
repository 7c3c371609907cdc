import AsyncHTTPClient
import NIOCore
import NIOSSL
import Foundation
import HTTPTypes
import HitchAPI
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime

/// The generated client, pointed at the server, sending the bearer token.
enum APIClient {
    static func make() throws -> Client {
        let address = try ServerAddress.fromEnvironment()
        return make(url: address.url, token: try token(of: address), httpClient: try shared())
    }

    private static func token(of address: ServerAddress) throws -> String {
        guard let token = address.token, !token.isEmpty else {
            throw CLIError("no token: set HITCH_TOKEN or run `hitch login`", exitCode: .notAllowed)
        }
        return token
    }

    /// The CLI's HTTP client: like the shared one, but a server that cannot be reached (stopped, restarting, a wrong
    /// address) is reported after 5 s of trying to connect, not 90; and it trusts the CA given (`TrustedCA`) beside
    /// the system's.
    private static let httpClient = Result { HTTPClient(eventLoopGroupProvider: .singleton, configuration: try configuration(parallel: 8)) }

    static func shared() throws -> HTTPClient { try httpClient.get() }

    static func configuration(parallel: Int, authorities given: [NIOSSLCertificate]? = nil) throws -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(parallel, 8)
        configuration.timeout.connect = .seconds(5)
        let authorities = try given ?? TrustedCA.configured()
        if !authorities.isEmpty {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            tls.additionalTrustRoots = [.certificates(authorities)]
            configuration.tlsConfiguration = tls
        }
        return configuration
    }

    /// A client for `url`, with a token or (to sign in) without one.
    static func make(url: URL, token: String?, httpClient: HTTPClient) -> Client {
        Client(
            serverURL: url,
            transport: AsyncHTTPClientTransport(configuration: .init(client: httpClient, timeout: .seconds(300))),
            middlewares: token.map { [BearerTokenMiddleware(token: $0)] } ?? [])
    }

    /// A client that may keep `parallel` requests in flight to the server at once (the shared HTTP client keeps at
    /// most 8 connections per host), for `body` only.
    static func withClient<Result: Sendable>(
        parallel: Int, _ body: (Client) async throws -> Result
    ) async throws -> Result {
        let address = try ServerAddress.fromEnvironment()
        let token = try token(of: address)
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: try configuration(parallel: parallel))
        do {
            let result = try await body(make(url: address.url, token: token, httpClient: httpClient))
            try await httpClient.shutdown()
            return result
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
    }

    /// For JSON lines, which the generated client does not decode itself: the server writes ISO 8601 dates.
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// The error the server answered with, as a CLI failure with the matching exit code.
    static func failure(status: Int, body: Components.Schemas._Error?) -> CLIError {
        guard let error = body?.error else { return CLIError("the server answered \(status)", exitCode: .init(httpStatus: status)) }
        var message = error.message
        if let fields = error.details?.fields?.additionalProperties, !fields.isEmpty {
            message += fields.sorted { $0.key < $1.key }.map { "\n  \($0.key): \($0.value)" }.joined()
        }
        for blocker in error.details?.blockers ?? [] { message += "\n  - " + blocker }
        return CLIError(message, exitCode: .init(httpStatus: status))
    }

    /// Connection failures name the address, never the token.
    static func call<Output>(_ operation: () async throws -> Output) async throws -> Output {
        do {
            return try await operation()
        } catch let error as ClientError {
            let address = (try? ServerAddress.fromEnvironment().url.absoluteString) ?? "the server"
            if error.underlyingError is NIOSSLError {
                throw CLIError("cannot reach Hitch at \(address): its TLS certificate is not trusted here (give the CA that signed it with `hitch login --ca-cert FILE` or HITCH_CA_CERT)")
            }
            throw CLIError("cannot reach Hitch at \(address): \(type(of: error.underlyingError))")
        }
    }
}

struct BearerTokenMiddleware: ClientMiddleware {
    let token: String

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        request.headerFields[.authorization] = "Bearer \(token)"
        return try await next(request, body, baseURL)
    }
}
