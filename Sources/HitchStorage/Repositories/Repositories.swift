import Foundation

/// Connections, their sealed secrets and credential versions.
public protocol ConnectionRepository: Sendable {
    func find(name: String) async throws -> ConnectionRecord?
    func list(_ filter: ConnectionFilter) async throws -> [ConnectionRecord]
    /// Fails with `StorageError.duplicate` when the name is taken.
    func insert(_ record: ConnectionRecord, secrets: [StoredSecret], version: CredentialVersionRecord) async throws
    /// Saves `record` only if the stored revision is still `expectedRevision`; false when it is not.
    /// `secrets` replace the stored secrets of the same fields; `version` is recorded when a new one was made.
    func update(
        _ record: ConnectionRecord, expectedRevision: Int, secrets: [StoredSecret], version: CredentialVersionRecord?
    ) async throws -> Bool
    /// Removes the record, its secrets and their data keys. False when there was nothing to remove.
    func delete(id: String) async throws -> Bool
    func secrets(connectionId: String) async throws -> [StoredSecret]
    func versions(connectionId: String) async throws -> [CredentialVersionRecord]
}

/// Identities and their bearer tokens.
public protocol IdentityRepository: Sendable {
    func count() async throws -> Int
    func insert(_ identity: Identity) async throws
    func insert(_ token: TokenRecord) async throws
    /// The enabled identity that holds an unrevoked token with this hash, and the token.
    func identity(forTokenHash hash: String) async throws -> (Identity, TokenRecord)?
}

/// The sealed known value that proves the master key matches the database.
public protocol KeyCheckRepository: Sendable {
    func load() async throws -> (masterKeyVersion: Int, value: Data)?
    func save(masterKeyVersion: Int, value: Data) async throws
}
