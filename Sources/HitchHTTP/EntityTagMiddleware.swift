import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Writes a response's `ETag` as HTTP's entity tag, `"<id>:<revision>"`. swift-openapi-runtime writes every header
/// that the document types as a string through its URI coder, which percent-encodes the quotes and the colon
/// (`%22...%3A1%22`): not an entity tag that a cache or another client would take. An `If-Match` is read back
/// through the same coder, so the plain form and the encoded one both match.
package struct EntityTagMiddleware: ServerMiddleware {
    package init() {}

    package func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var (response, responseBody) = try await next(request, body, metadata)
        if let tag = response.headerFields[.eTag], tag.contains("%"), let plain = tag.removingPercentEncoding {
            response.headerFields[.eTag] = plain
        }
        return (response, responseBody)
    }
}
