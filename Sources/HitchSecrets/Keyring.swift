import Crypto
import Foundation
import HitchDomain

/// Seals and opens secrets with envelope encryption: AES-256-GCM under a fresh data key per secret,
/// the data key wrapped by the current master key (S2). Older master keys still open what they wrapped until the
/// rewrap has moved it to the current one.
public struct Keyring: Sendable {
    public let current: MasterKey
    private let byVersion: [Int: MasterKey]

    public init(current: MasterKey, previous: [MasterKey] = []) {
        self.current = current
        var byVersion = [current.version: current]
        for key in previous { byVersion[key.version] = key }
        self.byVersion = byVersion
    }

    /// The versions loaded, oldest first.
    public var versions: [Int] { byVersion.keys.sorted() }

    public func key(version: Int) -> MasterKey? { byVersion[version] }

    /// This keyring with `key` added; it becomes current when it is the newest.
    public func adding(_ key: MasterKey) -> Keyring {
        let all = Array(byVersion.values) + [key]
        let newest = all.max { $0.version < $1.version }!
        return Keyring(current: newest, previous: all.filter { $0.version != newest.version })
    }

    /// This keyring without the versions not in `kept` (they were retired); the current one always stays.
    public func keeping(_ kept: Set<Int>) -> Keyring {
        Keyring(current: current, previous: byVersion.values.filter { kept.contains($0.version) && $0.version != current.version })
    }

    /// The same secret with its data key wrapped by the current master key instead; the ciphertext is untouched.
    /// Throws when the data key does not open under `binding`.
    public func rewrap(_ sealed: SealedSecret, for binding: SecretBinding) throws -> SealedSecret {
        guard let master = byVersion[sealed.masterKeyVersion] else {
            throw SecretsError(.unknownKeyVersion, "no master key of version \(sealed.masterKeyVersion) is loaded")
        }
        let keyData = binding.associatedData(purpose: "data-key")
        guard let box = try? AES.GCM.SealedBox(combined: sealed.wrappedKey),
            let dataKey = try? AES.GCM.open(box, using: master.key, authenticating: keyData)
        else {
            throw SecretsError(.openFailed, "a data key does not open with its binding")
        }
        let wrapped = try AES.GCM.seal(dataKey, using: current.key, authenticating: keyData)
        return SealedSecret(masterKeyVersion: current.version, wrappedKey: wrapped.combined!, ciphertext: sealed.ciphertext)
    }

    public func seal(_ secret: SecretValue, for binding: SecretBinding) throws -> SealedSecret {
        let dataKey = SymmetricKey(size: .bits256)
        let sealedSecret = try AES.GCM.seal(
            Data(secret.exposedValue.utf8), using: dataKey, authenticating: binding.associatedData(purpose: "secret"))
        let wrappedKey = try dataKey.withUnsafeBytes { bytes in
            try AES.GCM.seal(
                Data(bytes), using: current.key, authenticating: binding.associatedData(purpose: "data-key"))
        }
        return SealedSecret(
            masterKeyVersion: current.version, wrappedKey: wrappedKey.combined!, ciphertext: sealedSecret.combined!)
    }

    public func open(_ sealed: SealedSecret, for binding: SecretBinding) throws -> SecretValue {
        do {
            return try open(
                sealed, keyData: binding.associatedData(purpose: "data-key"),
                secretData: binding.associatedData(purpose: "secret"))
        } catch let error as SecretsError where error.code == .openFailed {
            throw SecretsError(
                .openFailed,
                "secret '\(binding.field)' of connection \(binding.connectionId) does not open with its binding")
        }
    }

    /// Opens a secret sealed before secrets were bound to their destination, to seal it again under its
    /// destination. Only the migration that binds them calls it, once, in its own transaction.
    public func openUnbound(
        _ sealed: SealedSecret, connectionId: String, field: String, credentialVersion: Int
    ) throws -> SecretValue {
        try open(
            sealed,
            keyData: SecretBinding.unboundAssociatedData(
                purpose: "data-key", connectionId: connectionId, field: field, credentialVersion: credentialVersion),
            secretData: SecretBinding.unboundAssociatedData(
                purpose: "secret", connectionId: connectionId, field: field, credentialVersion: credentialVersion))
    }

    private func open(_ sealed: SealedSecret, keyData: Data, secretData: Data) throws -> SecretValue {
        guard let master = byVersion[sealed.masterKeyVersion] else {
            throw SecretsError(.unknownKeyVersion, "no master key of version \(sealed.masterKeyVersion) is loaded")
        }
        do {
            let dataKeyBytes = try AES.GCM.open(
                AES.GCM.SealedBox(combined: sealed.wrappedKey), using: master.key, authenticating: keyData)
            let plaintext = try AES.GCM.open(
                AES.GCM.SealedBox(combined: sealed.ciphertext), using: SymmetricKey(data: dataKeyBytes),
                authenticating: secretData)
            return SecretValue(String(decoding: plaintext, as: UTF8.self))
        } catch {
            throw SecretsError(.openFailed, "a secret does not open with its binding")
        }
    }
}
