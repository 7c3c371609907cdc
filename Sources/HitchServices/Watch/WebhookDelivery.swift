import Crypto
import Foundation
import HitchDomain
import HitchPlatforms
import HitchSecrets
import HitchStorage
import Logging
import NIOCore

/// Sends queued webhook deliveries: each POSTed with its JSON body and `X-Hitch-Signature: sha256=<hex>`, an
/// HMAC-SHA256 of the body under the webhook's secret. A 2xx answer delivers it; anything else is tried again after a
/// backoff that doubles from `HITCH_WEBHOOK_RETRY_SECONDS` (30) up to an hour, for a day. Of several servers, the one
/// whose update moves a delivery's next attempt forward sends it. A receiver is reached like a platform: under the
/// server's egress policy and outbound proxy, with the system's trust, and never through a redirect; plain HTTP goes
/// to a loopback address only (a local relay: a delivery carries no secret, and its signature covers the body).
package struct WebhookDelivery: Sendable {
    struct Settings: Sendable, Equatable {
        var firstRetry: TimeInterval = 30

        init(firstRetry: TimeInterval = 30) { self.firstRetry = firstRetry }

        init(environment: [String: String]) throws {
            guard let text = environment["HITCH_WEBHOOK_RETRY_SECONDS"] else { return }
            guard let seconds = Int(text), (1...3_600).contains(seconds) else {
                throw HitchError(.badRequest, "HITCH_WEBHOOK_RETRY_SECONDS must be a whole number from 1 to 3600")
            }
            firstRetry = TimeInterval(seconds)
        }
    }

    /// How long a delivery is tried.
    static let giveUpAfter: TimeInterval = 86_400
    /// How long a claimed delivery is left to the server that claimed it before another may send it.
    static let claim: TimeInterval = 60
    static let requestTimeout: TimeAmount = .seconds(10)

    let settings: Settings
    /// The server's egress policy; plain HTTP to a loopback address is allowed here without the developer setting.
    let egress: EgressPolicy
    let store: Store
    let secrets: ConnectionSecrets
    let clock: @Sendable () -> Date

    /// The wait before attempt `attempts + 1`.
    func backoff(afterAttempts attempts: Int) -> TimeInterval {
        min(3_600, settings.firstRetry * pow(2, Double(max(0, attempts - 1))))
    }

    /// The signature header's value for `body` under `secret`.
    static func signature(of body: String, secret: SecretValue) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.exposedValue.utf8)))
        return "sha256=" + SecretGenerator.hex(mac)
    }

    /// Sends what is due now; how many were delivered.
    @discardableResult
    func runDue(logger: Logger) async throws -> Int {
        let now = clock()
        let due = try await store.read(logger: logger) { try await $0.webhooks.due(at: now, limit: 50) }
        guard !due.isEmpty else { return 0 }
        let webhooks = Dictionary(try await store.read(logger: logger) { try await $0.webhooks.list() }.map { ($0.id, $0) }) { a, _ in a }
        var delivered = 0
        for delivery in due {
            guard let webhook = webhooks[delivery.webhookId] else { continue }
            let claimed = try await store.write(logger: logger) {
                try await $0.webhooks.claim(deliveryId: delivery.id, expected: delivery.nextAttemptAt, until: now.addingTimeInterval(Self.claim))
            }
            guard claimed else { continue }
            let outcome = await send(delivery, to: webhook, logger: logger)
            var attempt = delivery
            attempt.attempts += 1
            attempt.lastAttemptAt = clock()
            attempt.lastStatus = outcome.status
            attempt.lastError = outcome.error
            if outcome.delivered {
                attempt.state = .delivered
                delivered += 1
            } else {
                attempt.nextAttemptAt = now.addingTimeInterval(backoff(afterAttempts: attempt.attempts))
                if attempt.nextAttemptAt.timeIntervalSince(delivery.createdAt) > Self.giveUpAfter { attempt.state = .failed }
            }
            try await store.write(logger: logger) { [attempt] in try await $0.webhooks.saveAttempt(attempt) }
            let event = delivery.event
            ServerMetrics.webhookAttempt(
                event: WatchEvent.Name(rawValue: event)?.rawValue ?? "other",
                outcome: attempt.state == .delivered ? "delivered" : attempt.state == .failed ? "failed" : "retry")
            if !outcome.delivered {
                logger.warning("webhook delivery failed", metadata: [
                    "webhook": "\(webhook.id)", "delivery": "\(delivery.id)", "attempts": "\(attempt.attempts)",
                    "error": "\(outcome.error ?? "status \(outcome.status ?? 0)")",
                ])
            }
        }
        return delivered
    }

    private struct Outcome {
        var delivered = false
        var status: Int?
        var error: String?
    }

    private func send(_ delivery: WebhookDeliveryRecord, to webhook: WebhookRecord, logger: Logger) async -> Outcome {
        let secret: SecretValue
        do {
            secret = try await secrets.open(webhook.secret, as: WebhookService.binding(id: webhook.id, url: webhook.url), logger: logger)
        } catch {
            return Outcome(error: "the webhook's secret does not open")
        }
        let headers = [
            ("Content-Type", "application/json"), ("User-Agent", "hitch-webhook"), ("X-Hitch-Event", delivery.event),
            ("X-Hitch-Delivery", delivery.id), ("X-Hitch-Signature", Self.signature(of: delivery.payload, secret: secret)),
        ]
        var policy = egress
        policy.allowsLoopbackHTTP = true
        let outcome = await EgressPolicy.$current.withValue(policy) {
            await OutboundPost.send(to: webhook.url, headers: headers, body: delivery.payload, timeout: Self.requestTimeout)
        }
        switch outcome {
        case .answered(let status): return Outcome(delivered: (200..<300).contains(status), status: status, error: nil)
        case .failed(let reason): return Outcome(error: reason)
        }
    }
}

extension HitchRuntime {
    /// Sends due webhook deliveries every second until cancelled.
    public func deliverWebhooks(logger: Logger) async {
        await BackgroundLoop.run("webhook deliveries", every: .seconds(1), logger: logger) {
            try await webhookDelivery.runDue(logger: logger)
        }
    }
}
