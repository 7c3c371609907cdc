import Foundation
import HTTPTypes
import HitchServices
import HitchStorage
import Logging
import OpenAPIRuntime
import Synchronization

/// Keeps the encoded answer to `GET /v1/connections/{name}`, the API's hottest read, per connection, with the record
/// and rotation state it was made from. Encoding the answer through swift-openapi-runtime's generic JSON encoder
/// was most of what the read cost beyond any other request (docs/performance.md).
///
/// A kept answer is given only when the connection read now, and its rotation state now, equal those it was made
/// from; any other read goes to the handler, and its answer is kept in turn. Who may read is decided on every read,
/// a kept answer or not: the access gate (the role) runs before this middleware, and the reader's tag scope is
/// checked here on the record as the handler checks it. An answer carries no secret (they are masked), and one for a
/// connection that rotates on its own is never kept: it also shows the last failures, which the record does not hold.
package final class ConnectionAnswers: ServerMiddleware, Sendable {
    private static let operationID = "getConnection"
    /// Beyond this, every kept answer is let go: each is about a kilobyte, and names that were renamed or deleted
    /// would otherwise stay.
    private static let capacity = 1_024

    private struct Answer {
        let made: ConnectionAnswerSource
        let response: HTTPResponse
        let body: [UInt8]
    }

    private let runtime: HitchRuntime
    private let logger: Logger
    private let answers = Mutex<[String: Answer]>([:])

    package init(runtime: HitchRuntime, logger: Logger) {
        self.runtime = runtime
        self.logger = logger
    }

    package func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard operationID == Self.operationID, let name = metadata.pathParameters["name"].flatMap(Self.decoded) else {
            return try await next(request, body, metadata)
        }
        if let kept = answers.withLock({ $0[name] }),
            let record = try? await ConnectionReadScope.current().connection(named: name, in: runtime, logger: logger),
            kept.made == ConnectionAnswerSource(record: record, rotation: runtime.rotationPolicy.state(of: record, at: runtime.clock()))
        {
            return (kept.response, HTTPBody(kept.body))
        }
        // Anything else (no answer kept, a changed connection, a reader refused, no such name) is the handler's.
        let source = ConnectionAnswerSource.Note()
        let (response, responseBody) = try await ConnectionAnswerSource.$note.withValue(source) {
            try await next(request, body, metadata)
        }
        guard response.status == .ok, let made = source.made, let responseBody,
            case .known(let length) = responseBody.length, length <= 64 * 1_024
        else { return (response, responseBody) }
        let bytes = try await [UInt8](collecting: responseBody, upTo: Int(length))
        answers.withLock { answers in
            if answers.count >= Self.capacity { answers.removeAll(keepingCapacity: true) }
            answers[name] = Answer(made: made, response: response, body: bytes)
        }
        return (response, HTTPBody(bytes))
    }

    private static func decoded(_ raw: Substring) -> String? {
        raw.contains("%") ? String(raw).removingPercentEncoding : String(raw)
    }
}

/// What an answer to `GET /v1/connections/{name}` is made from, told by the handler to `ConnectionAnswers`.
package struct ConnectionAnswerSource: Equatable, Sendable {
    let record: ConnectionRecord
    let rotation: RotationPolicy.State?

    /// Where the handler tells it, when a `ConnectionAnswers` middleware asked.
    final class Note: Sendable {
        private let source = Mutex<ConnectionAnswerSource?>(nil)

        var made: ConnectionAnswerSource? { source.withLock { $0 } }

        func tell(_ made: ConnectionAnswerSource) { source.withLock { $0 = made } }
    }

    @TaskLocal static var note: Note?
}
