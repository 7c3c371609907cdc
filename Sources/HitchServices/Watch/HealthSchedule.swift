import Foundation
import HitchAudit
import HitchDomain
import HitchPlatforms
import HitchStorage
import Logging

/// Tests every connection on a schedule: the server's interval (`HITCH_CHECK_EVERY`, 6 hours) or the connection's
/// own, spread with jitter, at most `concurrency` at once. Of several servers sharing a database, the one whose
/// update moves a check's time forward runs it. A connection whose last test was `auth-failed` is not tested again
/// until it changes, so that the schedule never locks a service account out. Each pass also tells webhooks, once per
/// credential version, of a secret that became due for rotation.
struct HealthSchedule: Sendable {
    struct Settings: Sendable, Equatable {
        /// Seconds between checks; nil when the server checks nothing on a schedule.
        var interval: Int?
        var concurrency: Int

        init(interval: Int? = CheckInterval.standardSeconds, concurrency: Int = 4) {
            self.interval = interval
            self.concurrency = concurrency
        }

        init(environment: [String: String]) throws {
            let interval = try CheckInterval.server(from: environment)
            var concurrency = 4
            if let text = environment["HITCH_CHECK_CONCURRENCY"] {
                guard let value = Int(text), (1...64).contains(value) else {
                    throw HitchError(.badRequest, "HITCH_CHECK_CONCURRENCY must be a whole number from 1 to 64")
                }
                concurrency = value
            }
            self.init(interval: interval, concurrency: concurrency)
        }

        /// How often a server looks for due checks: half the interval, from 1 to 30 seconds.
        var tick: Duration { .seconds(min(30, max(1, (interval ?? 60) / 2))) }
    }

    /// How many checks one pass reads.
    static let batch = 500
    /// When a connection that is never checked is looked at again (for rotation due).
    static let neverRevisit: TimeInterval = 86_400

    let settings: Settings
    let tests: ConnectionTestService
    let policy: RotationPolicy
    let store: Store
    let clock: @Sendable () -> Date

    /// The connection's interval in seconds; nil when it is never checked.
    func interval(of setting: Int?) -> Int? {
        guard let server = settings.interval else { return nil }
        guard let own = setting else { return server }
        return own == 0 ? nil : own
    }

    /// Whether the schedule leaves the connection alone: its last test was refused its credentials, and it has not
    /// changed since.
    static func isHeld(_ record: ConnectionRecord) -> Bool {
        record.status.state == TestFailureCode.authFailed.rawValue && record.status.revision == record.revision
    }

    /// Schedules new connections, claims the due checks and runs them; how many connections it tested.
    @discardableResult
    func runDue(logger: Logger) async throws -> Int {
        let now = clock()
        try await scheduleNew(at: now, logger: logger)
        let due = try await store.read(logger: logger) { try await $0.scheduledChecks.due(at: now, limit: Self.batch) }
        var claimed: [ConnectionRecord] = []
        for check in due {
            guard let record = try await store.read(logger: logger, { try await $0.connections.find(id: check.connectionId) })
            else { continue }
            let every = interval(of: record.checkEverySeconds)
            let next = now.addingTimeInterval(every.map { Double($0) * Double.random(in: 0.9...1.1) } ?? Self.neverRevisit)
            let rotationDue = policy.state(of: record, at: now)?.isDue == true
            let won = try await store.write(logger: logger) { session in
                guard try await session.scheduledChecks.claim(connectionId: record.id, expected: check.nextAt, next: next)
                else { return false }
                if rotationDue, try await session.scheduledChecks.noteRotationDue(connectionId: record.id, version: record.credentialVersion) {
                    try await WebhookOutbox.enqueue([Self.rotationDueEvent(record, at: now, policy: policy)], in: session)
                }
                return true
            }
            if won, every != nil, !Self.isHeld(record) { claimed.append(record) }
        }
        await test(claimed, logger: logger)
        ServerMetrics.scheduledChecks(claimed.count)
        return claimed.count
    }

    /// Gives each connection without a check its first, at a random point in the second half of its interval: the
    /// connections a server finds unscheduled at once (an upgrade, an import) are spread, and one just made (and
    /// tested by whoever made it) is not tested again at once.
    private func scheduleNew(at now: Date, logger: Logger) async throws {
        let fresh = try await store.read(logger: logger) { try await $0.scheduledChecks.unscheduled(limit: Self.batch) }
        guard !fresh.isEmpty else { return }
        try await store.write(logger: logger) { session in
            for (id, setting) in fresh {
                let spread = interval(of: setting).map { Double($0) * Double.random(in: 0.5..<1) } ?? Self.neverRevisit
                try await session.scheduledChecks.schedule(connectionId: id, at: now.addingTimeInterval(spread))
            }
        }
    }

    private func test(_ records: [ConnectionRecord], logger: Logger) async {
        let concurrency = settings.concurrency
        await withTaskGroup(of: Void.self) { group in
            for (index, record) in records.enumerated() {
                if index >= concurrency { await group.next() }
                group.addTask {
                    do {
                        let report = try await tests.testSaved(name: record.name, by: Self.actor, logger: logger)
                        logger.info("scheduled check", metadata: [
                            "connection": "\(record.name)", "state": "\(report.failedStage?.failure?.rawValue ?? "ok")",
                        ])
                    } catch {
                        logger.warning("a scheduled check could not run", metadata: [
                            "connection": "\(record.name)", "error": "\((error as? HitchError)?.message ?? "\(type(of: error))")",
                        ])
                    }
                }
            }
        }
    }

    private static func rotationDueEvent(_ record: ConnectionRecord, at now: Date, policy: RotationPolicy) -> WatchEvent {
        let state = policy.state(of: record, at: now)
        var details = ["credentialVersion": "\(record.credentialVersion)"]
        details["dueAt"] = state.map { WatchEvent.iso($0.dueAt) }
        details["maxAgeDays"] = state.map { "\($0.maxAgeDays)" }
        return WatchEvent(name: .rotationDue, at: now, connection: record.name, kind: record.kind.rawValue, details: details)
    }

    /// Hitch itself, as the audit log and the test history name it.
    static var actor: RequestActor {
        RequestActor(
            principal: Principal(
                id: AuditActor.system.id, name: AuditActor.system.name, kind: AuditActor.system.kind, role: .admin, tokenId: nil,
                tokenName: "schedule"),
            origin: .local)
    }
}

extension RequestActor {
    /// Who ran a test, as the history names them: `schedule` for the schedule, else the actor's name.
    var testedBy: String {
        principal.id == AuditActor.system.id ? principal.tokenName ?? principal.name : principal.name
    }
}

extension HitchRuntime {
    /// Runs the scheduled checks until cancelled; nothing when `HITCH_CHECK_EVERY` is `never`.
    public func watchConnections(logger: Logger) async {
        guard healthSchedule.settings.interval != nil else { return }
        await BackgroundLoop.run("scheduled checks", every: healthSchedule.settings.tick, logger: logger) {
            try await healthSchedule.runDue(logger: logger)
        }
    }
}
