import Foundation
import HitchServices
import Hummingbird
import Logging
import Synchronization

/// One line per request at info: request id, actor, operation, status and duration. Never a body, a query string
/// or a header value: a path may name a connection, but no secret travels in a path.
package struct AccessLogMiddleware: RouterMiddleware {
    package typealias Context = HitchRequestContext

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let record = AccessRecord()
        let started = ContinuousClock.now
        var status = 500
        defer {
            let elapsed = started.duration(to: .now)
            ServerMetrics.request(operation: record.operation, path: request.uri.path, status: status, took: elapsed)
            let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            context.logger.info("request", metadata: [
                "actor": "\(record.actor ?? "-")",
                "operation": "\(record.operation ?? "\(request.method.rawValue) \(request.uri.path)")",
                "status": "\(status)",
                "duration_ms": "\(String(format: "%.1f", milliseconds))",
            ])
        }
        let response = try await AccessRecord.$current.withValue(record) { try await next(request, context) }
        status = response.status.code
        return response
    }

    package init() {}
}

/// What the inner layers learn of a request for its access log line: who (the token's actor) and which operation.
package final class AccessRecord: Sendable {
    private let state = Mutex<(actor: String?, operation: String?)>((nil, nil))

    @TaskLocal package static var current: AccessRecord?

    package var actor: String? {
        get { state.withLock { $0.actor } }
        set { state.withLock { $0.actor = newValue } }
    }

    var operation: String? {
        get { state.withLock { $0.operation } }
        set { state.withLock { $0.operation = newValue } }
    }
}
