import Crypto
import Foundation

/// What a ciphertext is bound to, as AES-GCM associated data: a ciphertext moved to another connection, field or
/// credential version does not open (S2), and neither does one whose connection's destination changed (S9).
public struct SecretBinding: Sendable, Hashable {
    public let connectionId: String
    public let field: String
    public let credentialVersion: Int
    /// The canonical text of where the secret may be sent (`ConnectionDestination.canonical`).
    public let destination: String

    public init(connectionId: String, field: String, credentialVersion: Int, destination: String) {
        self.connectionId = connectionId
        self.field = field
        self.credentialVersion = credentialVersion
        self.destination = destination
    }

    func associatedData(purpose: String) -> Data {
        let digest = SecretGenerator.hex(SHA256.hash(data: Data(destination.utf8)))
        return Data("hitch/\(purpose)/v2\u{0}\(connectionId)\u{0}\(field)\u{0}\(credentialVersion)\u{0}\(digest)".utf8)
    }

    /// The associated data of secrets sealed before they were bound to a destination; read only by the migration
    /// that seals them again under their destination.
    static func unboundAssociatedData(purpose: String, connectionId: String, field: String, credentialVersion: Int) -> Data {
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
