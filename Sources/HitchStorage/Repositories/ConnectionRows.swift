import Foundation
import HitchDomain
import SQLKit

/// The `connections` table's columns, as SQLKit encodes and decodes them.
struct ConnectionRow: Codable {
    var id: String
    var name: String
    var kind: String
    var description: String
    var displayName: String
    var tags: String
    var fields: String
    var credentialVersion: Int
    var revision: Int
    var status: String
    var statusStage: String?
    var statusMessage: String?
    var statusAt: Int64?
    var statusDurationMs: Int?
    var lastOkAt: Int64?
    var lastFailureAt: Int64?
    var expiresAt: Int64?
    var expiresWhat: String?
    var platformCreatedAt: Int64?
    var createdAt: Int64
    var createdBy: String
    var updatedAt: Int64
    var updatedBy: String
    var maxSecretAgeDays: Int?
    var credentialCreatedAt: Int64?
    var autoRotate: Int?
    var checkEverySeconds: Int?

    init(_ record: ConnectionRecord) throws {
        id = record.id
        name = record.name
        kind = record.kind.rawValue
        description = record.description
        displayName = record.displayName
        tags = try JSONText.encode(record.tags)
        fields = try JSONText.encode(record.fields)
        credentialVersion = record.credentialVersion
        revision = record.revision
        status = record.status.state
        statusStage = record.status.stage
        statusMessage = record.status.message
        statusAt = record.status.at.map(Timestamp.milliseconds)
        statusDurationMs = record.status.durationMilliseconds
        lastOkAt = record.status.lastOkAt.map(Timestamp.milliseconds)
        lastFailureAt = record.status.lastFailureAt.map(Timestamp.milliseconds)
        expiresAt = record.status.expiresAt.map(Timestamp.milliseconds)
        expiresWhat = record.status.expiresWhat
        platformCreatedAt = record.status.platformCreatedAt.map(Timestamp.milliseconds)
        createdAt = Timestamp.milliseconds(record.createdAt)
        createdBy = record.createdBy
        updatedAt = Timestamp.milliseconds(record.updatedAt)
        updatedBy = record.updatedBy
        maxSecretAgeDays = record.maxSecretAgeDays
        credentialCreatedAt = Timestamp.milliseconds(record.credentialCreatedAt)
        autoRotate = record.autoRotate ? 1 : 0
        checkEverySeconds = record.checkEverySeconds
    }

    static func decode(_ row: any SQLRow) throws -> ConnectionRow {
        try row.decode(model: ConnectionRow.self, with: .snakeCase)
    }

    func record(secretFields: Set<String>, watch: WatchColumns) throws -> ConnectionRecord {
        guard let kind = ConnectionKind(rawValue: kind) else {
            throw StorageError.corrupt("connection \(id) has an unknown kind '\(self.kind)'")
        }
        var record = ConnectionRecord(
            id: id, name: name, kind: kind, description: description, tags: try JSONText.decode(tags),
            fields: try JSONText.decode(fields), credentialVersion: credentialVersion, revision: revision,
            status: ConnectionStatus(
                state: status, stage: statusStage, message: statusMessage, at: statusAt.map(Timestamp.date),
                durationMilliseconds: statusDurationMs, lastOkAt: lastOkAt.map(Timestamp.date),
                lastFailureAt: lastFailureAt.map(Timestamp.date), expiresAt: expiresAt.map(Timestamp.date), expiresWhat: expiresWhat,
                platformCreatedAt: platformCreatedAt.map(Timestamp.date)),
            createdAt: Timestamp.date(createdAt), createdBy: createdBy, updatedAt: Timestamp.date(updatedAt),
            updatedBy: updatedBy, secretFields: secretFields, maxSecretAgeDays: maxSecretAgeDays,
            credentialCreatedAt: credentialCreatedAt.map(Timestamp.date), displayName: displayName)
        record.autoRotate = autoRotate == 1
        record.checkEverySeconds = checkEverySeconds
        record.status.since = watch.statusSince.map(Timestamp.date)
        record.status.revision = watch.statusRevision
        record.knownCertificate = watch.known
        record.offeredCertificate = watch.offered
        return record
    }
}

/// The `connections` columns that only a test's result, a trusted certificate or a change of destination write:
/// an update of the record never does, so it cannot undo what a test saved meanwhile.
struct WatchColumns: Codable {
    var statusSince: Int64?
    var statusRevision: Int?
    var knownCertThumbprint: String?
    var knownCertSubject: String?
    var knownCertNotAfter: Int64?
    var offeredCertThumbprint: String?
    var offeredCertSubject: String?
    var offeredCertNotAfter: Int64?

    static let columns = [
        "status_since", "status_revision", "known_cert_thumbprint", "known_cert_subject", "known_cert_not_after",
        "offered_cert_thumbprint", "offered_cert_subject", "offered_cert_not_after",
    ]

    var known: CertificateRecord? { Self.certificate(knownCertThumbprint, knownCertSubject, knownCertNotAfter) }
    var offered: CertificateRecord? { Self.certificate(offeredCertThumbprint, offeredCertSubject, offeredCertNotAfter) }

    private static func certificate(_ thumbprint: String?, _ subject: String?, _ notAfter: Int64?) -> CertificateRecord? {
        guard let thumbprint, let subject, let notAfter else { return nil }
        return CertificateRecord(thumbprint: thumbprint, subject: subject, notAfter: Timestamp.date(notAfter))
    }
}

/// Ciphertexts are stored as base64 text, the same on both backends.
struct SecretRow: Codable {
    var connectionId: String?
    var field: String
    var credentialVersion: Int
    var masterKeyVersion: Int
    var wrappedKey: String
    var ciphertext: String

    init(_ secret: StoredSecret, connectionId: String) {
        self.connectionId = connectionId
        field = secret.field
        credentialVersion = secret.credentialVersion
        masterKeyVersion = secret.masterKeyVersion
        wrappedKey = secret.wrappedKey.base64EncodedString()
        ciphertext = secret.ciphertext.base64EncodedString()
    }

    func stored() throws -> StoredSecret {
        guard let wrapped = Data(base64Encoded: wrappedKey), let sealed = Data(base64Encoded: ciphertext) else {
            throw StorageError.corrupt("secret '\(field)' is not valid base64")
        }
        return StoredSecret(
            field: field, credentialVersion: credentialVersion, masterKeyVersion: masterKeyVersion,
            wrappedKey: wrapped, ciphertext: sealed)
    }
}

struct VersionRow: Codable {
    var connectionId: String?
    var version: Int
    var createdAt: Int64
    var actorId: String
    var actorName: String
    var changedFields: String

    init(_ record: CredentialVersionRecord, connectionId: String) throws {
        self.connectionId = connectionId
        version = record.version
        createdAt = Timestamp.milliseconds(record.createdAt)
        actorId = record.actorId
        actorName = record.actorName
        changedFields = try JSONText.encode(record.changedFields)
    }

    func record() throws -> CredentialVersionRecord {
        CredentialVersionRecord(
            version: version, createdAt: Timestamp.date(createdAt), actorId: actorId, actorName: actorName,
            changedFields: try JSONText.decode(changedFields))
    }
}

enum JSONText {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ text: String) throws -> Value {
        try JSONDecoder().decode(Value.self, from: Data(text.utf8))
    }
}

extension WatchColumns {
    static func decode(_ row: any SQLRow) throws -> WatchColumns {
        try row.decode(model: WatchColumns.self, with: .snakeCase)
    }
}
