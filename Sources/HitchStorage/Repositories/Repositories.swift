import Foundation
import HitchDomain

/// Connections, their sealed secrets and credential versions.
public protocol ConnectionRepository: Sendable {
    func find(name: String) async throws -> ConnectionRecord?
    /// Within a write, locks the row until the transaction ends (PostgreSQL; SQLite has one writer at a time):
    /// `update` to delete it, `share` to add a reference to it, so that a delete and a new reference never cross.
    func find(name: String, lock: RowLock) async throws -> ConnectionRecord?
    func find(id: String) async throws -> ConnectionRecord?
    /// Within a write, the connection locked until the transaction ends (PostgreSQL; SQLite has one writer).
    func find(id: String, lock: RowLock) async throws -> ConnectionRecord?
    func list(_ filter: ConnectionFilter) async throws -> [ConnectionRecord]
    /// What a destination binding needs of every connection, from the columns of schema version 6 only: a
    /// migration's server step runs before the later migrations have added their columns.
    func destinationInputs() async throws -> [ConnectionDestinationInput]
    /// The same, of the connections with these ids, in one query.
    func destinationInputs(ids: [String]) async throws -> [ConnectionDestinationInput]
    /// The same, of the connections with these names, in one query.
    func destinationInputs(names: [String]) async throws -> [ConnectionDestinationInput]
    /// Fails with `StorageError.duplicate` when the name is taken.
    func insert(_ record: ConnectionRecord, secrets: [StoredSecret], version: CredentialVersionRecord) async throws
    /// Saves `record` only if the stored revision is still `expectedRevision`; false when it is not.
    /// `secrets` replace the stored secrets of the same fields; `version` is recorded when a new one was made.
    func update(
        _ record: ConnectionRecord, expectedRevision: Int, secrets: [StoredSecret], version: CredentialVersionRecord?
    ) async throws -> Bool
    /// Saves a test's result without changing the revision, only while the credential version tested is still the
    /// current one; false when it is not (a rotation made the result stale).
    /// `certificates`, when given, replace the remembered and offered certificates in the same statement.
    func saveStatus(
        _ status: ConnectionStatus, certificates: RememberedCertificates?, connectionId: String, testedVersion: Int
    ) async throws -> Bool
    /// Replaces the remembered and offered certificates (a trusted certificate, a change of destination).
    func saveCertificates(_ certificates: RememberedCertificates, connectionId: String) async throws
    /// Removes the record, its secrets and their data keys, its inventory and its preflight. False when there was nothing to remove.
    func delete(id: String) async throws -> Bool
    func secrets(connectionId: String) async throws -> [StoredSecret]
    /// Replaces the stored secrets of the same fields, sealed again, without touching the record or its revision.
    func replaceSecrets(_ secrets: [StoredSecret], connectionId: String) async throws
    /// The secrets of many connections, by connection id, in one read per 500 ids.
    func secrets(connectionIds: [String]) async throws -> [String: [StoredSecret]]
    /// Within a write, up to `limit` secrets wrapped by a master key version below `version`, after the secret
    /// (connection id, field) `after`, in that order; locked until the transaction ends.
    func wrapped(below version: Int, after: (connectionId: String, field: String)?, limit: Int) async throws -> [WrappedSecret]
    /// Replaces a secret's wrapped data key while it is still `expected` (the ciphertext stays); false when it changed.
    /// The caller holds the new version first (`KeyringRepository.hold`).
    func rewrap(connectionId: String, expected: StoredSecret, to rewrapped: StoredSecret) async throws -> Bool
    func versions(connectionId: String) async throws -> [CredentialVersionRecord]
}

/// Identities, their password hashes and their bearer tokens.
public protocol IdentityRepository: Sendable {
    func count() async throws -> Int
    /// Enabled identities with this role.
    func countEnabled(role: String) async throws -> Int
    /// Fails with `StorageError.duplicate` when the name is taken.
    func insert(_ identity: Identity, passwordHash: String?) async throws
    func find(name: String) async throws -> Identity?
    func find(id: String) async throws -> Identity?
    func list() async throws -> [Identity]
    /// Saves the display name, role and enabled flag.
    func update(_ identity: Identity) async throws
    func passwordHash(identityId: String) async throws -> String?
    /// The ids of the identities that have a password, in one query.
    func identityIdsWithPassword() async throws -> Set<String>
    func setPasswordHash(_ hash: String?, identityId: String) async throws

