import HTTPTypes
import HitchServices
import Logging
import OpenAPIRuntime

/// Passes every API operation through the `AccessGate` (S5) with the actor its bearer token established.
package struct AccessMiddleware: ServerMiddleware {
    let gate: AccessGate

    package func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        AccessRecord.current?.operation = operationID
        let targetName = metadata.pathParameters["name"] ?? metadata.pathParameters["id"]
        return try await gate.perform(operationID, as: Authentication.current, target: targetName.map(String.init)) {
            try await next(request, body, metadata)
        }
    }

    package init(gate: AccessGate) {
        self.gate = gate
    }
}
