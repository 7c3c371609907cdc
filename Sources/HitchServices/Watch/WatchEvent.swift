import Foundation
import HitchStorage

/// Something that happened to a connection (or a lease) that webhooks may be told of. Its payload names the
/// connection and what happened, never a secret.
struct WatchEvent: Sendable, Equatable {
    enum Name: String, Sendable, CaseIterable {
        case statusChanged = "status-changed"
        case rotationDue = "rotation-due"
        case expiring
        case tlsChanged = "tls-changed"
        case leaseIssue = "lease.issue"
    }

    let name: Name
    let at: Date
    let connection: String
    let kind: String
    /// What happened, as JSON values: states, stages, thumbprints, dates (ISO 8601), a lease's id and consumer.
    let details: [String: String]

    /// The JSON body sent, with the delivery's id so that a receiver can drop a repeat.
    func payload(deliveryId: String) throws -> String {
        var body: [String: String] = details
        body["event"] = name.rawValue
        body["delivery"] = deliveryId
        body["at"] = Self.iso(at)
        body["connection"] = connection
        body["kind"] = kind
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(body), as: UTF8.self)
    }

    /// `2026-12-04T21:40:00Z`. Foundation's format style, not an `ISO8601DateFormatter`: making one of those per
    /// test result was most of a test's own cost in `scripts/bench-test-all`.
    static func iso(_ date: Date) -> String { isoStyle.format(date) }

    private static let isoStyle = Date.ISO8601FormatStyle()
}

/// Queues events for the webhooks that asked for them, in the caller's transaction: an event is delivered only if
/// the change it tells of commits, and a restart loses none.
enum WebhookOutbox {
    static func enqueue(_ events: [WatchEvent], in session: StoreSession) async throws {
        guard !events.isEmpty else { return }
        let webhooks = try await session.webhooks.list()
        guard !webhooks.isEmpty else { return }
        var deliveries: [WebhookDeliveryRecord] = []
        for event in events {
            for webhook in webhooks where webhook.events.contains(event.name.rawValue) {
                let id = UUID().uuidString.lowercased()
                deliveries.append(
                    WebhookDeliveryRecord(
                        id: id, webhookId: webhook.id, event: event.name.rawValue, payload: try event.payload(deliveryId: id),
                        state: .pending, attempts: 0, createdAt: event.at, nextAttemptAt: event.at))
            }
        }
        try await session.webhooks.enqueue(deliveries)
    }
}
