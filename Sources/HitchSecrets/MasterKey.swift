import Crypto
import Foundation

/// The key that wraps every data key. It lives outside the database (S3); its version is stored with each secret.
public struct MasterKey: Sendable, CustomStringConvertible {
    public let version: Int
    let key: SymmetricKey

    public init(version: Int, key: SymmetricKey) {
        precondition(key.bitCount == 256, "a master key has 256 bits")
        self.version = version
        self.key = key
    }

    public static func generate(version: Int = 1) -> MasterKey {
        MasterKey(version: version, key: SymmetricKey(size: .bits256))
    }

    /// A key for another purpose (e.g. the audit chain), derived with HKDF-SHA256 so the master key itself is used
    /// for wrapping data keys only.
    public func derivedKey(purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key, salt: Data("hitch".utf8), info: Data("hitch \(purpose) v\(version)".utf8),
            outputByteCount: 32)
    }

    public var description: String { "MasterKey(version: \(version))" }
}
