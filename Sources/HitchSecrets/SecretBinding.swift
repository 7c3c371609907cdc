import Foundation

/// What a ciphertext is bound to, as AES-GCM associated data: a ciphertext moved to another connection,
/// field or credential version does not open (S2).
public struct SecretBinding: Sendable, Hashable {
    public let connectionId: String
    public let field: String
    public let credentialVersion: Int

    public init(connectionId: String, field: String, credentialVersion: Int) {
        self.connectionId = connectionId
        self.field = field
        self.credentialVersion = credentialVersion
    }

    func associatedData(purpose: String) -> Data {
        Data("hitch/\(purpose)/v1\u{0}\(connectionId)\u{0}\(field)\u{0}\(credentialVersion)".utf8)
    }
}

/// A secret as stored: its data key wrapped by a master key version, and the secret sealed by the data key.
public struct SealedSecret: Sendable, Equatable {
    public let masterKeyVersion: Int
    public let wrappedKey: Data
    public let ciphertext: Data

    public init(masterKeyVersion: Int, wrappedKey: Data, ciphertext: Data) {
        self.masterKeyVersion = masterKeyVersion
        self.wrappedKey = wrappedKey
        self.ciphertext = ciphertext
    }
}
