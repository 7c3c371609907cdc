import AsyncHTTPClient
import NIOCore
import Foundation
import HTTPTypes
import HitchAPI
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime

/// The generated client, pointed at the server, sending the bearer token.
enum APIClient {
    static func make() throws -> Client {
        let address = try ServerAddress.fromEnvironment()
        guard let token = address.token, !token.isEmpty else {
            throw CLIError("no token: set HITCH_TOKEN or run `hitch login`", exitCode: .notAllowed)
        }
        return make(url: address.url, token: token)
    }

    /// A client for `url`, with a token or (to sign in) without one.
    static func make(url: URL, token: String?) -> Client {
        Client(
            serverURL: url,
            transport: AsyncHTTPClientTransport(configuration: .init(client: .shared, timeout: .seconds(300))),
            middlewares: token.map { [BearerTokenMiddleware(token: $0)] } ?? [])
    }

    /// The error the server answered with, as a CLI failure with the matching exit code.
    static func failure(status: Int, body: Components.Schemas._Error?) -> CLIError {
        guard let error = body?.error else { return CLIError("the server answered \(status)", exitCode: .init(httpStatus: status)) }
        var message = error.message
        if let fields = error.details?.fields?.additionalProperties, !fields.isEmpty {
            message += fields.sorted { $0.key < $1.key }.map { "\n  \($0.key): \($0.value)" }.joined()
        }
        return CLIError(message, exitCode: .init(httpStatus: status))
    }

    /// Connection failures name the address, never the token.
    static func call<Output>(_ operation: () async throws -> Output) async throws -> Output {
        do {
            return try await operation()
        } catch let error as ClientError {
            let address = (try? ServerAddress.fromEnvironment().url.absoluteString) ?? "the server"
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
