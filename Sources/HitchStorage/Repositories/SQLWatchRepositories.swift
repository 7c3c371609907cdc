import Foundation
import SQLKit

struct SQLTestHistoryRepository: TestHistoryRepository {
    let database: any SQLDatabase

    func append(_ result: TestResultRecord, keep: Int) async throws {
        try await database.raw("""
            INSERT INTO test_results (connection_id, at, state, stage, message, duration_ms, tested_by) VALUES \
            (\(bind: result.connectionId), \(bind: Timestamp.milliseconds(result.at)), \(bind: result.state), \
            \(bind: result.stage), \(bind: result.message), \(bind: result.durationMilliseconds), \(bind: result.testedBy))
            """).run()
        // Nothing older than the `keep`-th newest; with fewer, the bound is NULL and nothing goes.
        try await database.raw("""
            DELETE FROM test_results WHERE connection_id = \(bind: result.connectionId) AND at < (
              SELECT at FROM test_results WHERE connection_id = \(bind: result.connectionId)
              ORDER BY at DESC LIMIT 1 OFFSET \(bind: keep - 1))
            """).run()
    }

    func list(connectionId: String, limit: Int) async throws -> [TestResultRecord] {
        struct Row: Decodable {
            let at: Int64
            let state: String
            let stage: String?
            let message: String?
            let durationMs: Int?
            let testedBy: String
        }
        return try await database.select().columns("at", "state", "stage", "message", "duration_ms", "tested_by")
            .from("test_results").where("connection_id", .equal, connectionId).orderBy("at", .descending).limit(limit)
            .all(decoding: Row.self, with: .snakeCase)
            .map {
                TestResultRecord(
                    connectionId: connectionId, at: Timestamp.date($0.at), state: $0.state, stage: $0.stage, message: $0.message,
                    durationMilliseconds: $0.durationMs, testedBy: $0.testedBy)
            }
    }
}

struct SQLScheduledCheckRepository: ScheduledCheckRepository {
    let database: any SQLDatabase

    func unscheduled(limit: Int) async throws -> [(connectionId: String, checkEverySeconds: Int?)] {
        try await database.raw("""
            SELECT c.id AS id, c.check_every_seconds AS every FROM connections c
            LEFT JOIN scheduled_checks s ON s.connection_id = c.id WHERE s.connection_id IS NULL LIMIT \(bind: limit)
            """).all().map { (try $0.decode(column: "id", as: String.self), try $0.decode(column: "every", as: Int?.self)) }
    }

    func schedule(connectionId: String, at: Date) async throws {
        try await database.raw("""
            INSERT INTO scheduled_checks (connection_id, next_at) VALUES (\(bind: connectionId), \(bind: Timestamp.milliseconds(at)))
            ON CONFLICT (connection_id) DO NOTHING
            """).run()
    }

    func due(at now: Date, limit: Int) async throws -> [ScheduledCheck] {
        try await database.select().columns("connection_id", "next_at", "rotation_due_version").from("scheduled_checks")
            .where("next_at", .lessThanOrEqual, Timestamp.milliseconds(now)).orderBy("next_at").limit(limit).all()
            .map { row in
                ScheduledCheck(
                    connectionId: try row.decode(column: "connection_id", as: String.self),
                    nextAt: Timestamp.date(try row.decode(column: "next_at", as: Int64.self)),
                    rotationDueVersion: try row.decode(column: "rotation_due_version", as: Int?.self))
            }
    }

    func claim(connectionId: String, expected: Date, next: Date) async throws -> Bool {
        try await !database.update("scheduled_checks").set("next_at", to: Timestamp.milliseconds(next))
            .where("connection_id", .equal, connectionId).where("next_at", .equal, Timestamp.milliseconds(expected))
            .returning("connection_id").all().isEmpty
    }

    func forget(connectionId: String) async throws {
        try await database.delete(from: "scheduled_checks").where("connection_id", .equal, connectionId).run()
    }

