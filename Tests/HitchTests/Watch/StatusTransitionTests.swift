import Foundation
import HitchDomain
@testable import HitchServices
import HitchStorage
import Testing

/// What a test's result does to a stored connection: how long its state has held, the certificate it remembers,
/// and the events webhooks are told.
@Suite struct StatusTransitionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let old = CertificateRecord(thumbprint: String(repeating: "a", count: 64), subject: "CN=old", notAfter: now.addingTimeInterval(86_400 * 300))
    static let new = CertificateRecord(thumbprint: String(repeating: "b", count: 64), subject: "CN=new", notAfter: now.addingTimeInterval(86_400 * 300))

    static func record(state: String, since: Date? = nil, known: CertificateRecord? = nil, offered: CertificateRecord? = nil) -> ConnectionRecord {
        var record = ConnectionRepositoryTests.record("vcenter-transition-prod")
        record.status = ConnectionStatus(state: state)
        record.status.since = since
        record.knownCertificate = known
        record.offeredCertificate = offered
        record.revision = 7
        return record
    }

    static func tested(_ state: String, expiresAt: Date? = nil) -> ConnectionStatus {
        var status = ConnectionStatus(state: state, at: now)
        status.expiresAt = expiresAt
        status.expiresWhat = expiresAt == nil ? nil : "TLS certificate"
        return status
    }

    static func transition(
        _ current: ConnectionRecord, _ tested: ConnectionStatus, presented: CertificateRecord? = nil, remembers: Bool = true
    ) -> StatusTransition {
        StatusTransition(current: current, tested: tested, presented: presented, remembers: remembers, expiringWithinDays: 14)
    }

    @Test func aFirstPassTellsNothingAndRemembersTheCertificate() {
        let first = Self.transition(Self.record(state: "untested"), Self.tested("ok"), presented: Self.old)
        #expect(first.events.isEmpty)
        #expect(first.status.since == Self.now && first.status.revision == 7)
        #expect(first.certificates == RememberedCertificates(known: Self.old, offered: nil))
        // A pinned connection (or a cloud kind) remembers nothing.
        #expect(Self.transition(Self.record(state: "untested"), Self.tested("ok"), presented: Self.old, remembers: false).certificates == nil)
    }

    @Test func aChangeOfStateIsToldOnceAndSinceMovesOnlyBetweenOkAndFailing() {
        let earlier = Self.now.addingTimeInterval(-3_600)
        let down = Self.transition(Self.record(state: "ok", since: earlier, known: Self.old), Self.tested("unreachable"), presented: nil)
        #expect(down.events.map(\.name) == [.statusChanged])
        #expect(down.events.first?.details["previousState"] == "ok" && down.events.first?.details["state"] == "unreachable")
        #expect(down.status.since == Self.now && down.certificates == nil)
        let still = Self.transition(Self.record(state: "unreachable", since: earlier), Self.tested("unreachable"))
        #expect(still.events.isEmpty && still.status.since == earlier)
        let other = Self.transition(Self.record(state: "unreachable", since: earlier), Self.tested("timeout"))
        #expect(other.events.isEmpty && other.status.since == earlier, "still failing since then: the same outage")
        let found = Self.transition(Self.record(state: "untested"), Self.tested("auth-failed"))
        #expect(found.events.map(\.name) == [.statusChanged], "first found failing")
        let up = Self.transition(Self.record(state: "ok", since: earlier, known: Self.old), Self.tested("ok"), presented: Self.old)
        #expect(up.events.isEmpty && up.status.since == earlier && up.certificates == nil)
    }

    @Test func anotherCertificateIsOfferedAndToldOnce() {
        let current = Self.record(state: "ok", since: Self.now, known: Self.old)
        let changed = Self.transition(current, Self.tested("tls-changed"), presented: Self.new)
        #expect(Set(changed.events.map(\.name)) == [.statusChanged, .tlsChanged])
        let told = changed.events.first { $0.name == .tlsChanged }
        #expect(told?.details["thumbprint"] == Self.new.thumbprint && told?.details["previousThumbprint"] == Self.old.thumbprint)
        #expect(changed.certificates == RememberedCertificates(known: Self.old, offered: Self.new))
        // Met again: nothing more is told, nothing changes.
        let again = Self.transition(Self.record(state: "tls-changed", known: Self.old, offered: Self.new), Self.tested("tls-changed"), presented: Self.new)
        #expect(again.events.isEmpty && again.certificates == nil)
        // A pass with the remembered one never replaces it.
        let pass = Self.transition(Self.record(state: "ok", known: Self.old), Self.tested("ok"), presented: Self.new)
        #expect(pass.certificates == nil)
    }

    @Test func anExpiryIsToldOncePerDate() {
        let soon = Self.now.addingTimeInterval(3 * 86_400)
        let far = Self.now.addingTimeInterval(90 * 86_400)
        #expect(Self.transition(Self.record(state: "ok"), Self.tested("ok", expiresAt: far)).events.isEmpty)
        var current = Self.record(state: "ok")
        current.status.expiresAt = far
        #expect(Self.transition(current, Self.tested("ok", expiresAt: soon)).events.map(\.name) == [.expiring])
        current.status.expiresAt = soon
        #expect(Self.transition(current, Self.tested("ok", expiresAt: soon)).events.isEmpty)
    }

    @Test func theScheduleLeavesARefusedPasswordUntilTheConnectionChanges() {
        var record = Self.record(state: "auth-failed")
        record.status.revision = 7
        #expect(HealthSchedule.isHeld(record))
        record.revision = 8
        #expect(!HealthSchedule.isHeld(record))
    }

    @Test func intervalsAreParsedAndWritten() throws {
        #expect(CheckInterval.seconds("90s") == 90 && CheckInterval.seconds("6h") == 21_600 && CheckInterval.seconds("never") == 0)
        for text in ["", "h", "0h", "-1h", "1w", "6 h", "1.5h"] { #expect(CheckInterval.seconds(text) == nil, "\(text)") }
        #expect(CheckInterval.text(21_600) == "6h" && CheckInterval.text(5_400) == "90m" && CheckInterval.text(0) == "never")
        #expect(try CheckInterval.connectionSetting("default") == nil)
        #expect(throws: HitchError.self) { try CheckInterval.connectionSetting("30s") }
        #expect(try CheckInterval.server(from: [:]) == 21_600)
        #expect(try CheckInterval.server(from: ["HITCH_CHECK_EVERY": "never"]) == nil)
        #expect(try CheckInterval.server(from: ["HITCH_CHECK_EVERY": "1s"]) == 1)
        #expect(throws: HitchError.self) { try CheckInterval.server(from: ["HITCH_CHECK_EVERY": "soon"]) }
        #expect(try HealthSchedule.Settings(environment: ["HITCH_CHECK_EVERY": "2s"]).tick == .seconds(1))
        #expect(throws: HitchError.self) { try HealthSchedule.Settings(environment: ["HITCH_CHECK_CONCURRENCY": "0"]) }
    }

    @Test func theSignatureIsAnHMACOfTheBody() {
        let signature = WebhookDelivery.signature(of: #"{"event":"expiring"}"#, secret: SecretValue("whsec_test"))
        // printf '%s' '{"event":"expiring"}' | openssl dgst -sha256 -hmac whsec_test
        #expect(signature == "sha256=fba33b52060c70eb0a5386e2b7f682394e5bcafbf03620ce889dac4dd068f3ec")
        #expect(signature != WebhookDelivery.signature(of: #"{"event":"expiring"} "#, secret: SecretValue("whsec_test")))
    }
}
