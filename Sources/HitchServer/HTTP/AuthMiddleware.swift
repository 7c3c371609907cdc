import Foundation
import HTTPTypes
import HitchDomain
import Hummingbird

/// Every /v1 route needs `Authorization: Bearer <token>` (S5). The actor is handed to the handlers task-locally.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/") || request.uri.path == "/v1" else {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw HitchError(.unauthenticated, "a bearer token is required: Authorization: Bearer <token>")
        }
        let token = header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        let principal = try await authenticator.principal(bearer: token, logger: context.logger)
        return try await Principal.$current.withValue(principal) {
            try await next(request, context)
        }
    }
}