    func noteRotationDue(connectionId: String, version: Int) async throws -> Bool {
        try await !database.raw("""
            UPDATE scheduled_checks SET rotation_due_version = \(bind: version)
            WHERE connection_id = \(bind: connectionId) AND (rotation_due_version IS NULL OR rotation_due_version <> \(bind: version))
            RETURNING connection_id
            """).all().isEmpty
    }
}

struct SQLWebhookRepository: WebhookRepository {
    let database: any SQLDatabase

    private struct WebhookRow: Codable {
        var id: String
        var url: String
        var events: String
        var masterKeyVersion: Int
        var wrappedKey: String
        var ciphertext: String
        var createdAt: Int64
        var createdBy: String

        init(_ webhook: WebhookRecord) throws {
            id = webhook.id
            url = webhook.url
            events = try JSONText.encode(webhook.events)
            masterKeyVersion = webhook.secret.masterKeyVersion
            wrappedKey = webhook.secret.wrappedKey.base64EncodedString()
            ciphertext = webhook.secret.ciphertext.base64EncodedString()
            createdAt = Timestamp.milliseconds(webhook.createdAt)
            createdBy = webhook.createdBy
        }

        func record() throws -> WebhookRecord {
            guard let wrapped = Data(base64Encoded: wrappedKey), let sealed = Data(base64Encoded: ciphertext) else {
                throw StorageError.corrupt("webhook \(id)'s secret is not valid base64")
            }
            return WebhookRecord(
                id: id, url: url, events: try JSONText.decode(events),
                secret: StoredSecret(
                    field: WebhookSecret.field, credentialVersion: 1, masterKeyVersion: masterKeyVersion, wrappedKey: wrapped,
                    ciphertext: sealed),
                createdAt: Timestamp.date(createdAt), createdBy: createdBy)
        }
    }

    private static let webhookColumns = ["id", "url", "events", "master_key_version", "wrapped_key", "ciphertext", "created_at", "created_by"]

    private static let webhookColumnList = ColumnNames.list(webhookColumns)

    func insert(_ webhook: WebhookRecord) async throws {
        try await SQLKeyringRepository.requireDataVersions([webhook.secret.masterKeyVersion], in: database)
        try await RowInsert(into: "webhooks", row: try WebhookRow(webhook)).run(on: database)
    }

    func list() async throws -> [WebhookRecord] {
        try await database.select().column(Self.webhookColumnList).from("webhooks").orderBy("created_at").orderBy("id")
            .all(decoding: WebhookRow.self, with: .snakeCase).map { try $0.record() }
    }

    func find(id: String) async throws -> WebhookRecord? {
        try await database.select().column(Self.webhookColumnList).from("webhooks").where("id", .equal, id)
            .first(decoding: WebhookRow.self, with: .snakeCase)?.record()
    }

    func delete(id: String) async throws -> Bool {
        try await database.delete(from: "webhook_deliveries").where("webhook_id", .equal, id).run()
        return try await !database.delete(from: "webhooks").where("id", .equal, id).returning("id").all().isEmpty
    }

    private struct DeliveryRow: Codable {
        var id: String
        var webhookId: String
        var event: String
        var payload: String
        var state: String
        var attempts: Int
        var createdAt: Int64
        var nextAttemptAt: Int64
        var lastAttemptAt: Int64?
        var lastStatus: Int?
        var lastError: String?

        init(_ delivery: WebhookDeliveryRecord) {
            id = delivery.id
            webhookId = delivery.webhookId
            event = delivery.event
            payload = delivery.payload
            state = delivery.state.rawValue
            attempts = delivery.attempts
            createdAt = Timestamp.milliseconds(delivery.createdAt)
            nextAttemptAt = Timestamp.milliseconds(delivery.nextAttemptAt)
            lastAttemptAt = delivery.lastAttemptAt.map(Timestamp.milliseconds)
            lastStatus = delivery.lastStatus
            lastError = delivery.lastError
        }

