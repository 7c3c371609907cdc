import Crypto
import Foundation

/// The outer key: it seals each version of the keyring (the master keys that wrap data keys) as the database keeps
/// them, and is itself never stored there (S3). A 32-byte key from a file or the environment (`LocalKEK`), or a key
/// in AWS KMS.
public protocol KeyEncryptionKey: Sendable {
    /// Which key this is, safe to store and show: `local:` and a fingerprint, or `aws-kms:` and the key's ARN.
    var identity: String { get }
    /// Where the server read it from, for messages: the file's path, `HITCH_MASTER_KEY`, or the KMS key.
    var origin: String { get }
    func seal(_ key: SymmetricKey, as slot: KeyringSlot) async throws -> Data
    /// Throws `SecretsError` (`keyMismatch`) when this key did not seal `sealed`.
    func open(_ sealed: Data, as slot: KeyringSlot) async throws -> SymmetricKey
}

/// Which key of the keyring a sealed value holds; bound to the sealed value so that one row cannot stand in for
/// another.
public struct KeyringSlot: Sendable, Hashable, CustomStringConvertible {
    public enum Purpose: String, Sendable, Hashable {
        /// Wraps data keys.
        case data
        /// Keys the audit chain's MACs.
        case audit
    }

    public let purpose: Purpose
    public let version: Int

    public init(_ purpose: Purpose, version: Int) {
        self.purpose = purpose
        self.version = version
    }

    public var description: String { "\(purpose.rawValue)/\(version)" }
}

/// A 32-byte key-encryption key from `<data-dir>/master.key` or `HITCH_MASTER_KEY`: AES-256-GCM.
public struct LocalKEK: KeyEncryptionKey {
    let key: SymmetricKey
    public let origin: String

    public init(key: SymmetricKey, origin: String) {
        precondition(key.bitCount == 256, "a key-encryption key has 256 bits")
        self.key = key
        self.origin = origin
    }

    /// The key in base64, as `master.key` and `HITCH_MASTER_KEY` hold it.
    public init(base64 text: String, origin: String) throws(SecretsError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: trimmed), bytes.count == 32 else {
            throw SecretsError(.keyMalformed, "\(origin) must hold the base64 encoding of exactly 32 bytes")
        }
        self.init(key: SymmetricKey(data: bytes), origin: origin)
    }

    public static func generate(origin: String) -> LocalKEK { LocalKEK(key: SymmetricKey(size: .bits256), origin: origin) }

    /// A fingerprint that names the key without revealing it: HMAC-SHA256 of a fixed label, first 8 bytes.
    public var identity: String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("hitch key-encryption key id".utf8), using: key)
        return "local:" + SecretGenerator.hex(Array(mac).prefix(8))
    }

    public var base64: String { key.withUnsafeBytes { Data($0).base64EncodedString() } }

    public func seal(_ key: SymmetricKey, as slot: KeyringSlot) async throws -> Data {
        try key.withUnsafeBytes { bytes in
            try AES.GCM.seal(Data(bytes), using: self.key, authenticating: Self.associatedData(slot)).combined!
        }
    }

    public func open(_ sealed: Data, as slot: KeyringSlot) async throws -> SymmetricKey {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
            let bytes = try? AES.GCM.open(box, using: key, authenticating: Self.associatedData(slot)), bytes.count == 32
        else {
            throw SecretsError(.keyMismatch, "the key in \(origin) (\(identity)) does not open the keyring's \(slot)")
        }
        return SymmetricKey(data: bytes)
    }

    static func associatedData(_ slot: KeyringSlot) -> Data { Data("hitch/keyring/v1\u{0}\(slot.purpose.rawValue)\u{0}\(slot.version)".utf8) }

    /// Opens the key check of a database made before the keyring, whose master key this key was.
    public func verifyLegacyCheck(_ check: Data) throws(SecretsError) {
        try KeyCheck.verify(check, with: MasterKey(version: 1, key: key))
    }

    /// The master key of a database made before the keyring: its data keys are wrapped by this same key.
    public var legacyMasterKey: MasterKey { MasterKey(version: 1, key: key) }
}
