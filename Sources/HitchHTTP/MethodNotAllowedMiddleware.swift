import HTTPTypes
import HitchDomain
import Hummingbird
import Synchronization

/// The methods each route path takes, read from the router once every route is on it.
package final class RouteMethods: Sendable {
    private let table = Mutex<[(segments: [String], methods: Set<HTTPRequest.Method>)]>([])

    package init() {}

    /// Records the router's routes; called once they are all registered.
    package func record<Context>(_ router: Router<Context>) {
        var byPath: [String: Set<HTTPRequest.Method>] = [:]
        for route in router.routes { byPath["\(route.path)", default: []].insert(route.method) }
        table.withLock { table in
            table = byPath.map { (Self.segments($0.key), $0.value) }
        }
    }

    /// The methods `path` takes; empty when no route has the path. Where routes overlap, only the most specific
    /// count, as the router picks them: a literal segment before a parameter (`/v1/connections/test` is not the
    /// `{name}` route's).
    func methods(for path: String) -> Set<HTTPRequest.Method> {
        let wanted = Self.segments(path)
        let matching = table.withLock { table in table.filter { Self.matches($0.segments, wanted) } }
        guard let best = matching.map({ Self.specificity($0.segments) }).max(by: Self.lessSpecific) else { return [] }
        return matching.filter { Self.specificity($0.segments) == best }.reduce(into: Set()) { $0.formUnion($1.methods) }
    }

    /// Per segment, whether it is literal: the router tries literals first, level by level.
    private static func specificity(_ segments: [String]) -> [Bool] {
        segments.map { !isParameter($0) && $0 != "**" }
    }

    private static func lessSpecific(_ left: [Bool], _ right: [Bool]) -> Bool {
        for (a, b) in zip(left, right) where a != b { return !a }
        return left.count < right.count
    }

    private static func isParameter(_ segment: String) -> Bool {
        segment.hasPrefix(":") || (segment.hasPrefix("{") && segment.hasSuffix("}")) || segment == "*"
    }

    private static func segments(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init)
    }

    /// A route's segments against a request's: `:name` and `{name}` take one segment, `*` any one, `**` the rest.
    private static func matches(_ route: [String], _ path: [String]) -> Bool {
        var index = 0
        for (position, segment) in route.enumerated() {
            if segment == "**" { return true }
            guard index < path.count else { return false }
            if !isParameter(segment) && segment != path[index] { return false }
            index += 1
            if position == route.count - 1 { return index == path.count }
        }
        return route.isEmpty && path.isEmpty
    }
}

/// A request whose path exists but not for its method gets 405 with `Allow` (RFC 9110), not 404, on the API, the
/// probes and the dashboard alike. A 404 that a handler answers (a connection that does not exist) stays 404: the
/// path and method matched a route then.
package struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteMethods

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            guard response.status == .notFound, let refused = refusal(for: request) else { return response }
            return refused
        } catch let error as HTTPError where error.status == .notFound {
            guard let refused = refusal(for: request) else { throw error }
            return refused
        }
    }

    private func refusal(for request: Request) -> Response? {
        let allowed = routes.methods(for: request.uri.path)
        guard !allowed.isEmpty, !allowed.contains(request.method) else { return nil }
        var names = Set(allowed.map(\.rawValue))
        if names.contains("GET") { names.insert("HEAD") }
        if names.contains(request.method.rawValue) { return nil }
        var response = ErrorBody.response(
            for: HitchError(.methodNotAllowed, "\(request.method.rawValue) is not a method of \(request.uri.path)"))
        response.headers[.allow] = names.sorted().joined(separator: ", ")
        return response
    }

    package init(routes: RouteMethods) {
        self.routes = routes
    }
}