        func record() throws -> WebhookDeliveryRecord {
            guard let state = WebhookDeliveryRecord.State(rawValue: state) else {
                throw StorageError.corrupt("delivery \(id) has an unknown state '\(self.state)'")
            }
            return WebhookDeliveryRecord(
                id: id, webhookId: webhookId, event: event, payload: payload, state: state, attempts: attempts,
                createdAt: Timestamp.date(createdAt), nextAttemptAt: Timestamp.date(nextAttemptAt),
                lastAttemptAt: lastAttemptAt.map(Timestamp.date), lastStatus: lastStatus, lastError: lastError)
        }
    }

    private static let deliveryColumns = [
        "id", "webhook_id", "event", "payload", "state", "attempts", "created_at", "next_attempt_at", "last_attempt_at",
        "last_status", "last_error",
    ]

    private static let deliveryColumnList = ColumnNames.list(deliveryColumns)

    func enqueue(_ deliveries: [WebhookDeliveryRecord]) async throws {
        guard !deliveries.isEmpty else { return }
        try await RowInsert(into: "webhook_deliveries", rows: deliveries.map(DeliveryRow.init)).run(on: database)
    }

    func due(at now: Date, limit: Int) async throws -> [WebhookDeliveryRecord] {
        try await database.select().column(Self.deliveryColumnList).from("webhook_deliveries")
            .where("state", .equal, WebhookDeliveryRecord.State.pending.rawValue)
            .where("next_attempt_at", .lessThanOrEqual, Timestamp.milliseconds(now))
            .orderBy("next_attempt_at").limit(limit)
            .all(decoding: DeliveryRow.self, with: .snakeCase).map { try $0.record() }
    }

    func claim(deliveryId: String, expected: Date, until: Date) async throws -> Bool {
        try await !database.update("webhook_deliveries").set("next_attempt_at", to: Timestamp.milliseconds(until))
            .where("id", .equal, deliveryId).where("state", .equal, WebhookDeliveryRecord.State.pending.rawValue)
            .where("next_attempt_at", .equal, Timestamp.milliseconds(expected))
            .returning("id").all().isEmpty
    }

    func saveAttempt(_ delivery: WebhookDeliveryRecord) async throws {
        try await database.update("webhook_deliveries")
            .set("state", to: delivery.state.rawValue).set("attempts", to: delivery.attempts)
            .set("next_attempt_at", to: Timestamp.milliseconds(delivery.nextAttemptAt))
            .set("last_attempt_at", to: delivery.lastAttemptAt.map(Timestamp.milliseconds))
            .set("last_status", to: delivery.lastStatus).set("last_error", to: delivery.lastError)
            .where("id", .equal, delivery.id).run()
    }

    func deliveries(webhookId: String, limit: Int) async throws -> [WebhookDeliveryRecord] {
        try await database.select().column(Self.deliveryColumnList).from("webhook_deliveries")
            .where("webhook_id", .equal, webhookId).orderBy("created_at", .descending).orderBy("id", .descending).limit(limit)
            .all(decoding: DeliveryRow.self, with: .snakeCase).map { try $0.record() }
    }

    func wrapped(below version: Int) async throws -> [WebhookRecord] {
        try await database.select().column(Self.webhookColumnList).from("webhooks")
            .where("master_key_version", .lessThan, version).orderBy("id").for(.update)
            .all(decoding: WebhookRow.self, with: .snakeCase).map { try $0.record() }
    }

    func rewrap(webhookId: String, expected: StoredSecret, to rewrapped: StoredSecret) async throws -> Bool {
        try await !database.update("webhooks")
            .set("master_key_version", to: rewrapped.masterKeyVersion)
            .set("wrapped_key", to: rewrapped.wrappedKey.base64EncodedString())
            .where("id", .equal, webhookId).where("master_key_version", .equal, expected.masterKeyVersion)
            .where("wrapped_key", .equal, expected.wrappedKey.base64EncodedString())
            .returning("id").all().isEmpty
    }
}

/// How a webhook's signing secret is stored: as the one secret field of a credential version 1.
public enum WebhookSecret {
    public static let field = "signing-secret"
}
