import Foundation
import HitchDomain
import HitchPlatforms
import HitchStorage

/// What runs out, from a test's report: what the platform said (a client secret's end, a key's expiry), and for
/// vCenter and Prism the certificate the test met. The first to run out is kept on the connection's status, and a
/// connection within the server's warning window of it (`HITCH_EXPIRY_WARNING_DAYS`, 14 by default) is `expiring`.
enum PlatformExpiries {
    static let certificate = "TLS certificate"
    static let defaultWarningDays = 14

    static func first(in report: TestReport, kind: ConnectionKind) -> PlatformExpiry? {
        var expiries = report.expiries
        if kind == .vsphere || kind == .nutanix, let notAfter = report.stages.compactMap(\.certificate).last?.notAfter {
            expiries.append(PlatformExpiry(what: certificate, at: notAfter))
        }
        return expiries.min { $0.at < $1.at }
    }

    /// Whether `status` names an expiry within `warningDays` of `now`, or past.
    static func isExpiring(_ status: ConnectionStatus, at now: Date, warningDays: Int) -> Bool {
        guard let expiresAt = status.expiresAt else { return false }
        return expiresAt.timeIntervalSince(now) <= TimeInterval(warningDays) * 86_400
    }

    static func warningDays(_ environment: [String: String]) throws -> Int {
        guard let text = environment["HITCH_EXPIRY_WARNING_DAYS"] else { return defaultWarningDays }
        guard let days = Int(text), (1...365).contains(days) else {
            throw HitchError(.badRequest, "HITCH_EXPIRY_WARNING_DAYS must be a whole number of days from 1 to 365")
        }
        return days
    }
}
