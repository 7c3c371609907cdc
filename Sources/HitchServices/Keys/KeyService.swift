import Foundation
import HitchAudit
import HitchDomain
import HitchSecrets
import HitchStorage
import Logging

/// The keyring's life: its status, a new master key version (`rotate`), removing an unused one (`retire`), and
/// sealing the keyring under another key-encryption key (`rekey`). Every change is audited, and told to the other
/// servers sharing the database, which take it in without a restart.
package struct KeyService: Sendable {
    let store: Store
    let keys: LiveKeyring
    let audit: AuditLog
    let rewrap: KeyRewrap
    let clock: @Sendable () -> Date

    static let notice = "hitch_keyring"

    package struct Status: Sendable {
        package struct Version: Sendable {
            package let version: Int
            package let createdAt: Date
            package let createdBy: String
            package let usage: KeyUsage
        }

        package let kekIdentity: String
        package let kekOrigin: String
        /// The key-encryption key the keyring is sealed by (differs from this server's after another's rekey).
        package let sealedBy: [String]
        package let currentVersion: Int
        package let versions: [Version]
        package let auditKeyVersion: Int
        package let rewrap: KeyRewrap.Progress
    }

    package func status(logger: Logger) async throws -> Status {
        try await keys.refresh(store: store, logger: logger)
        let (rows, usage) = try await store.read(logger: logger) { session in
            (try await session.keyring.all(), try await session.keyring.usage())
        }
        let data = rows.filter { $0.purpose == KeyringSlot.Purpose.data.rawValue }
        let current = data.map(\.version).max() ?? keys.keyring.current.version
        let pending = usage.filter { $0.key < current }.values.reduce(0) { $0 + $1.total }
        return Status(
            kekIdentity: keys.kek.identity, kekOrigin: keys.kek.origin, sealedBy: Array(Set(rows.map(\.kek))).sorted(),
            currentVersion: current,
            versions: data.map {
                Status.Version(version: $0.version, createdAt: $0.createdAt, createdBy: $0.createdBy, usage: usage[$0.version] ?? KeyUsage())
            },
            auditKeyVersion: rows.filter { $0.purpose == KeyringSlot.Purpose.audit.rawValue }.map(\.version).max() ?? 1,
            rewrap: await rewrap.progress(pending: pending, current: usage[current]?.total ?? 0))
    }

    /// Adds master key version n+1, current at once for new seals here and, by notice, on every other server; the
    /// rewrap then moves what older versions wrap.
    package func rotate(by actor: RequestActor, logger: Logger) async throws -> Int {
        try await keys.refresh(store: store, logger: logger)
        let previous = keys.keyring.current
        let kek = keys.kek
        let next = MasterKey.generate(version: previous.version + 1)
        let row = try await KeyringRows.next(next, after: previous, kek: kek, at: clock(), by: actor.principal.name)
        let event = actor.event(
            "key.rotate", target: Self.target(next.version),
            detail: "master key version \(next.version) is current; version \(previous.version) and older are rewrapped")
        try await store.write(logger: logger) { [audit] session in
            let rows = try await session.keyring.allLocked()
            try Self.requireSealed(rows, by: kek)
            guard rows.filter({ $0.purpose == KeyringSlot.Purpose.data.rawValue }).map(\.version).max() == previous.version else {
                throw HitchError(.conflict, "the keyring changed meanwhile (another rotation); run the rotation again")
            }
            try await session.keyring.insert(row)
            try await audit.append(event, in: session)
            try session.notify(channel: Self.notice, payload: "rotate \(next.version)")
        }
        keys.adopt(next)
        logger.notice("master key rotated", metadata: ["version": "\(next.version)"])
        await rewrap.wake()
        return next.version
    }

    /// Removes master key version `version` once nothing is wrapped by it: the count is taken after the row is
    /// deleted, in the same transaction, so a write that still used it either committed first (and is counted) or
    /// fails for want of it; never is a secret left that no key opens.
    package func retire(version: Int, by actor: RequestActor, logger: Logger) async throws {
        let event = actor.event("key.retire", target: Self.target(version), detail: "master key version \(version) was retired")
        try await store.write(logger: logger) { [audit] session in
            let rows = try await session.keyring.allLocked().filter { $0.purpose == KeyringSlot.Purpose.data.rawValue }
            guard rows.contains(where: { $0.version == version }) else {
                throw HitchError(.notFound, "there is no master key version \(version)")
            }
            guard version != rows.map(\.version).max() else {
                throw HitchError(.conflict, "master key version \(version) is the current one: rotate first, then retire it once the rewrap has moved everything")
            }
            _ = try await session.keyring.delete(purpose: KeyringSlot.Purpose.data.rawValue, version: version)
            let usage = try await session.keyring.usage()[version] ?? KeyUsage()
            guard usage.total == 0 else {
                throw HitchError(
                    .conflict,
                    "master key version \(version) still wraps \(usage.secrets) secrets and \(usage.leaseHandles) lease handles; "
                        + "the rewrap moves them to the current version (see `hitch key status`)")
            }
            try await audit.append(event, in: session)
            try session.notify(channel: Self.notice, payload: "retire \(version)")
        }
        try await keys.refresh(store: store, logger: logger)
    }

    /// Seals every key of the keyring again under `newKEK`, in one transaction; no secret is touched. The new key
    /// must open what it sealed before anything is saved (a KMS key that encrypts but may not decrypt is refused).
    package func rekey(to newKEK: any KeyEncryptionKey, by actor: RequestActor, logger: Logger) async throws -> Int {
        try await keys.refresh(store: store, logger: logger)
        let oldKEK = keys.kek
        let rows = try await store.read(logger: logger) { try await $0.keyring.all() }
        try Self.requireSealed(rows, by: oldKEK)
        let keyring = keys.keyring
        let auditKeys = keys.auditKeys
        var resealed: [KeyringKeyRecord] = []
        do {
            for var row in rows {
                let slot = KeyringSlot(KeyringSlot.Purpose(rawValue: row.purpose) ?? .data, version: row.version)
                let sealed: Data
                switch slot.purpose {
                case .data:
                    guard let master = keyring.key(version: row.version) else { throw Self.changedMeanwhile }
                    sealed = try await newKEK.seal(master)
                case .audit:
                    guard let auditKey = auditKeys[row.version] else { throw Self.changedMeanwhile }
                    sealed = try await newKEK.seal(auditKey, as: slot)
                }
                _ = try await newKEK.open(sealed, as: slot)
                row.sealedKey = sealed
                row.kek = newKEK.identity
                resealed.append(row)
            }
        } catch let error as SecretsError {
            throw HitchError(.badRequest, "the new key-encryption key cannot be used: \(error.message). Nothing was changed.")
        }
        let event = actor.event(
            "key.rekey", target: nil, detail: "the keyring was sealed again: from \(oldKEK.identity) to \(newKEK.identity)")
        try await store.write(logger: logger) { [audit, resealed] session in
            let locked = try await session.keyring.allLocked()
            try Self.requireSealed(locked, by: oldKEK)
            guard Set(locked.map { "\($0.purpose)/\($0.version)" }) == Set(resealed.map { "\($0.purpose)/\($0.version)" }) else {
                throw Self.changedMeanwhile
            }
            for row in resealed {
                try await session.keyring.reseal(purpose: row.purpose, version: row.version, sealedKey: row.sealedKey, kek: row.kek)
            }
            try await audit.append(event, in: session)
            try session.notify(channel: Self.notice, payload: "rekey")
        }
        keys.replaceKEK(newKEK)
        logger.notice("keyring sealed by a new key-encryption key", metadata: ["kek": "\(newKEK.identity)"])
        return resealed.count
    }

    /// A server whose key-encryption key is not the keyring's (another server rekeyed it) may not seal new rows.
    private static func requireSealed(_ rows: [KeyringKeyRecord], by kek: any KeyEncryptionKey) throws {
        if let other = rows.first(where: { $0.kek != kek.identity }) {
            throw HitchError(
                .conflict,
                "the keyring is sealed by \(other.kek) since another server's rekey, and this server holds \(kek.identity): "
                    + "restart it with the new key-encryption key, or run this on a server that has it")
        }
    }

    private static let changedMeanwhile = HitchError(.conflict, "the keyring changed meanwhile; run it again")

    static func target(_ version: Int) -> AuditTarget {
        AuditTarget(kind: "master-key", name: "version \(version)", id: String(version))
    }
}
