import Foundation
import HitchAudit
import HitchDomain
import HitchPlatforms
import HitchSecrets
import HitchStorage
import Logging

/// Webhooks (admin): where events are POSTed, which ones, and the secret their signatures are made with, shown once
/// and sealed like a connection's secret (bound to the webhook and its URL).
package struct WebhookService: Sendable {
    static let maximumWebhooks = 20

    let store: Store
    let secrets: ConnectionSecrets
    let audit: AuditLog
    let clock: @Sendable () -> Date

    package struct Added: Sendable {
        package let webhook: WebhookRecord
        /// The signing secret, returned this once.
        package let secret: SecretValue
    }

    package func add(url text: String, events: [String], by actor: RequestActor, logger: Logger) async throws -> Added {
        let url = try Self.validatedURL(text)
        let names = try Self.validatedEvents(events)
        let id = UUID().uuidString.lowercased()
        let secret = SecretGenerator.token(prefix: "whsec_")
        let sealed = try secrets.seal(secret, as: Self.binding(id: id, url: url))
        let webhook = WebhookRecord(
            id: id, url: url, events: names, secret: sealed, createdAt: clock(), createdBy: actor.principal.name)
        let event = actor.event(
            "webhook.add", target: Self.target(webhook), detail: "\(Self.shown(url)) for \(names.joined(separator: ", "))")
        try await store.write(logger: logger) { [audit] session in
            guard try await session.webhooks.list().count < Self.maximumWebhooks else {
                throw HitchError(.conflict, "a server keeps at most \(Self.maximumWebhooks) webhooks; remove one first")
            }
            try await session.webhooks.insert(webhook)
            try await audit.append(event, in: session)
        }
        return Added(webhook: webhook, secret: secret)
    }

    package func list(logger: Logger) async throws -> [WebhookRecord] {
        try await store.read(logger: logger) { try await $0.webhooks.list() }
    }

    package func remove(id: String, by actor: RequestActor, logger: Logger) async throws {
        try await store.write(logger: logger) { [audit] session in
            guard let webhook = try await session.webhooks.find(id: id) else { throw Self.notFound(id) }
            _ = try await session.webhooks.delete(id: id)
            try await audit.append(actor.event("webhook.remove", target: Self.target(webhook)), in: session)
        }
    }

    /// The webhook's deliveries, newest first.
    package func deliveries(id: String, limit: Int, logger: Logger) async throws -> [WebhookDeliveryRecord] {
        try await store.read(logger: logger) { session in
            guard try await session.webhooks.find(id: id) != nil else { throw Self.notFound(id) }
            return try await session.webhooks.deliveries(webhookId: id, limit: limit)
        }
    }

    /// What a webhook's secret is sealed for: this webhook at this URL.
    static func binding(id: String, url: String) -> SecretBinding {
        SecretBinding(connectionId: "webhook:\(id)", field: WebhookSecret.field, credentialVersion: 1, destination: url)
    }

    static func target(_ webhook: WebhookRecord) -> AuditTarget {
        AuditTarget(kind: "webhook", name: shown(webhook.url), id: webhook.id)
    }

    /// A URL as Hitch shows it once added, in the audit log and in listings: its scheme, host and port only. A hook's
    /// path or query often is its credential (a chat service's incoming webhook), and like a secret it is not shown
    /// again; auditors who read the log are not its admins either.
    package static func shown(_ url: String) -> String {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, let host = parts.host else { return "webhook" }
        return "\(scheme)://\(host)\(parts.port.map { ":\($0)" } ?? "")/…"
    }

    private static func notFound(_ id: String) -> HitchError { HitchError(.notFound, "webhook '\(id)' not found") }

    /// HTTPS, or plain HTTP to a loopback address only (a local receiver); no credentials in the URL.
    static func validatedURL(_ text: String) throws -> String {
        guard text.count <= 2048, let url = URLComponents(string: text), let host = url.host, !host.isEmpty,
            let scheme = url.scheme?.lowercased()
        else { throw HitchError.validation(["url": "must be an absolute https:// URL"]) }
        guard url.user == nil, url.password == nil else {
            throw HitchError.validation(["url": "must not hold a user or password: receivers check the signature"])
        }
        guard url.fragment == nil else { throw HitchError.validation(["url": "must not have a fragment"]) }
        guard scheme == "https" || (scheme == "http" && IPRange.isLoopbackLiteral(host)) else {
            throw HitchError.validation(["url": "must be https:// (plain http:// only to a loopback address such as 127.0.0.1)"])
        }
        return text
    }

    static func validatedEvents(_ events: [String]) throws -> [String] {
        let known = WatchEvent.Name.allCases.map(\.rawValue)
        guard !events.isEmpty else {
            throw HitchError.validation(["events": "name at least one of: \(known.joined(separator: ", "))"])
        }
        let unknown = events.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw HitchError.validation(["events": "unknown: \(unknown.joined(separator: ", ")); known: \(known.joined(separator: ", "))"])
        }
        return known.filter(events.contains)
    }
}
