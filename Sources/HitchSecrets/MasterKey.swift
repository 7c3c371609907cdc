import Crypto

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

    public var description: String { "MasterKey(version: \(version))" }
}
