import Crypto
import Foundation
import HitchAudit
import HitchSecrets
import HitchStorage
import Logging
import Synchronization

/// The keyring as this server holds it: the master key versions, the audit keys and the key-encryption key. Shared
/// by every service; a rotation here or on another server sharing the database (heard by notice, by polling, or when
/// a secret names a version not held yet) is taken in without a restart.
final class LiveKeyring: Sendable {
    struct State: Sendable {
        var keyring: Keyring
        var auditKeys: [Int: SymmetricKey]
        var kek: any KeyEncryptionKey
    }

    private let state: Mutex<State>

    init(keyring: Keyring, auditKeys: [Int: SymmetricKey], kek: any KeyEncryptionKey) {
        state = Mutex(State(keyring: keyring, auditKeys: auditKeys, kek: kek))
    }

    var keyring: Keyring { state.withLock { $0.keyring } }
    var kek: any KeyEncryptionKey { state.withLock { $0.kek } }
    var auditKeys: [Int: SymmetricKey] { state.withLock { $0.auditKeys } }

    /// The audit chain under the audit keys, the newest keying new events.
    var auditChain: AuditChain {
        let keys = auditKeys
        return AuditChain(keys: keys, current: keys.keys.max() ?? 1)
    }

    func adopt(_ key: MasterKey) { state.withLock { $0.keyring = $0.keyring.adding(key) } }

    func replaceKEK(_ kek: any KeyEncryptionKey) { state.withLock { $0.kek = kek } }

    /// A keyring that holds `version`, reading the database's keyring again when this one does not.
    func holding(_ version: Int, store: Store, logger: Logger) async throws -> Keyring {
        let held = keyring
        if held.key(version: version) != nil { return held }
        try await refresh(store: store, logger: logger)
        return keyring
    }

    /// Takes in the versions the database holds that this server does not, each opened by the version before it
    /// (or by the key-encryption key when that one is gone), and lets go of retired ones.
    func refresh(store: Store, logger: Logger) async throws {
        let rows = try await store.read(logger: logger) { try await $0.keyring.all() }.filter { $0.purpose == KeyringSlot.Purpose.data.rawValue }
        var keyring = self.keyring
        for row in rows.sorted(by: { $0.version < $1.version }) where keyring.key(version: row.version) == nil {
            if let chain = row.chainVersion, let chainedKey = row.chainedKey, let previous = keyring.key(version: chain) {
                keyring = keyring.adding(try KeyChain.open(chainedKey, version: row.version, under: previous))
            } else {
                keyring = keyring.adding(try await kek.openMasterKey(row.sealedKey, version: row.version))
            }
            logger.notice("took in a new master key version", metadata: ["version": "\(row.version)"])
        }
        let kept = Set(rows.map(\.version))
        let opened = keyring.keeping(kept)
        state.withLock { current in
            // Another refresh may have run meanwhile: keep whichever is newer, never go back.
            if opened.current.version >= current.keyring.current.version { current.keyring = opened }
        }
    }
}
