import HitchDomain
import Crypto
import Foundation

/// Random values that Hitch generates: API keys, external ids, bearer tokens.
public enum SecretGenerator {
    /// 256 random bits, base64url without padding, after a prefix that names what it is.
    public static func token(prefix: String) -> SecretValue {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let encoded = bytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return SecretValue(prefix + encoded)
    }

    /// A value for an AWS role trust policy's sts:ExternalId condition.
    public static func externalId() -> SecretValue {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return SecretValue("hitch-" + bytes.map { String(format: "%02x", $0) }.joined())
    }

    /// The lookup form of a bearer token: SHA-256 hex. A 256-bit random token needs no slow hash.
    public static func tokenHash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
