import Crypto
import Foundation
import HitchSecrets
import HitchStorage

/// The keyring as rows of `keyring_keys`, and back: each key sealed by the key-encryption key, data key versions
/// after the first also chained to the version before.
enum KeyringRows {
    /// Opens every row with `kek`. Fails, naming both keys, when the rows were sealed by another key-encryption key.
    static func open(
        _ rows: [KeyringKeyRecord], with kek: any KeyEncryptionKey
    ) async throws -> (keyring: Keyring, auditKeys: [Int: SymmetricKey]) {
        if let other = rows.first(where: { $0.kek != kek.identity }) {
            throw SecretsError(
                .keyMismatch,
                "the keyring is sealed by the key-encryption key \(other.kek), but this server was given \(kek.identity) "
                    + "(\(kek.origin)). Nothing was changed. Start with the key the keyring was last sealed by "
                    + "(docs: README, key management).")
        }
        var masters: [MasterKey] = []
        var auditKeys: [Int: SymmetricKey] = [:]
        for row in rows {
            switch KeyringSlot.Purpose(rawValue: row.purpose) {
            case .data?: masters.append(try await kek.openMasterKey(row.sealedKey, version: row.version))
            case .audit?: auditKeys[row.version] = try await kek.open(row.sealedKey, as: KeyringSlot(.audit, version: row.version))
            case nil: throw StorageError.corrupt("the keyring holds a key of unknown purpose '\(row.purpose)'")
            }
        }
        guard let newest = masters.max(by: { $0.version < $1.version }), !auditKeys.isEmpty else {
            throw StorageError.corrupt("the keyring holds no master key or no audit key")
        }
        return (Keyring(current: newest, previous: masters.filter { $0.version != newest.version }), auditKeys)
    }

    /// The first rows of a keyring: master key version 1 and audit key version 1.
    static func first(
        master: MasterKey, auditKey: SymmetricKey, kek: any KeyEncryptionKey, at date: Date
    ) async throws -> [KeyringKeyRecord] {
        [
            KeyringKeyRecord(
                purpose: KeyringSlot.Purpose.data.rawValue, version: master.version, sealedKey: try await kek.seal(master),
                kek: kek.identity, createdAt: date, createdBy: "hitch"),
            KeyringKeyRecord(
                purpose: KeyringSlot.Purpose.audit.rawValue, version: 1,
                sealedKey: try await kek.seal(auditKey, as: KeyringSlot(.audit, version: 1)), kek: kek.identity,
                createdAt: date, createdBy: "hitch"),
        ]
    }

    /// A new master key version's row: sealed by the key-encryption key and chained to `previous`.
    static func next(
        _ master: MasterKey, after previous: MasterKey, kek: any KeyEncryptionKey, at date: Date, by actor: String
    ) async throws -> KeyringKeyRecord {
        KeyringKeyRecord(
            purpose: KeyringSlot.Purpose.data.rawValue, version: master.version, sealedKey: try await kek.seal(master),
            kek: kek.identity, chainVersion: previous.version, chainedKey: try KeyChain.seal(master, under: previous),
            createdAt: date, createdBy: actor)
    }
}
