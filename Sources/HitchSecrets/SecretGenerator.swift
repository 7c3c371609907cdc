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
        return SecretValue("hitch-" + hex(bytes))
    }

    /// The lookup form of a bearer token: SHA-256 hex. A 256-bit random token needs no slow hash.
    public static func tokenHash(_ token: String) -> String {
        hex(SHA256.hash(data: Data(token.utf8)))
    }

    /// Lowercase hex; on every request's path, so no `String(format:)`.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
