import Crypto
import Foundation
import Hummingbird
import NIOCore
import Synchronization
import Testing

/// A webhook receiver on 127.0.0.1: it records every POST (its headers and body) and answers 500 to the first
/// `failFirst` of them, 200 after.
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable {
        let headers: [String: String]
        let body: String
        /// The status the receiver answered.
        let answered: Int

        var json: [String: String] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String]) ?? [:]
        }

        /// Whether `X-Hitch-Signature` is the HMAC-SHA256 of the body under `secret`.
        func isSigned(with secret: String) -> Bool {
            let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
            let expected = "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
            return headers["x-hitch-signature"] == expected
        }
    }

    private let state: Mutex<(deliveries: [Delivery], failuresLeft: Int)>

    init(failFirst: Int = 0) {
        state = Mutex(([], failFirst))
    }

    var deliveries: [Delivery] { state.withLock { $0.deliveries } }

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.post("/hook") { [self] request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
            let headers = Dictionary(request.headers.map { ($0.name.rawName.lowercased(), $0.value) }) { first, _ in first }
            let status = state.withLock { state -> Int in
                let status = state.failuresLeft > 0 ? 500 : 200
                state.failuresLeft -= 1
                state.deliveries.append(Delivery(headers: headers, body: body, answered: status))
                return status
            }
            return Response(status: .init(code: status))
        }
        return router
    }

    /// Runs a receiver for `body`, which gets its URL.
    static func run(failFirst: Int = 0, _ body: @Sendable (WebhookReceiver, String) async throws -> Void) async throws {
        let receiver = WebhookReceiver(failFirst: failFirst)
        try await LocalTLSServer.run(receiver.router, plainHTTP: true) { running in
            try await body(receiver, "http://127.0.0.1:\(running.port)/hook")
        }
    }

    /// Waits (up to `seconds`) until `condition` holds of the deliveries, and returns them.
    @discardableResult
    func wait(
        seconds: Int = 60, sourceLocation: SourceLocation = #_sourceLocation, until condition: ([Delivery]) -> Bool
    ) async throws -> [Delivery] {
        for _ in 0..<(seconds * 10) {
            if condition(deliveries) { return deliveries }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the receiver did not get what was expected; it got: \(deliveries.map(\.body))", sourceLocation: sourceLocation)
        return deliveries
    }
}

/// Waits for what the built CLI reports.
enum Eventually {
    /// Runs `probe` every half second (up to `seconds`) until it returns a value.
    static func value<Value>(
        seconds: Int = 60, sourceLocation: SourceLocation = #_sourceLocation, _ probe: () async throws -> Value?
    ) async throws -> Value {
        for _ in 0..<(seconds * 2) {
            if let value = try await probe() { return value }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("did not happen within \(seconds) s", sourceLocation: sourceLocation)
        throw CancellationError()
    }
}
