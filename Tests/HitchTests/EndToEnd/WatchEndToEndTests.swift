import Foundation
@testable import HitchServices
import Synchronization
import Testing

/// The simulator a test stops and starts again, shared with the closures that run against it.
final class SimulatorSlot: Sendable {
    private let slot: Mutex<VCSimInstance>

    init(_ simulator: VCSimInstance) { slot = Mutex(simulator) }

    var current: VCSimInstance { slot.withLock { $0 } }

    func stop() { current.stop() }

    /// Stops the simulator and starts another with `arguments`.
    func restart(users: [VCSimInstance.User], arguments: [String]) throws {
        stop()
        let next = try VCSimInstance.start(users: users, arguments: arguments)
        slot.withLock { $0 = next }
    }
}

/// Watching connections through the built CLI against the vCenter simulator: scheduled checks, status changes told
/// to a signed webhook, a changed certificate refused before anything is sent, and the schedule leaving a refused
/// password alone.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the simulator runs under scripts/test"))
struct WatchEndToEndTests {
    static let user = VCSimInstance.User(username: "watch@vsphere.local", password: "CANARYwatchPw-7c1e", role: "Admin", entity: "root")

    /// The server's environment with scheduled checks every `every` and webhook retries after a second.
    static func environment(checkEvery every: String) -> [String: String] {
        var environment = CanaryEndToEndTests.baseEnvironment
        environment["HITCH_CHECK_EVERY"] = every
        environment["HITCH_WEBHOOK_RETRY_SECONDS"] = "1"
        return environment
    }

