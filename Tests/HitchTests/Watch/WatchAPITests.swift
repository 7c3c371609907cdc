import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchServices
import HitchStorage
import HummingbirdTesting
import Testing

/// Webhooks, the schedule's settings and its rotation-due events through the API, in process. Both backends.
@Suite struct WatchAPITests {
    static var neverChecked: [String: String] {
        var environment = TestBackend.environment
        environment["HITCH_CHECK_EVERY"] = "never"
        return environment
    }

    static func deliveries(_ client: any TestClientProtocol, webhook: String) async throws -> [[String: Any]] {
        let listed = try await client.call(.get, "/v1/webhooks/\(webhook)/deliveries")
        #expect(listed.status == .ok, "\(listed.text)")
        return listed.json["deliveries"] as? [[String: Any]] ?? []
    }

    @Test(arguments: TestBackend.all)
    func rotationDueIsToldOncePerCredentialVersion(backend: TestBackend) async throws {
        let clock = TestClock()
        try await withAPI(backend, environment: Self.neverChecked, clock: clock) { client, runtime in
            var body = Sample.vsphere(name: "vcenter-aging-prod")
            body["maxSecretAgeDays"] = 1
            #expect(try await client.call(.post, "/v1/connections", json: body).status == .created)
            let added = try await client.call(.post, "/v1/webhooks", json: ["url": "https://hooks.example/hitch", "events": ["rotation-due"]])
            #expect(added.status == .created, "\(added.text)")
            let webhook = try #require((added.json["webhook"] as? [String: Any])?["id"] as? String)
            let schedule = runtime.healthSchedule
            try await schedule.runDue(logger: TestBackend.logger)
            #expect(try await Self.deliveries(client, webhook: webhook).isEmpty, "not due yet")

            clock.advance(by: 2 * 86_400)
            try await schedule.runDue(logger: TestBackend.logger)
            let told = try await Self.deliveries(client, webhook: webhook)
            #expect(told.count == 1 && told.first?["event"] as? String == "rotation-due", "\(told)")
            let payload = try #require(told.first?["payload"] as? String)
            #expect(payload.contains(#""connection":"vcenter-aging-prod""#) && payload.contains(#""credentialVersion":"1""#), "\(payload)")
            #expect(!payload.contains("canary-vsphere-pw"))

            // Still due, same version: nothing more.
            clock.advance(by: 2 * 86_400)
            try await schedule.runDue(logger: TestBackend.logger)
            #expect(try await Self.deliveries(client, webhook: webhook).count == 1)

            // Rotated, then due again: told again.
            let rotated = try await client.call(
                .patch, "/v1/connections/vcenter-aging-prod", json: ["secrets": ["password": "canary-vsphere-pw-2"]])
            #expect(rotated.status == .ok, "\(rotated.text)")
            clock.advance(by: 2 * 86_400)
            try await schedule.runDue(logger: TestBackend.logger)
            let again = try await Self.deliveries(client, webhook: webhook)
            #expect(again.count == 2 && (again.first?["payload"] as? String)?.contains(#""credentialVersion":"2""#) == true, "\(again)")
        }
    }

