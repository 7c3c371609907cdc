import ArgumentParser
import Foundation
import HitchAPI

struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Tell other systems when connections change (admin).",
        discussion: """
            Each event is POSTed as JSON with X-Hitch-Signature: sha256=<hex>, an HMAC-SHA256 of the body under the \
            webhook's secret (printed once by add), and X-Hitch-Event and X-Hitch-Delivery headers. A payload names \
            the connection and what happened, never a secret. Deliveries are queued in the database and tried again \
            with exponential backoff for a day.
              hitch webhook add https://chat.example/hooks/hitch --event status-changed --event tls-changed
              hitch webhook deliveries ID
            Events: status-changed, rotation-due, expiring, tls-changed, lease.issue.
            """,
        subcommands: [WebhookAdd.self, WebhookList.self, WebhookRemove.self, WebhookDeliveries.self])
}

struct WebhookAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a webhook and print its signing secret, once.")

    @Argument(help: "Where to POST: https://, or http:// to a loopback IP address (127.0.0.1). Shown afterwards by scheme and host only.") var url: String
    @Option(name: .customLong("event"), help: "An event to send (repeatable): status-changed, rotation-due, expiring, tls-changed, lease.issue.")
    var events: [String] = []
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !events.isEmpty else { throw ValidationError("name at least one --event") }
        for event in events where Components.Schemas.WebhookEventName(rawValue: event) == nil {
            throw ValidationError("unknown event '\(event)'; events: status-changed, rotation-due, expiring, tls-changed, lease.issue")
        }
    }

    func run() async throws {
        let client = try APIClient.make()
        let body = Operations.CreateWebhook.Input.Body.JsonPayload(
            url: url, events: Array(Set(events)).sorted().compactMap(Components.Schemas.WebhookEventName.init(rawValue:)))
        switch try await APIClient.call({ try await client.createWebhook(body: .json(body)) }) {
        case .created(let created):
            let added = try created.body.json
            if output.output == .json { return try Printer.json(added) }
            print("added webhook \(added.webhook.id) for \(added.webhook.events.map(\.rawValue).joined(separator: ", "))")
            print("signing secret (shown once; receivers check X-Hitch-Signature with it):")
            print(added.secret)
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct WebhookList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the webhooks.")

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.listWebhooks() }) {
        case .ok(let ok):
            let webhooks = try ok.body.json.webhooks
            if output.output == .json { return try Printer.json(webhooks) }
            Printer.table(
                headers: ["ID", "URL", "EVENTS", "CREATED", "BY"],
                rows: webhooks.map {
                    [$0.id, $0.url, $0.events.map(\.rawValue).joined(separator: ","), Printer.time($0.createdAt), $0.createdBy]
                })
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct WebhookRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a webhook and its queued deliveries.")

    @Argument(help: "The webhook's id.") var id: String

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.deleteWebhook(path: .init(id: id)) }) {
        case .noContent: print("removed webhook \(id)")
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct WebhookDeliveries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries", abstract: "A webhook's deliveries, newest first: state, attempts, the receiver's answer.")

    @Argument(help: "The webhook's id.") var id: String
    @Option(help: "How many (1 to 500, 100 by default).") var limit: Int?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.listWebhookDeliveries(path: .init(id: id), query: .init(limit: limit)) }) {
        case .ok(let ok):
            let deliveries = try ok.body.json.deliveries
            if output.output == .json { return try Printer.json(deliveries) }
            Printer.table(
                headers: ["ID", "EVENT", "STATE", "ATTEMPTS", "CREATED", "LAST", "ANSWER", "NEXT"],
                rows: deliveries.map {
                    [
                        $0.id, $0.event, $0.state.rawValue, "\($0.attempts)", Printer.time($0.createdAt), Printer.time($0.lastAttemptAt),
                        $0.lastStatus.map { "HTTP \($0)" } ?? $0.lastError ?? "", Printer.time($0.nextAttemptAt),
                    ]
                })
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}
