import Foundation
import HTTPTypes
import HitchDomain
import HitchSecrets
import HitchStorage
import Hummingbird
import Logging
import OpenAPIRuntime

/// Turns every error into `{"error": {"code", "message", "details"}}` with its status. Messages are Hitch's own,
/// never an underlying error's text that could quote a request body.
package struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let failure = ErrorBody.hitchError(for: error)
            if failure.code == .internal {
                context.logger.error("request failed", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
            }
            return ErrorBody.response(for: failure)
        }
    }

    package init() {}
}

/// The error body and status of every failure, and the mapping of any error to a `HitchError`.
package enum ErrorBody {
    package static func hitchError(for error: any Error) -> HitchError {
        switch error {
        case let error as HitchError:
            return error
        case let error as ServerError:
            if let inner = error.underlyingError as? HitchError { return inner }
            // No operation input means the request failed to decode, before any handler ran.
            if error.operationInput == nil {
                return HitchError(.badRequest, "the request does not match the API: \(Self.describe(error.underlyingError))")
            }
            return hitchError(for: error.underlyingError)
        case let error as StorageError where error.code == .unreachable:
            return HitchError(.unavailable, "the database cannot be reached")
        case let error as StorageError where error.code == .keyVersionRetired:
            return HitchError(.unavailable, error.message)
        case let error as SecretsError:
            return HitchError(.internal, "a secret could not be opened (\(error.code.rawValue))")
        case let error as HTTPError where error.status == .contentTooLarge:
            return HitchError(.payloadTooLarge, "the request body is larger than this server takes")
        case let error as HTTPError:
            return HitchError(error.status == .notFound ? .notFound : .badRequest, error.body ?? "\(error.status)")
        default:
            return HitchError(.internal, "internal error")
        }
    }

    /// Names the part of the request that did not decode, without quoting any value from it.
    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "malformed request" }
        let path: [any CodingKey]
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
        @unknown default:
            path = []
        }
        let location = path.map(\.stringValue).joined(separator: ".")
        return location.isEmpty ? "a parameter or the body is malformed or out of range" : "'\(location)' is missing or has the wrong type"
    }

    package static func status(for code: HitchError.Code) -> HTTPResponse.Status {
        switch code {
        case .validation, .badRequest, .secretRequired: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict, .destinationMismatch: .conflict
        case .stale: .preconditionFailed
        case .throttled: .tooManyRequests
        case .payloadTooLarge: .contentTooLarge
        case .methodNotAllowed: .methodNotAllowed
        case .unsupported: .unprocessableContent
        case .platformFailed: .badGateway
        case .unavailable: .serviceUnavailable
        case .internal: .internalServerError
        }
    }

    static func response(for error: HitchError) -> Response {
        var inner: [String: Any] = ["code": error.code.rawValue, "message": error.message]
        var details: [String: Any] = [:]
        if !error.fieldErrors.isEmpty { details["fields"] = error.fieldErrors }
        if !error.blockers.isEmpty { details["blockers"] = error.blockers }
        if !details.isEmpty { inner["details"] = details }
        let data = (try? JSONSerialization.data(withJSONObject: ["error": inner], options: [.sortedKeys])) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if error.code == .unauthenticated { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status(for: error.code), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
