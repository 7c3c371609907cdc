import HTTPTypes
import HitchDomain
import HitchServices
import Hummingbird

/// Resolves `Authorization: Bearer <token>` on /v1 routes into an actor, or the reason it was refused. Whether
/// the operation needs one is the access middleware's decision, from the operation's rule.
package struct AuthMiddleware: RouterMiddleware {
    package typealias Context = HitchRequestContext

    let authenticator: Authenticator

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/") || request.uri.path == "/v1" else {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else {
            return try await Self.hidingUnknownRoutes(.none) { try await next(request, context) }
        }
        let authentication: Authentication
        if let token = BearerToken.parse(header) {
            do {
                let principal = try await authenticator.principal(bearer: token, logger: context.logger)
                AccessRecord.current?.actor = principal.name
                authentication = .principal(principal)
            } catch let error as HitchError {
                authentication = .rejected(error)
            }
        } else {
            authentication = .rejected(HitchError(.unauthenticated, "only bearer tokens are accepted: Authorization: Bearer <token>"))
        }
        return try await Authentication.$current.withValue(authentication) {
            try await Self.hidingUnknownRoutes(authentication) { try await next(request, context) }
        }
    }

    /// Without a valid token, an unknown /v1 route answers 401 like a known one, so the route map stays private.
    private static func hidingUnknownRoutes(
        _ authentication: Authentication, _ next: () async throws -> Response
    ) async throws -> Response {
        do {
            return try await next()
        } catch let error as HTTPError where error.status == .notFound {
            switch authentication {
            case .principal: throw error
            case .rejected(let refusal): throw refusal
            case .none: throw HitchError(.unauthenticated, "a bearer token is required: Authorization: Bearer <token>")
            }
        }
    }

    package init(authenticator: Authenticator) {
        self.authenticator = authenticator
    }
}