    @Test(arguments: TestBackend.all)
    func aWebhookSecretMovesWithTheRewrapAndStillOpens(backend: TestBackend) async throws {
        try await withAPI(backend, environment: Self.neverChecked) { client, runtime in
            let added = try await client.call(
                .post, "/v1/webhooks", json: ["url": "https://hooks.example/services/T01/path-token-7f3a", "events": ["expiring"]])
            let secret = try #require(added.json["secret"] as? String)
            #expect((added.json["webhook"] as? [String: Any])?["url"] as? String == "https://hooks.example/…")
            let id = try #require((added.json["webhook"] as? [String: Any])?["id"] as? String)
            #expect(secret.hasPrefix("whsec_"))
            #expect(try await client.call(.post, "/v1/keys/rotate").status == .created)
            let refused = try await client.call(.delete, "/v1/keys/1")
            #expect(refused.status == .conflict, "a webhook's secret still needs version 1: \(refused.text)")
            let moved = try await runtime.rewrap.pass(logger: TestBackend.logger)
            #expect(moved.moved == 1 && moved.skipped == 0)
            #expect(try await client.call(.delete, "/v1/keys/1").status == .noContent)
            let webhook = try #require(try await runtime.store.read(logger: TestBackend.logger) { try await $0.webhooks.find(id: id) })
            #expect(webhook.secret.masterKeyVersion == 2)
            let opened = try await runtime.connections.secrets.open(
                webhook.secret, as: WebhookService.binding(id: id, url: webhook.url), logger: TestBackend.logger)
            #expect(opened.exposedValue == secret)
            // Bound to its URL: the same sealed value does not open as another webhook's, or at another URL.
            await #expect(throws: (any Error).self) {
                _ = try await runtime.connections.secrets.open(
                    webhook.secret, as: WebhookService.binding(id: id, url: "https://evil.example/"), logger: TestBackend.logger)
            }
            // Listed without it, and never stored in the clear.
            let listed = try await client.call(.get, "/v1/webhooks")
            #expect(listed.status == .ok && !listed.text.contains(secret))
            // Nor its path, which is often the hook's own credential: scheme and host only.
            let shown = (listed.json["webhooks"] as? [[String: Any]])?.compactMap { $0["url"] as? String }
            #expect(shown == ["https://hooks.example/…"] && !listed.text.contains("path-token-7f3a"), "\(listed.text)")
        }
    }

    @Test(arguments: TestBackend.all)
    func webhookRequestsAreChecked(backend: TestBackend) async throws {
        try await withAPI(backend, environment: Self.neverChecked) { client, runtime in
            for url in ["http://hooks.example/hitch", "https://user:pw@hooks.example/hitch", "ftp://hooks.example/", "hooks.example"] {
                let refused = try await client.call(.post, "/v1/webhooks", json: ["url": url, "events": ["status-changed"]])
                #expect(refused.status == .badRequest, "\(url): \(refused.text)")
            }
            for events in [[], ["status-changed", "nope"]] {
                let refused = try await client.call(.post, "/v1/webhooks", json: ["url": "https://hooks.example/", "events": events])
                #expect(refused.status == .badRequest, "\(events): \(refused.text)")
            }
            #expect(try await client.call(.post, "/v1/webhooks", json: ["url": "http://127.0.0.1:9/hook", "events": ["lease.issue"]]).status == .created)
            for index in 2...WebhookService.maximumWebhooks {
                let added = try await client.call(.post, "/v1/webhooks", json: ["url": "https://hooks.example/\(index)", "events": ["expiring"]])
                #expect(added.status == .created)
            }
            let tooMany = try await client.call(.post, "/v1/webhooks", json: ["url": "https://hooks.example/x", "events": ["expiring"]])
            #expect(tooMany.status == .conflict, "\(tooMany.text)")
            #expect(try await client.call(.delete, "/v1/webhooks/no-such-id").status == .notFound)
            let audit = try await client.call(.get, "/v1/audit?action=webhook.add")
            // The log names a hook by its host only: a hook's path may be its credential.
            let logged = (audit.json["events"] as? [[String: Any]] ?? []).map { "\($0["target"] ?? "") \($0["detail"] ?? "")" }
            #expect(logged.contains { $0.contains("https://hooks.example/…") } && !logged.contains { $0.contains("hooks.example/19") }, "\(logged.prefix(3))")
            // Every refusal is audited too: six invalid requests and the 21st.
            let outcomes = (audit.json["events"] as? [[String: Any]])?.compactMap { $0["outcome"] as? String } ?? []
            #expect(outcomes.filter { $0 == "ok" }.count == WebhookService.maximumWebhooks && outcomes.filter { $0 == "failed" }.count == 7, "\(outcomes)")
        }
    }

    @Test(arguments: TestBackend.all)
    func checkEveryIsValidatedAndKept(backend: TestBackend) async throws {
        try await withAPI(backend, environment: Self.neverChecked) { client, runtime in
            for text in ["5s", "31d", "0m", "6 h", "always"] {
                var body = Sample.vsphere(name: "vcenter-bad-check")
                body["checkEvery"] = text
                #expect(try await client.call(.post, "/v1/connections", json: body).status == .badRequest, "\(text)")
            }
            var body = Sample.vsphere(name: "vcenter-never-prod")
            body["checkEvery"] = "never"
            #expect(try await client.call(.post, "/v1/connections", json: body).status == .created)
            #expect(try await client.call(.get, "/v1/connections/vcenter-never-prod").json["checkEvery"] as? String == "never")
            #expect(try await client.call(.patch, "/v1/connections/vcenter-never-prod", json: ["checkEvery": "90m"]).status == .ok)
            #expect(try await client.call(.get, "/v1/connections/vcenter-never-prod").json["checkEvery"] as? String == "90m")
            #expect(try await client.call(.patch, "/v1/connections/vcenter-never-prod", json: ["checkEvery": "default"]).status == .ok)
            #expect(try await client.call(.get, "/v1/connections/vcenter-never-prod").json["checkEvery"] == nil)
            let audit = try await client.call(.get, "/v1/audit?action=connection.update")
            #expect(audit.text.contains("checkEvery"), "\(audit.text)")
        }
    }
}