    static func show(_ name: String, _ cli: CLIRecorder, as environment: [String: String]) async throws -> [String: Any] {
        let shown = try await cli.run(["connection", "show", name, "-o", "json"], as: environment, expect: 0).stdout
        return try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any], "\(shown)")
    }

    static func state(_ name: String, _ cli: CLIRecorder, as environment: [String: String]) async throws -> String? {
        (try await show(name, cli, as: environment)["status"] as? [String: Any])?["state"] as? String
    }

    static func history(_ name: String, _ cli: CLIRecorder, as environment: [String: String]) async throws -> [[String: Any]] {
        let listed = try await cli.run(["connection", "history", name, "--tests", "-o", "json"], as: environment, expect: 0).stdout
        return try #require(try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]], "\(listed)")
    }

    static func addWebhook(
        _ url: String, events: [String], _ cli: CLIRecorder, as environment: [String: String]
    ) async throws -> (id: String, secret: String) {
        let added = try await cli.run(
            ["webhook", "add", url, "-o", "json"] + events.flatMap { ["--event", $0] }, as: environment, expect: 0).stdout
        let object = try #require(try JSONSerialization.jsonObject(with: Data(added.utf8)) as? [String: Any], "\(added)")
        let webhook = try #require(object["webhook"] as? [String: Any])
        return (try #require(webhook["id"] as? String), try #require(object["secret"] as? String))
    }

    @Test(arguments: TestBackend.all)
    func aStoppedSimulatorIsFoundByTheScheduleAndToldOnce(backend: TestBackend) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let kept = ["-keep-cert", scratch.path + "/vcsim.pem"]
        let simulator = SimulatorSlot(try VCSimInstance.start(users: [Self.user], arguments: kept))
        defer { simulator.stop() }
        let (hostPort, thumbprint) = (simulator.current.hostPort, simulator.current.thumbprint)
        try await WebhookReceiver.run { receiver, url in
            try await backend.withConfiguration { configuration in
                let started = try await SignedInServer(configuration, environment: Self.environment(checkEvery: "2s"))
                defer { started.server.stop() }
                let cli = CLIRecorder()
                let admin = started.environment
                let webhook = try await Self.addWebhook(url, events: ["status-changed"], cli, as: admin)
                try await cli.run(
                    ["connection", "create", "vsphere", "vcenter-watch-prod", "--vcenter", hostPort, "--username", Self.user.username,
                     "--password-stdin", "--thumbprint", thumbprint],
                    as: admin, stdin: Self.user.password, expect: 0)

                // The schedule tests it (untested to ok tells nothing), then finds the simulator gone.
                _ = try await Eventually.value { try await Self.state("vcenter-watch-prod", cli, as: admin) == "ok" ? true : nil }
                simulator.stop()
                _ = try await Eventually.value { try await Self.state("vcenter-watch-prod", cli, as: admin) == "unreachable" ? true : nil }
                let down = try await receiver.wait { $0.count >= 1 }
                let first = try #require(down.first)
                #expect(first.isSigned(with: webhook.secret), "\(first.headers)")
                #expect(first.headers["x-hitch-event"] == "status-changed")
                // A check under way as the simulator stops may end as a timeout first: still the one outage.
                #expect(first.json["connection"] == "vcenter-watch-prod" && first.json["previousState"] == "ok"
                    && ["unreachable", "timeout"].contains(first.json["state"] ?? ""), "\(first.body)")

                // Back on the same address with the same certificate: one event back to ok.
                try simulator.restart(users: [Self.user], arguments: kept + ["-listen", hostPort])
                _ = try await Eventually.value { try await Self.state("vcenter-watch-prod", cli, as: admin) == "ok" ? true : nil }
                let up = try await receiver.wait { $0.count >= 2 }
                #expect(["unreachable", "timeout"].contains(up[1].json["previousState"] ?? "") && up[1].json["state"] == "ok", "\(up[1].body)")
                #expect(up[1].isSigned(with: webhook.secret))
                // Further checks that find it ok tell nothing more.
                let checks = try await Self.history("vcenter-watch-prod", cli, as: admin).count
                _ = try await Eventually.value {
                    try await Self.history("vcenter-watch-prod", cli, as: admin).count >= checks + 2 ? true : nil
                }
                #expect(receiver.deliveries.count == 2, "\(receiver.deliveries.map(\.body))")

                let history = try await Self.history("vcenter-watch-prod", cli, as: admin)
                #expect(history.allSatisfy { $0["testedBy"] as? String == "schedule" }, "\(history)")
                #expect(history.contains { $0["state"] as? String == "unreachable" })
                let shown = try await cli.run(["connection", "show", "vcenter-watch-prod"], as: admin, expect: 0).stdout
                #expect(shown.contains("ok since"), "\(shown)")
                let deliveries = try await cli.run(["webhook", "deliveries", webhook.id], as: admin, expect: 0).stdout
                #expect(deliveries.components(separatedBy: "delivered").count - 1 == 2, "\(deliveries)")
                for text in cli.outputs + receiver.deliveries.map(\.body) + [started.server.log] {
                    #expect(!text.contains(Self.user.password))
                }
                // The signing secret is printed once, by `webhook add`, and is in no payload and no log.
                for text in receiver.deliveries.map(\.body) + [started.server.log] { #expect(!text.contains(webhook.secret)) }
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func aChangedCertificateIsRefusedBeforeAnythingIsSent(backend: TestBackend) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let firstCalls = scratch.path + "/calls-1"
        let secondCalls = scratch.path + "/calls-2"
        let simulator = SimulatorSlot(try VCSimInstance.start(users: [Self.user], arguments: ["-calls", firstCalls]))
        defer { simulator.stop() }
        let (hostPort, oldThumbprint) = (simulator.current.hostPort, simulator.current.thumbprint)
        try await WebhookReceiver.run { receiver, url in
            try await backend.withConfiguration { configuration in
                let started = try await SignedInServer(configuration, environment: Self.environment(checkEvery: "never"))
                defer { started.server.stop() }
                let cli = CLIRecorder()
                let admin = started.environment
                let operator_ = try await started.environment(ofService: "watch-operator", role: "operator")
                let viewer = try await started.environment(ofService: "watch-viewer", role: "viewer")
                let webhook = try await Self.addWebhook(url, events: ["tls-changed"], cli, as: admin)
                // Insecure: no pin, so the certificate it first passes with is the one it keeps.
                try await cli.run(
                    ["connection", "create", "vsphere", "vcenter-tls-prod", "--vcenter", hostPort, "--username", Self.user.username,
                     "--password-stdin", "--insecure"],
                    as: admin, stdin: Self.user.password, expect: 0)
                try await cli.run(["connection", "test", "vcenter-tls-prod"], as: admin, expect: 0)
                let remembered = try #require(try await Self.show("vcenter-tls-prod", cli, as: admin)["knownCertificate"] as? [String: Any])
                #expect(remembered["thumbprint"] as? String == oldThumbprint)

                // The same address, a new certificate: refused at TLS, and no call reached the simulator.
                try simulator.restart(users: [Self.user], arguments: ["-listen", hostPort, "-calls", secondCalls])
                let newThumbprint = simulator.current.thumbprint
                try #require(newThumbprint != oldThumbprint)
                let refused = try await cli.run(["connection", "test", "vcenter-tls-prod"], as: admin, expect: 3).output
                #expect(refused.contains("tls-changed") && refused.contains(oldThumbprint) && refused.contains(newThumbprint), "\(refused)")
                #expect(!FileManager.default.fileExists(atPath: secondCalls), "a call reached the simulator: \((try? String(contentsOfFile: secondCalls, encoding: .utf8)) ?? "")")
                let shown = try await cli.run(["connection", "show", "vcenter-tls-prod"], as: admin, expect: 0).stdout
                #expect(shown.contains("remembered: SHA-256 \(oldThumbprint)") && shown.contains("now offered: SHA-256 \(newThumbprint)"), "\(shown)")
                let told = try await receiver.wait { $0.count >= 1 }
                #expect(told[0].json["thumbprint"] == newThumbprint && told[0].json["previousThumbprint"] == oldThumbprint, "\(told[0].body)")
                #expect(told[0].isSigned(with: webhook.secret))
                // A scheduled or repeated test that meets the same certificate again tells nothing more.
                try await cli.run(["connection", "test", "vcenter-tls-prod"], as: admin, expect: 3)
                #expect(!FileManager.default.fileExists(atPath: secondCalls))

                // A viewer may not trust it; a thumbprint other than the offered one is refused; then it is trusted.
                try await cli.run(["connection", "trust-certificate", "vcenter-tls-prod"], as: viewer, expect: 6)
                try await cli.run(
                    ["connection", "trust-certificate", "vcenter-tls-prod", "--thumbprint", oldThumbprint], as: operator_, expect: 4)
                let colons = stride(from: 0, to: newThumbprint.count, by: 2).map {
                    String(newThumbprint.dropFirst($0).prefix(2)).uppercased()
                }.joined(separator: ":")
                try await cli.run(["connection", "trust-certificate", "vcenter-tls-prod", "--thumbprint", colons], as: operator_, expect: 0)
                try await cli.run(["connection", "test", "vcenter-tls-prod"], as: admin, expect: 0)
                let calls = (try? String(contentsOfFile: secondCalls, encoding: .utf8)) ?? ""
                #expect(calls.contains("Login"), "\(calls)")
                let trusted = try await Self.show("vcenter-tls-prod", cli, as: admin)
                #expect((trusted["knownCertificate"] as? [String: Any])?["thumbprint"] as? String == newThumbprint)
                #expect(trusted["offeredCertificate"] == nil)
                let audit = try await cli.run(["audit", "list", "--action", "connection.trust-certificate"], as: admin, expect: 0).stdout
                #expect(audit.contains("vcenter-tls-prod") && audit.contains("watch-operator"), "\(audit)")

                // Repointed (the secret re-entered), it remembers nothing of the old destination.
                try await cli.run(
                    ["connection", "update", "vcenter-tls-prod", "--thumbprint", newThumbprint, "--password-stdin"],
                    as: admin, stdin: Self.user.password, expect: 0)
                let pinned = try await Self.show("vcenter-tls-prod", cli, as: admin)
                #expect(pinned["knownCertificate"] == nil)
                try await cli.run(["connection", "trust-certificate", "vcenter-tls-prod", "--thumbprint", newThumbprint], as: admin, expect: 4)
                for text in cli.outputs + [started.server.log] { #expect(!text.contains(Self.user.password)) }
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func aRefusedPasswordIsTestedOnceUntilTheConnectionChanges(backend: TestBackend) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let calls = scratch.path + "/calls"
        let simulator = try VCSimInstance.start(users: [Self.user], arguments: ["-calls", calls])
        defer { simulator.stop() }
        try await backend.withConfiguration { configuration in
            let started = try await SignedInServer(configuration, environment: Self.environment(checkEvery: "1s"))
            defer { started.server.stop() }
            let cli = CLIRecorder()
            let admin = started.environment
            try await cli.run(
                ["connection", "create", "vsphere", "vcenter-locked-prod", "--vcenter", simulator.hostPort, "--username", Self.user.username,
                 "--password-stdin", "--thumbprint", simulator.thumbprint],
                as: admin, stdin: "CANARYwrongPw-91", expect: 0)
            _ = try await Eventually.value { try await Self.state("vcenter-locked-prod", cli, as: admin) == "auth-failed" ? true : nil }
            // Several intervals later: still the one test, and one login.
            try await Task.sleep(for: .seconds(5))
            let history = try await Self.history("vcenter-locked-prod", cli, as: admin)
            #expect(history.count == 1 && history.first?["state"] as? String == "auth-failed", "\(history)")
            let logins = ((try? String(contentsOfFile: calls, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0 == "Login" }
            #expect(logins.count == 1, "\(logins)")

            // A new password is a change: the schedule tests it again.
            try await cli.run(
                ["connection", "update", "vcenter-locked-prod", "--password-stdin"], as: admin, stdin: Self.user.password, expect: 0)
            _ = try await Eventually.value { try await Self.state("vcenter-locked-prod", cli, as: admin) == "ok" ? true : nil }
            let shown = try await cli.run(["connection", "show", "vcenter-locked-prod"], as: admin, expect: 0).stdout
            #expect(shown.contains("ok since"), "\(shown)")
        }
    }

    @Test
    func twoServersOnOnePostgreSQLRunEachCheckOnce() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        try await TestBackend.postgres.withConfiguration { configuration in
            let first = try await SignedInServer(configuration, environment: Self.environment(checkEvery: "3s"))
            defer { first.server.stop() }
            let otherData = configuration.dataDirectory + "-second"
            try FileManager.default.createDirectory(atPath: otherData, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: configuration.dataDirectory + "/master.key", toPath: otherData + "/master.key")
            let second = try await ServerProcess(
                arguments: ["--data-dir", otherData, "--database-url", try #require(configuration.databaseURL), "--log-level", "info"],
                environment: Self.environment(checkEvery: "3s"), logPath: otherData + ".log")
            defer { second.stop() }
            let cli = CLIRecorder()
            let admin = first.environment
            let names = (1...6).map { "agents-watch-\($0)" }
            for name in names {
                try await cli.run(["connection", "create", "api-key", name, "--token-type", "connector"], as: admin, expect: 0)
            }
            // Until every connection was checked three times by the schedule.
            _ = try await Eventually.value(seconds: 90) {
                for name in names where try await Self.history(name, cli, as: admin).count < 3 { return nil as Bool? }
                return true
            }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            for name in names {
                let times = try await Self.history(name, cli, as: admin).compactMap { ($0["at"] as? String).flatMap(formatter.date) }.sorted()
                // A check run twice (by both servers) would be two results within moments of each other; the
                // schedule spaces them by at least 90% of the interval.
                let gaps = zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }
                #expect(gaps.allSatisfy { $0 > 2 }, "\(name): \(gaps)")
            }
            // Both servers took part (each check goes to whichever claims it first).
            #expect(first.server.log.contains("scheduled check") && second.log.contains("scheduled check"))
            let audit = try await cli.run(["audit", "list", "--action", "connection.test", "-o", "json"], as: admin, expect: 0).stdout
            #expect(audit.contains("schedule"), "the schedule's tests are audited as Hitch's: \(audit.prefix(400))")
        }
    }

    @Test(arguments: TestBackend.all)
    func aFailingReceiverGetsTheEventOnTheThirdTryAcrossARestart(backend: TestBackend) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        try await WebhookReceiver.run(failFirst: 2) { receiver, url in
            try await backend.withConfiguration { configuration in
                var arguments = ["--data-dir", configuration.dataDirectory]
                if let database = configuration.databaseURL { arguments += ["--database-url", database] }
                var environment = Self.environment(checkEvery: "never")
                // The third try comes 4 s after the second (2 s, doubled): time for the stop on a loaded machine.
                environment["HITCH_WEBHOOK_RETRY_SECONDS"] = "2"
                let started = try await SignedInServer(configuration, environment: environment)
                let cli = CLIRecorder()
                var admin = started.environment
                let webhook = try await Self.addWebhook(url, events: ["status-changed", "lease.issue"], cli, as: admin)
                // Nothing listens on port 9 of the loopback: untested to unreachable is a change.
                try await cli.run(
                    ["connection", "create", "vsphere", "vcenter-gone-dev", "--vcenter", "127.0.0.1:9", "--username", "svc",
                     "--password-stdin", "--insecure"],
                    as: admin, stdin: "CANARYgonePw-55", expect: 0)
                try await cli.run(["connection", "test", "vcenter-gone-dev"], as: admin, expect: 3)
                try await receiver.wait { $0.count >= 2 }
                started.server.stop()
                #expect(receiver.deliveries.count == 2)

                let restarted = try await ServerProcess(arguments: arguments, environment: environment, logPath: configuration.dataDirectory + ".2.log")
                defer { restarted.stop() }
                admin["HITCH_ADDR"] = restarted.address
                let all = try await receiver.wait { $0.count >= 3 }
                #expect(all.count == 3 && all.map(\.answered) == [500, 500, 200], "\(all.map(\.answered))")
                #expect(Set(all.map { $0.headers["x-hitch-delivery"] ?? "" }).count == 1, "one delivery, tried three times")
                #expect(all.allSatisfy { $0.isSigned(with: webhook.secret) && $0.body == all[0].body })
                #expect(all[0].json["state"] == "unreachable" && all[0].json["previousState"] == "untested", "\(all[0].body)")
                // The receiver answered before Hitch saved the attempt: wait for the save.
                let deliveries = try await Eventually.value { () -> [[String: Any]]? in
                    let listed = try await cli.run(["webhook", "deliveries", webhook.id, "-o", "json"], as: admin, expect: 0).stdout
                    let deliveries = try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]] ?? []
                    return deliveries.first?["state"] as? String == "pending" ? nil : deliveries
                }
                // Three attempts reached the receiver; one more may have been cut short by the stop itself.
                #expect(deliveries.count == 1 && deliveries[0]["state"] as? String == "delivered"
                    && (3...4).contains(deliveries[0]["attempts"] as? Int ?? 0)
                    && deliveries[0]["lastStatus"] as? Int == 200, "\(deliveries)")
                // The receiver's answers are never kept beyond their status, and no secret is in any payload.
                for delivery in all { #expect(!delivery.body.contains("CANARYgonePw-55") && !delivery.body.contains(webhook.secret)) }

                // Removed, a webhook is told nothing more; a viewer may not list webhooks.
                let viewer = try await SignedInServer(server: restarted, environment: admin).environment(ofService: "hook-viewer", role: "viewer")
                try await cli.run(["webhook", "list"], as: viewer, expect: 6)
                try await cli.run(["webhook", "remove", webhook.id], as: admin, expect: 0)
                try await cli.run(["webhook", "deliveries", webhook.id], as: admin, expect: 5)
            }
        }
    }
}
