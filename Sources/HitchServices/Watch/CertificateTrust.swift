import Foundation
import HitchAudit
import HitchDomain
import HitchStorage
import Logging

/// Accepts the certificate a test met in place of the one a connection remembers (`trust-certificate`): the
/// operator names the offered certificate's thumbprint, so that what is trusted is what they saw. A pinned
/// connection keeps its pin: changing it is a destination change, with the secret re-entered.
package struct CertificateTrust: Sendable {
    let connections: ConnectionService
    let store: Store
    let audit: AuditLog

    package func trust(name: String, thumbprint: String, by actor: RequestActor, logger: Logger) async throws -> ConnectionRecord {
        let named = thumbprint.lowercased().filter { $0 != ":" }
        try await store.write(logger: logger) { [audit] session in
            guard let record = try await session.connections.find(name: name, lock: .update) else {
                throw HitchError.connectionNotFound(name)
            }
            guard CertificateMemory.kinds.contains(record.kind) else {
                throw HitchError(.unsupported, "only vsphere and nutanix connections remember a certificate")
            }
            guard CertificateMemory.applies(to: record) else {
                throw HitchError(
                    .conflict,
                    "'\(name)' pins its certificate's thumbprint; change the pin with an update (the secret is re-entered with it)")
            }
            guard let offered = record.offeredCertificate else {
                throw HitchError(.conflict, "no other certificate was met by a test of '\(name)'; nothing to trust")
            }
            guard offered.thumbprint == named else {
                throw HitchError(
                    .conflict, "the certificate offered by '\(name)' is SHA-256 \(offered.thumbprint), not the one named; read it again")
            }
            try await session.connections.saveCertificates(
                RememberedCertificates(known: offered, offered: nil), connectionId: record.id)
            let event = actor.event(
                "connection.trust-certificate", target: ConnectionService.target(record),
                detail: "trusted SHA-256 \(offered.thumbprint) (\(offered.subject))"
                    + (record.knownCertificate.map { " in place of \($0.thumbprint)" } ?? ""))
            try await audit.append(event, in: session)
        }
        logger.notice("certificate trusted", metadata: ["connection": "\(name)"])
        return try await connections.get(name: name, logger: logger)
    }
}
