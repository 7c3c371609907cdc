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

    /// A record and its secrets read at different moments, with a rotation committed between the two reads: the
    /// secrets belong to a newer credential version (perhaps to a new destination) than the record describes.
    struct StaleRecord: Error {}

    /// The plaintext secrets of a connection, for a re-seal or a use; never for a response. When the connection
    /// was rotated since `record` was read, nothing is opened: the caller would use the new secret with old values.
    func open(of record: ConnectionRecord, logger: Logger) async throws -> [String: SecretValue] {
        let stored = try await store.read(logger: logger) { try await $0.connections.secrets(connectionId: record.id) }
        do {
            return try await open(stored, of: record, logger: logger)
        } catch is StaleRecord {
            throw HitchError(.conflict, "connection '\(record.name)' was rotated while it was being read; try again")
        }
    }

    /// The connection as it is now, with its secrets opened for it: when a rotation commits between reading the
    /// record and reading its secrets, both are read again (a few times), so the caller uses the values and the
    /// secrets of one credential version together.
    func openCurrent(_ record: ConnectionRecord, logger: Logger) async throws -> (ConnectionRecord, [String: SecretValue]) {
        var record = record
        for _ in 0..<3 {
            let stored = try await store.read(logger: logger) { [id = record.id] in try await $0.connections.secrets(connectionId: id) }
            do {
                return (record, try await open(stored, of: record, logger: logger))
            } catch is StaleRecord {
                guard let fresh = try await store.read(logger: logger, { [id = record.id] in try await $0.connections.find(id: id) }) else {
                    throw HitchError.connectionNotFound(record.name)
                }
                record = fresh
            }
        }
        throw HitchError(.conflict, "connection '\(record.name)' kept changing while it was being read; try again")
    }

    /// Secrets read earlier (a run over many connections), opened for the record's current destination; throws
    /// `StaleRecord` when they belong to another credential version than the record.
    func open(_ stored: [StoredSecret], of record: ConnectionRecord, logger: Logger) async throws -> [String: SecretValue] {
        guard !stored.isEmpty else { return [:] }
        if stored.contains(where: { $0.credentialVersion != record.credentialVersion }) { throw StaleRecord() }
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
