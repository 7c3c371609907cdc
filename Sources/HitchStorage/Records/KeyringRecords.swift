import Foundation

/// One key of the keyring as stored: sealed by the key-encryption key named in `kek`, and, for a data key version
/// after the first, also by the data key version `chainVersion`. Storage never opens these bytes.
public struct KeyringKeyRecord: Sendable, Equatable {
    /// `data` (wraps data keys) or `audit` (keys the audit chain).
    public let purpose: String
    public let version: Int
    public var sealedKey: Data
    /// The key-encryption key's identity (`local:…` or `aws-kms:ARN`), never the key.
    public var kek: String
    public let chainVersion: Int?
    public let chainedKey: Data?
    public let createdAt: Date
    public let createdBy: String

    public init(
        purpose: String, version: Int, sealedKey: Data, kek: String, chainVersion: Int? = nil, chainedKey: Data? = nil,
        createdAt: Date, createdBy: String
    ) {
        self.purpose = purpose
        self.version = version
        self.sealedKey = sealedKey
        self.kek = kek
        self.chainVersion = chainVersion
        self.chainedKey = chainedKey
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}

/// What one master key version still wraps.
public struct KeyUsage: Sendable, Equatable {
    public var secrets: Int
    public var leaseHandles: Int

    public init(secrets: Int = 0, leaseHandles: Int = 0) {
        self.secrets = secrets
        self.leaseHandles = leaseHandles
    }

    public var total: Int { secrets + leaseHandles }
}

/// A stored secret whose data key an older master key version wraps, with the connection it belongs to.
public struct WrappedSecret: Sendable, Equatable {
    public let connectionId: String
    public let secret: StoredSecret

    public init(connectionId: String, secret: StoredSecret) {
        self.connectionId = connectionId
        self.secret = secret
    }
}
