import HTTPTypes
import HitchDomain
import Hummingbird
import NIOCore

/// Caps every request body, the unauthenticated sign-in's included, at the server's limit (`HITCH_MAX_BODY_BYTES`,
/// 1 MiB by default): a declared length beyond it is refused before anything is read, and a streamed body is
/// counted as it arrives and refused once it passes the limit. Both answer 413.
package struct RequestBodyLimitMiddleware: RouterMiddleware {
    package typealias Context = HitchRequestContext

    let maximumBytes: Int

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maximumBytes {
            throw Self.refusal(maximumBytes)
        }
        do {
            _ = try await request.collectBody(upTo: maximumBytes)
        } catch is NIOTooManyBytesError {
            throw Self.refusal(maximumBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Self.refusal(maximumBytes)
        }
        return try await next(request, context)
    }

    private static func refusal(_ maximumBytes: Int) -> HitchError {
        HitchError(.payloadTooLarge, "the request body is larger than this server takes (\(maximumBytes) bytes)")
    }

    package init(maximumBytes: Int) {
        self.maximumBytes = maximumBytes
    }
}
