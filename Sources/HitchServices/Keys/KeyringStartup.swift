import Crypto
import Foundation
import HitchAudit
import HitchSecrets
import HitchStorage
import Logging

/// Opens the keyring at start, before anything is written: a key-encryption key that does not open it (or a KMS that
/// cannot be reached, or refuses) stops the start with nothing changed. A database made before the keyring keeps its
/// master key: that key becomes both the key-encryption key and master key version 1, and the audit key stays the
/// one derived from it, so nothing is re-entered and the audit chain goes on.
struct KeyringStartup {
    let store: Store
    let configuration: HitchConfiguration
    let logger: Logger

    /// What the server starts with; `firstRows` are written by the keyring migration when it is still to apply.
    struct Opened {
        let live: LiveKeyring
        let firstRows: [KeyringKeyRecord]
    }

    func open(appliedVersions applied: [Int]) async throws -> Opened {
        if applied.contains(SchemaVersion.keyring) {
            let (kek, _) = try KEKSource.load(configuration, mayCreate: false)
            let rows = try await store.read(logger: logger) { try await $0.keyring.all() }
            let (keyring, auditKeys) = try await KeyringRows.open(rows, with: kek)
            return Opened(live: LiveKeyring(keyring: keyring, auditKeys: auditKeys, kek: kek), firstRows: [])
        }
        if !applied.isEmpty {
            return try await openLegacy()
        }
        let (kek, created) = try KEKSource.load(configuration, mayCreate: true)
        if let created { logger.notice("created the key-encryption key file", metadata: ["path": "\(created)"]) }
        let master = MasterKey.generate()
        let auditKey = SymmetricKey(size: .bits256)
        let rows = try await KeyringRows.first(master: master, auditKey: auditKey, kek: kek, at: Date())
        return Opened(live: LiveKeyring(keyring: Keyring(current: master), auditKeys: [1: auditKey], kek: kek), firstRows: rows)
    }

    /// A database made before the keyring: its master key (file or environment) opens its key check.
    private func openLegacy() async throws -> Opened {
        let (kek, _) = try KEKSource.load(configuration, mayCreate: false)
        guard let local = kek as? LocalKEK else {
            throw SecretsError(
                .keyMismatch,
                "this database was made before the keyring: start it once with its master key (<data-dir>/master.key "
                    + "or HITCH_MASTER_KEY), then move the keyring to KMS with `hitch key rekey`. Nothing was changed.")
        }
        guard let check = try await store.read(logger: logger, { try await $0.keyCheck.load() }) else {
            throw StorageError.corrupt("the database has no key check and no keyring")
        }
        try local.verifyLegacyCheck(check.value)
        let master = local.legacyMasterKey
        let auditKey = AuditChain.legacyKey(of: master)
        let rows = try await KeyringRows.first(master: master, auditKey: auditKey, kek: local, at: Date())
        return Opened(live: LiveKeyring(keyring: Keyring(current: master), auditKeys: [1: auditKey], kek: local), firstRows: rows)
    }

    /// The keyring migration's server step: writes the first rows, unless a server starting beside this one did.
    static func step(rows: [KeyringKeyRecord]) -> MigrationStep {
        { session in
            guard try await session.keyring.all().isEmpty else { return }
            for row in rows { try await session.keyring.insert(row) }
        }
    }

    /// After migrating, the keyring the database holds (another server may have written it first).
    func reopen(_ opened: Opened) async throws -> LiveKeyring {
        let rows = try await store.read(logger: logger) { try await $0.keyring.all() }
        let (keyring, auditKeys) = try await KeyringRows.open(rows, with: opened.live.kek)
        return LiveKeyring(keyring: keyring, auditKeys: auditKeys, kek: opened.live.kek)
    }
}
