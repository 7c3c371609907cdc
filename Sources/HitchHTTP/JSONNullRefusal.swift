import HTTPTypes
import HitchDomain
import Hummingbird
import NIOCore

/// Refuses a JSON request body that holds a `null` anywhere. No field of the API takes null: an optional field is
/// left out to keep its value or default, and an empty value (`""`, `[]`) clears what can be cleared. Taking null as
/// "absent" would let a client that means "clear this" change nothing without being told.
package struct JSONNullRefusalMiddleware: RouterMiddleware {
    package typealias Context = HitchRequestContext

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            return try await next(request, context)
        }
        var request = request
        // RequestBodyLimitMiddleware has collected the body already, within the server's limit.
        let body = try await request.collectBody(upTo: .max)
        if JSONNullScan.containsNull(body.readableBytesView) {
            throw HitchError(.badRequest, "the body holds a null: leave an optional field out instead of sending null")
        }
        return try await next(request, context)
    }

    package init() {}
}

/// Finds a `null` literal in JSON text in one pass without parsing it: outside a string, the only token that starts
/// with `n` is `null`. Text that is not JSON is left for the decoder to refuse.
enum JSONNullScan {
    static func containsNull(_ bytes: some Sequence<UInt8>) -> Bool {
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "n") {
                return true
            }
        }
        return false
    }
}
