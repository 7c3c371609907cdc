import Foundation
import HitchDomain
import HitchSecrets
import HitchStorage
import Logging

/// Seals and opens a connection's secrets under their binding: the connection, the field, the credential version
/// and the connection's destination (S2, S9). The only place where a stored secret is opened, so a secret whose
/// destination changed by any path (a bug, a hand edit of the database) is never used.
struct ConnectionSecrets: Sendable {
    let store: Store
    let live: LiveKeyring

    /// The keyring as this server holds it now.
    var keyring: Keyring { live.keyring }

    /// The destination of values of `kind`, with the connection they go through (`via`) looked up.
    func destination(kind: ConnectionKind, fields: [String: FieldValue], logger: Logger) async throws -> ConnectionDestination {
        guard let viaName = Self.viaName(kind: kind, fields: fields) else { return ConnectionDestination(kind: kind, fields: fields) }
        return Self.destination(kind: kind, fields: fields, via: try await store.connection(named: viaName, logger: logger))
    }

    /// The destination of values of `kind` that go through `via` (nil when it does not exist).
    static func destination(kind: ConnectionKind, fields: [String: FieldValue], via: ConnectionRecord?) -> ConnectionDestination {
        ConnectionDestination(kind: kind, fields: fields, via: via.map { ConnectionDestination(kind: $0.kind, fields: $0.fields) })
    }

    /// The name in the kind's connection field, when it has one and it is set.
    static func viaName(kind: ConnectionKind, fields: [String: FieldValue]) -> String? {
        for field in kind.schema.fields {
            guard case .connectionReference = field.type, case .string(let name)? = fields[field.name], !name.isEmpty
            else { continue }
            return name
        }
        return nil
    }

    func seal(
        _ secrets: [String: SecretValue], connectionId: String, version: Int, destination: ConnectionDestination
    ) throws -> [StoredSecret] {
        try secrets.sorted { $0.key < $1.key }.map { field, value in
            try seal(
                value,
                as: SecretBinding(
                    connectionId: connectionId, field: field, credentialVersion: version, destination: destination.canonical))
        }
    }

    /// One value sealed under `binding`, as storage keeps it.
    func seal(_ value: SecretValue, as binding: SecretBinding) throws -> StoredSecret {
        let sealed = try keyring.seal(value, for: binding)
        return StoredSecret(
            field: binding.field, credentialVersion: binding.credentialVersion, masterKeyVersion: sealed.masterKeyVersion,
            wrappedKey: sealed.wrappedKey, ciphertext: sealed.ciphertext)
    }

    /// One stored value opened under `binding`; throws `SecretsError` when it was sealed for another.
    func open(_ secret: StoredSecret, as binding: SecretBinding, logger: Logger) async throws -> SecretValue {
        try await live.holding(secret.masterKeyVersion, store: store, logger: logger).open(
            SealedSecret(masterKeyVersion: secret.masterKeyVersion, wrappedKey: secret.wrappedKey, ciphertext: secret.ciphertext),
            for: binding)
    }

    /// The plaintext secrets of a connection, for a re-seal or a use; never for a response.
    func open(of record: ConnectionRecord, logger: Logger) async throws -> [String: SecretValue] {
        let stored = try await store.read(logger: logger) { try await $0.connections.secrets(connectionId: record.id) }
        return try await open(stored, of: record, logger: logger)
    }

    /// Secrets read earlier (a run over many connections), opened for the record's current destination.
    func open(_ stored: [StoredSecret], of record: ConnectionRecord, logger: Logger) async throws -> [String: SecretValue] {
        guard !stored.isEmpty else { return [:] }
        let destination = try await destination(kind: record.kind, fields: record.fields, logger: logger)
        var opened: [String: SecretValue] = [:]
        for secret in stored {
            let binding = SecretBinding(
                connectionId: record.id, field: secret.field, credentialVersion: record.credentialVersion,
                destination: destination.canonical)
            do {
                opened[secret.field] = try await open(secret, as: binding, logger: logger)
            } catch let error as SecretsError where error.code == .openFailed {
                logger.error(
                    "a stored secret does not open for its connection's destination; it is not used",
                    metadata: ["connection": "\(record.name)", "field": "\(secret.field)"])
                throw Self.mismatch(record)
            }
        }
        return opened
    }

    private static func mismatch(_ record: ConnectionRecord) -> HitchError {
        let fields = record.kind.schema.destinationFields.map(\.name).joined(separator: ", ")
        let via = viaName(kind: record.kind, fields: record.fields).map { " or the destination of '\($0)'" } ?? ""
        return HitchError(
            .destinationMismatch,
            "the stored secret of connection '\(record.name)' was sealed for another destination (\(fields)\(via)), "
                + "so it was not opened and nothing was sent; re-enter the secret to use it with the current values")
    }
}
