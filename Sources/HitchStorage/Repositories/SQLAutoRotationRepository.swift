import Foundation
import SQLKit

struct SQLAutoRotationRepository: AutoRotationRepository {
    let database: any SQLDatabase

    func claim(connectionId: String, at now: Date, until: Date) async throws -> Bool {
        let inserted = try await database.raw("""
            INSERT INTO auto_rotations (connection_id, claimed_until, failures) VALUES (\(bind: connectionId), \(bind: Timestamp.milliseconds(until)), 0)
            ON CONFLICT (connection_id) DO NOTHING RETURNING connection_id
            """).all()
        if !inserted.isEmpty { return true }
        let moment = Timestamp.milliseconds(now)
        let claimed = try await database.raw("""
            UPDATE auto_rotations SET claimed_until = \(bind: Timestamp.milliseconds(until))
            WHERE connection_id = \(bind: connectionId) AND (claimed_until IS NULL OR claimed_until < \(bind: moment))
              AND (next_attempt_at IS NULL OR next_attempt_at <= \(bind: moment))
            RETURNING connection_id
            """).all()
        return !claimed.isEmpty
    }

    func succeeded(connectionId: String) async throws {
        try await database.delete(from: "auto_rotations").where("connection_id", .equal, connectionId).run()
    }

    func failed(connectionId: String, reason: String, nextAttemptAt: Date) async throws -> Int {
        let rows = try await database.raw("""
            UPDATE auto_rotations SET failures = failures + 1, claimed_until = NULL,
              next_attempt_at = \(bind: Timestamp.milliseconds(nextAttemptAt)), last_error = \(bind: reason)
            WHERE connection_id = \(bind: connectionId) RETURNING failures
            """).all()
        return try rows.first?.decode(column: "failures", as: Int.self) ?? 0
    }

    func state(connectionId: String) async throws -> AutoRotationState? {
        guard let row = try await database.select().columns("failures", "last_error", "next_attempt_at").from("auto_rotations")
            .where("connection_id", .equal, connectionId).first()
        else { return nil }
        let failures = try row.decode(column: "failures", as: Int.self)
        guard failures > 0 else { return nil }
        return AutoRotationState(
            failures: failures, lastError: try row.decode(column: "last_error", as: String?.self),
            nextAttemptAt: try row.decode(column: "next_attempt_at", as: Int64?.self).map(Timestamp.date))
    }
}
