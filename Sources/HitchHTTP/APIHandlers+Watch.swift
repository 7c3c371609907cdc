import Foundation
import HitchAPI
import HitchDomain
import HitchServices
import HitchStorage

extension APIHandlers {
    package func listConnectionTests(_ input: Operations.ListConnectionTests.Input) async throws -> Operations.ListConnectionTests.Output {
        let record = try await ConnectionReadScope.current().connection(named: input.path.name, in: runtime, logger: logger)
        let limit = min(max(input.query.limit ?? TestResultWriter.historyLength, 1), TestResultWriter.historyLength)
        let results = try await runtime.connectionTests.history(of: record, limit: limit, logger: logger)
        return .ok(.init(body: .json(.init(results: results.map(APIMapping.testResult)))))
    }

    package func trustCertificate(_ input: Operations.TrustCertificate.Input) async throws -> Operations.TrustCertificate.Output {
        guard case .json(let body) = input.body else { throw HitchError(.badRequest, "expected a JSON body") }
        let record = try await runtime.certificateTrust.trust(
            name: input.path.name, thumbprint: body.thumbprint, by: RequestActor.current(), logger: logger)
        return .ok(.init(body: .json(APIMapping.connection(record, rotation: rotation(of: record)))))
    }

    package func listWebhooks(_ input: Operations.ListWebhooks.Input) async throws -> Operations.ListWebhooks.Output {
        .ok(.init(body: .json(.init(webhooks: try await runtime.webhooks.list(logger: logger).map(APIMapping.webhook)))))
    }

    package func createWebhook(_ input: Operations.CreateWebhook.Input) async throws -> Operations.CreateWebhook.Output {
        guard case .json(let body) = input.body else { throw HitchError(.badRequest, "expected a JSON body") }
        let added = try await runtime.webhooks.add(
            url: body.url, events: body.events.map(\.rawValue), by: RequestActor.current(), logger: logger)
        return .created(.init(body: .json(.init(webhook: APIMapping.webhook(added.webhook), secret: added.secret.exposedValue))))
    }

    package func deleteWebhook(_ input: Operations.DeleteWebhook.Input) async throws -> Operations.DeleteWebhook.Output {
        try await runtime.webhooks.remove(id: input.path.id, by: RequestActor.current(), logger: logger)
        return .noContent(.init())
    }

    package func listWebhookDeliveries(_ input: Operations.ListWebhookDeliveries.Input) async throws
        -> Operations.ListWebhookDeliveries.Output
    {
        let limit = min(max(input.query.limit ?? 100, 1), 500)
        let deliveries = try await runtime.webhooks.deliveries(id: input.path.id, limit: limit, logger: logger)
        return .ok(.init(body: .json(.init(deliveries: deliveries.map(APIMapping.webhookDelivery)))))
    }
}

extension APIMapping {
    static func testResult(_ result: TestResultRecord) -> Components.Schemas.TestHistoryEntry {
        .init(
            at: result.at, state: result.state, stage: result.stage, message: result.message,
            durationMs: result.durationMilliseconds, testedBy: result.testedBy)
    }

    static func certificate(_ certificate: CertificateRecord) -> Components.Schemas.Certificate {
        .init(thumbprint: certificate.thumbprint, subject: certificate.subject, notAfter: certificate.notAfter)
    }

    static func webhook(_ webhook: WebhookRecord) -> Components.Schemas.Webhook {
        .init(
            id: webhook.id, url: WebhookService.shown(webhook.url), events: webhook.events.compactMap(Components.Schemas.WebhookEventName.init(rawValue:)),
            createdAt: webhook.createdAt, createdBy: webhook.createdBy)
    }

    static func webhookDelivery(_ delivery: WebhookDeliveryRecord) -> Components.Schemas.WebhookDelivery {
        .init(
            id: delivery.id, event: delivery.event, state: .init(rawValue: delivery.state.rawValue) ?? .pending,
            attempts: delivery.attempts, createdAt: delivery.createdAt,
            nextAttemptAt: delivery.state == .pending ? delivery.nextAttemptAt : nil, lastAttemptAt: delivery.lastAttemptAt,
            lastStatus: delivery.lastStatus, lastError: delivery.lastError, payload: delivery.payload)
    }
}