    func insert(_ token: TokenRecord) async throws
    /// The enabled identity that holds an unrevoked token with this hash, and the token.
    func identity(forTokenHash hash: String) async throws -> (Identity, TokenRecord)?
    /// Tokens newest first; all of them, or one identity's.
    func tokens(identityId: String?) async throws -> [TokenRecord]
    func token(id: String) async throws -> TokenRecord?
    /// False when the token was already revoked or does not exist.
    func revoke(tokenId: String, at date: Date) async throws -> Bool
    /// Revokes every unrevoked token of an identity but `kept`; returns how many.
    func revokeTokens(identityId: String, except kept: String?, at date: Date) async throws -> Int
    /// Revokes every unrevoked token made by `issuer` (`hitch`: the bootstrap token); returns how many.
    func revokeTokens(issuedBy issuer: String, at date: Date) async throws -> Int
    func recordUse(tokenId: String, at date: Date) async throws
}

/// The append-only audit log, read. Storage keeps the events; the audit module computes and checks their MACs. A
/// write appends only by staging events (`StoreSession.stageAudit`), which its transaction appends last.
public protocol AuditRepository: Sendable {
    func head() async throws -> AuditHead?
    /// Newest first, below the sequence `before` when given.
    func list(_ filter: AuditFilter, before: Int64?, limit: Int) async throws -> [AuditEntry]
    /// The highest sequence stored, or nil for an empty log.
    func lastSequence() async throws -> Int64?
    /// In sequence order, after `sequence`.
    func entries(after sequence: Int64, limit: Int) async throws -> [AuditEntry]
    /// The events with a sequence in (`sequence`, `last`] as one text, each event's MAC and canonical text as the
    /// database computes them from the stored columns (`SQLAuditRepository.canonicalPage`); nil when there are none.
    func canonicalPage(after sequence: Int64, through last: Int64) async throws -> String?
}

/// The certificate a connection without a pin first passed with, and another that a later test met instead.
public struct RememberedCertificates: Sendable, Equatable {
    public var known: CertificateRecord?
    public var offered: CertificateRecord?

    public init(known: CertificateRecord?, offered: CertificateRecord?) {
        self.known = known
        self.offered = offered
    }

    public static let none = RememberedCertificates(known: nil, offered: nil)
}

public enum RowLock: Sendable {
    case share
    case update
}

/// Jobs on connections: run by Hitch, or registered by an external engine.
public protocol JobRepository: Sendable {
    func insert(_ job: JobRecord) async throws
    func find(id: String) async throws -> JobRecord?
    /// Newest first.
    func list(_ filter: JobFilter, limit: Int) async throws -> [JobRecord]
    /// The queued and running jobs of a connection, oldest first.
    func active(connectionId: String) async throws -> [JobRecord]
    /// Saves the job's state, detail and end time only while its stored state is one of `states`; false when it
    /// is not (it ended in between).
    func update(_ job: JobRecord, from states: [JobState]) async throws -> Bool
    /// Saves a running job's progress in its detail; false when it is no longer running.
    func saveProgress(jobId: String, detail: String) async throws -> Bool
    /// Hitch-run jobs still queued or running past their deadline.
    func overdue(at date: Date) async throws -> [JobRecord]
    /// How many jobs there are of each kind in each state.
    func counts() async throws -> [JobCount]
}

public struct JobCount: Sendable, Equatable {
    public let kind: String
    public let state: String
    public let count: Int
}

/// Each connection's inventory: the last complete discovery's objects.
public protocol InventoryRepository: Sendable {
    /// Replaces the connection's snapshot and objects with these, within the caller's transaction.
    func replace(_ snapshot: InventorySnapshot, objects: [InventoryObject]) async throws
    func snapshot(connectionId: String) async throws -> InventorySnapshot?
    /// One page of objects and whether more follow.
    func objects(connectionId: String, _ filter: InventoryFilter) async throws -> (objects: [InventoryObject], more: Bool)
    func delete(connectionId: String) async throws
}

/// The last preflight of each connection.
public protocol PreflightRepository: Sendable {
    func save(_ record: PreflightRecord) async throws
    func latest(connectionId: String) async throws -> PreflightRecord?
    func delete(connectionId: String) async throws
}

/// Images and scripted actions that use a connection.
public protocol AssignmentRepository: Sendable {
    /// Fails with `StorageError.duplicate` when the connection already has this kind and ref.
    func insert(_ assignment: AssignmentRecord) async throws
    func find(id: String) async throws -> AssignmentRecord?
    /// Oldest first; all of them, or one connection's.
    func list(connectionId: String?) async throws -> [AssignmentRecord]
    func delete(id: String) async throws -> Bool
}