/// The schedule's and the history's storage, on both backends.
@Suite struct WatchStorageTests {
    @Test(arguments: TestBackend.all)
    func theHistoryKeepsTheLastFiftyAndAClaimHasOneWinner(backend: TestBackend) async throws {
        try await backend.withRuntime { runtime, _ in
            let record = ConnectionRepositoryTests.record("history-kept")
            let store = runtime.store
            try await store.write(logger: TestBackend.logger) { session in
                try await session.connections.insert(
                    record, secrets: [ConnectionRepositoryTests.secret()], version: ConnectionRepositoryTests.version())
            }
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            for index in 0..<55 {
                try await store.write(logger: TestBackend.logger) { session in
                    try await session.testHistory.append(
                        TestResultRecord(
                            connectionId: record.id, at: start.addingTimeInterval(Double(index)), state: index % 2 == 0 ? "ok" : "unreachable",
                            stage: nil, message: "test \(index)", durationMilliseconds: index, testedBy: "schedule"),
                        keep: TestResultWriter.historyLength)
                }
            }
            let kept = try await store.read(logger: TestBackend.logger) { try await $0.testHistory.list(connectionId: record.id, limit: 100) }
            #expect(kept.count == 50 && kept.first?.message == "test 54" && kept.last?.message == "test 5")

            try await store.write(logger: TestBackend.logger) { try await $0.scheduledChecks.schedule(connectionId: record.id, at: start) }
            try await store.write(logger: TestBackend.logger) {
                try await $0.scheduledChecks.schedule(connectionId: record.id, at: start.addingTimeInterval(99))
            }
            let due = try await store.read(logger: TestBackend.logger) { try await $0.scheduledChecks.due(at: start, limit: 10) }
            #expect(due.map(\.connectionId) == [record.id] && due.first?.nextAt == start, "the first schedule stands")
            let claims = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await store.write(logger: TestBackend.logger) {
                            try await $0.scheduledChecks.claim(connectionId: record.id, expected: start, next: start.addingTimeInterval(60))
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(claims.filter { $0 }.count == 1, "\(claims)")
            #expect(try await store.read(logger: TestBackend.logger) { try await $0.scheduledChecks.due(at: start, limit: 10) }.isEmpty)
            let first = try await store.write(logger: TestBackend.logger) { try await $0.scheduledChecks.noteRotationDue(connectionId: record.id, version: 1) }
            let repeated = try await store.write(logger: TestBackend.logger) { try await $0.scheduledChecks.noteRotationDue(connectionId: record.id, version: 1) }
            #expect(first && !repeated)
            // Deleting the connection takes its history and schedule with it.
            _ = try await store.write(logger: TestBackend.logger) { try await $0.connections.delete(id: record.id) }
            #expect(try await store.read(logger: TestBackend.logger) { try await $0.testHistory.list(connectionId: record.id, limit: 100) }.isEmpty)
        }
    }
}
