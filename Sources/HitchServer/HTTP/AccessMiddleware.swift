import HTTPTypes
import Logging
import OpenAPIRuntime

/// Passes every API operation through the `AccessGate` (S5) with the actor its bearer token established.
struct AccessMiddleware: ServerMiddleware {
    let gate: AccessGate

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        AccessRecord.current?.operation = operationID
        let targetName = metadata.pathParameters["name"] ?? metadata.pathParameters["id"]
        return try await gate.perform(operationID, as: Authentication.current, target: targetName.map(String.init)) {
            try await next(request, body, metadata)
        }
    }
}