/// The sealed known value that proves the master key matches the database.
public protocol KeyCheckRepository: Sendable {
    func load() async throws -> (masterKeyVersion: Int, value: Data)?
    func save(masterKeyVersion: Int, value: Data) async throws
}

/// The keyring's sealed keys, and what each master key version still wraps.
public protocol KeyringRepository: Sendable {
    /// Every key, by purpose and version.
    func all() async throws -> [KeyringKeyRecord]
    /// Within a write, every key, locked until the transaction ends: rotations, retires and rekeys take turns.
    func allLocked() async throws -> [KeyringKeyRecord]
    func insert(_ key: KeyringKeyRecord) async throws
    /// Replaces a key's seal by the key-encryption key (a rekey); the key itself is unchanged.
    func reseal(purpose: String, version: Int, sealedKey: Data, kek: String) async throws
    func delete(purpose: String, version: Int) async throws -> Bool
    /// Fails unless the keyring holds master key version `version`, and holds it there until the transaction ends.
    func hold(dataVersion version: Int) async throws
    /// Whether any secret or lease handle is wrapped by a master key version below `version` (a read by index).
    func hasWrapped(below version: Int) async throws -> Bool
    /// By master key version: how many secrets and lease handles its data keys wrap.
    func usage() async throws -> [Int: KeyUsage]
}

/// Leases: what was handed out, to whom, until when, and how it ended. Ending is a claim: of several servers, the
/// one whose update ended the row is the one that ends the lease on the platform.
public protocol LeaseRepository: Sendable {
    func insert(_ lease: LeaseRecord) async throws
    func find(id: String) async throws -> LeaseRecord?
    /// Newest first.
    func list(_ filter: LeaseFilter, limit: Int) async throws -> [LeaseRecord]
    /// The lease as it was ended now, or nil when it had already ended (or does not exist).
    func end(id: String, reason: LeaseRecord.EndReason, at date: Date) async throws -> LeaseRecord?
    /// Ends a connection's active leases (of credential versions below `olderThan`, when given).
    func endActive(connectionId: String, olderThan version: Int?, reason: LeaseRecord.EndReason, at date: Date) async throws -> [LeaseRecord]
    /// Ends the active leases taken for a job.
    func endActive(jobId: String, reason: LeaseRecord.EndReason, at date: Date) async throws -> [LeaseRecord]
    /// Whether an active lease is past its expiry: a read, so that an idle sweep writes nothing.
    func hasExpired(at date: Date) async throws -> Bool
    /// Ends up to `limit` active leases past their expiry.
    func endExpired(at date: Date, limit: Int) async throws -> [LeaseRecord]
    /// Whether an ended lease still holds a handle: its platform session is still to end (a read).
    func hasPendingHandles() async throws -> Bool
    /// Takes the handles of up to `limit` ended leases (of `ids`, when given), clearing them: of several servers,
    /// only the one whose update cleared a handle ends that session on the platform. The records carry the handles.
    func claimHandles(ids: [String]?, limit: Int) async throws -> [LeaseRecord]
    /// Within a write, up to `limit` leases whose handle a master key version below `version` wraps, after the
    /// lease `after`, in id order; locked until the transaction ends.
    func handles(below version: Int, after: String?, limit: Int) async throws -> [LeaseRecord]
    /// Replaces a lease handle's wrapped data key while it is still `expected`; false when it changed. The caller
    /// holds the new version first (`KeyringRepository.hold`).
    func rewrapHandle(leaseId: String, expected: StoredSecret, to rewrapped: StoredSecret) async throws -> Bool
}

/// Automatic rotations on the platform: a claim, so that one server at a time rotates a connection, and the backoff
/// of those that failed.
public protocol AutoRotationRepository: Sendable {
    /// Claims the connection's rotation until `until`, unless another server holds a claim that has not run out or
    /// a failure's backoff has not passed; whether this caller holds it.
    func claim(connectionId: String, at now: Date, until: Date) async throws -> Bool
    /// The rotation succeeded: no claim and no failures left.
    func succeeded(connectionId: String) async throws
    /// The rotation failed: counted, with its reason, and not tried again before `nextAttemptAt`.
    func failed(connectionId: String, reason: String, nextAttemptAt: Date) async throws -> Int
    func state(connectionId: String) async throws -> AutoRotationState?
}

public struct AutoRotationState: Sendable, Equatable {
    public let failures: Int
    public let lastError: String?
    public let nextAttemptAt: Date?
}
