import Foundation
import HitchDomain
import HitchPlatforms
import HitchStorage

/// What a test's result does to a connection as it is stored now (read locked, in the result's transaction): the
/// status to save with how long it has held, the certificates it remembers, and the events it tells webhooks.
struct StatusTransition: Equatable {
    var status: ConnectionStatus
    /// Nil when the remembered certificates stay as they are.
    var certificates: RememberedCertificates?
    var events: [WatchEvent]

    /// `presented` is the certificate the test met, when it reached TLS; `remembers` whether the connection keeps
    /// one (a vsphere or nutanix connection without a pin).
    init(
        current: ConnectionRecord, tested new: ConnectionStatus, presented: CertificateRecord?, remembers: Bool,
        expiringWithinDays warningDays: Int
    ) {
        let now = new.at ?? Date()
        let previous = current.status
        status = new
        status.revision = current.revision
        status.since = previous.since == nil || previous.state == ConnectionStatus.untested.state || previous.isOK != new.isOK
            ? now : previous.since
        certificates = Self.certificates(current: current, state: new.state, presented: presented, remembers: remembers)
        var events: [WatchEvent] = []
        let event = { (name: WatchEvent.Name, details: [String: String]) in
            WatchEvent(name: name, at: now, connection: current.name, kind: current.kind.rawValue, details: details)
        }
        // Told when the connection turns from ok to failing or back (or is first found failing): one event per
        // outage, however its failure changes meanwhile (a timeout, then unreachable).
        let untested = previous.state == ConnectionStatus.untested.state
        if untested ? !new.isOK : previous.isOK != new.isOK {
            var details = ["previousState": previous.state, "state": new.state]
            details["stage"] = new.stage
            details["message"] = new.message
            events.append(event(.statusChanged, details))
        }
        if new.state == TestFailureCode.tlsChanged.rawValue, let presented,
            previous.state != new.state || current.offeredCertificate?.thumbprint != presented.thumbprint
        {
            var details = ["thumbprint": presented.thumbprint, "subject": presented.subject, "notAfter": WatchEvent.iso(presented.notAfter)]
            details["previousThumbprint"] = current.knownCertificate?.thumbprint
            events.append(event(.tlsChanged, details))
        }
        let expiring = { (status: ConnectionStatus) in PlatformExpiries.isExpiring(status, at: now, warningDays: warningDays) }
        if let expiresAt = new.expiresAt, expiring(new), !expiring(previous) || previous.expiresAt != expiresAt {
            events.append(event(.expiring, ["expiresAt": WatchEvent.iso(expiresAt), "what": new.expiresWhat ?? "credential"]))
        }
        self.events = events
    }

    private static func certificates(
        current: ConnectionRecord, state: String, presented: CertificateRecord?, remembers: Bool
    ) -> RememberedCertificates? {
        guard remembers, let presented else { return nil }
        let stored = RememberedCertificates(known: current.knownCertificate, offered: current.offeredCertificate)
        var next = stored
        if state == TestFailureCode.tlsChanged.rawValue {
            next.offered = presented
        } else if state == ConnectionStatus.ok.state, current.knownCertificate == nil {
            // The first certificate a test passed with is the one this connection keeps.
            next = RememberedCertificates(known: presented, offered: nil)
        }
        return next == stored ? nil : next
    }
}

extension ConnectionStatus {
    static let ok = ConnectionStatus(state: "ok")
}
