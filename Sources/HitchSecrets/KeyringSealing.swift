import Crypto
import Foundation

extension KeyEncryptionKey {
    /// A master key sealed for the keyring's `data` slot of its version.
    public func seal(_ master: MasterKey) async throws -> Data {
        try await seal(master.key, as: KeyringSlot(.data, version: master.version))
    }

    public func openMasterKey(_ sealed: Data, version: Int) async throws -> MasterKey {
        MasterKey(version: version, key: try await open(sealed, as: KeyringSlot(.data, version: version)))
    }
}

/// A master key version sealed by the version before it, so that a server that holds the keyring learns each new
/// version without the key-encryption key (which another server may have replaced since it started).
public enum KeyChain {
    public static func seal(_ next: MasterKey, under previous: MasterKey) throws -> Data {
        try next.key.withUnsafeBytes { bytes in
            try AES.GCM.seal(Data(bytes), using: previous.key, authenticating: associatedData(next.version, previous.version)).combined!
        }
    }

    public static func open(_ sealed: Data, version: Int, under previous: MasterKey) throws(SecretsError) -> MasterKey {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
            let bytes = try? AES.GCM.open(box, using: previous.key, authenticating: associatedData(version, previous.version)),
            bytes.count == 32
        else {
            throw SecretsError(.openFailed, "master key version \(version) does not open under version \(previous.version)")
        }
        return MasterKey(version: version, key: SymmetricKey(data: bytes))
    }

    private static func associatedData(_ version: Int, _ previous: Int) -> Data {
        Data("hitch/keyring-chain/v1\u{0}\(version)\u{0}\(previous)".utf8)
    }
}
