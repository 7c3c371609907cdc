/// Why a key could not be loaded or a secret could not be opened. Never carries key material or plaintext.
public struct SecretsError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case keyMalformed = "master-key-malformed"
        case keyFileMode = "master-key-file-mode"
        case keyFileMissing = "master-key-file-missing"
        case keyMismatch = "master-key-mismatch"
        case unknownKeyVersion = "unknown-master-key-version"
        case openFailed = "secret-open-failed"
        /// The key-encryption key could not be used: KMS unreachable, or it refused.
        case kekUnavailable = "key-encryption-key-unavailable"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
