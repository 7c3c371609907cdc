import HitchAudit
import HitchDomain
import HitchSecrets
import HitchStorage
import Logging

/// The server's part of the migration that binds every stored secret to its connection's destination (S9): each
/// secret sealed before is opened under its old binding and sealed again under the new one, in the migration's own
/// transaction, and audited once. It runs only when that migration is applied, so a later hand edit that marks
/// nothing can make the server open a secret without its destination.
enum DestinationBindingMigration {
    static func step(secrets: ConnectionSecrets, audit: AuditLog, logger: Logger) -> MigrationStep {
        let keyring = secrets.keyring
        return { session in
            // Only the columns of its own schema version: later migrations have not run yet.
            let records = try await session.connections.destinationInputs()
            let byName = Dictionary(records.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            let stored = try await session.connections.secrets(connectionIds: records.map(\.id))
            var sealedAgain = 0
            var connections = 0
            var damaged: [String] = []
            for record in records {
                guard let sealedSecrets = stored[record.id], !sealedSecrets.isEmpty else { continue }
                let via = ConnectionSecrets.viaName(kind: record.kind, fields: record.fields).flatMap { byName[$0] }
                let destination = ConnectionDestination(
                    kind: record.kind, fields: record.fields, via: via.map { ConnectionDestination(kind: $0.kind, fields: $0.fields) })
                var resealed: [StoredSecret] = []
                for secret in sealedSecrets {
                    let sealed = SealedSecret(
                        masterKeyVersion: secret.masterKeyVersion, wrappedKey: secret.wrappedKey,
                        ciphertext: secret.ciphertext)
                    guard let value = try? keyring.openUnbound(
                        sealed, connectionId: record.id, field: secret.field, credentialVersion: record.credentialVersion)
                    else {
                        damaged.append("\(record.name).\(secret.field)")
                        continue
                    }
                    resealed.append(
                        try secrets.seal(
                            value,
                            as: SecretBinding(
                                connectionId: record.id, field: secret.field, credentialVersion: record.credentialVersion,
                                destination: destination.canonical)))
                }
                try await session.connections.replaceSecrets(resealed, connectionId: record.id)
                sealedAgain += resealed.count
                connections += resealed.isEmpty ? 0 : 1
            }
            if !damaged.isEmpty {
                // Already unusable before: they stay as they are and fail closed at their next use.
                logger.error("stored secrets that do not open were left as they are", metadata: ["secrets": "\(damaged)"])
            }
            guard sealedAgain + damaged.count > 0 else { return }
            var detail = "\(sealedAgain) secrets of \(connections) connections sealed again, bound to their destinations"
            if !damaged.isEmpty { detail += "; \(damaged.count) that did not open left as they were" }
            try await audit.append(
                AuditEvent(actor: .system, origin: .local, action: "secrets.bind-destination", target: nil, detail: detail),
                in: session)
        }
    }
}
