import Crypto
import Foundation
import HitchDomain
import HitchSecrets

/// AWS Signature Version 4 (the signing that STS and every AWS API take), written by hand: no maintained Swift
/// library exists here. Checked against signatures botocore made (scripts/sigv4-vectors.py).
public struct SigV4Signer: Sendable {
    public struct Credentials: Sendable {
        public let accessKeyId: String
        public let secretAccessKey: SecretValue
        /// For temporary credentials (from AssumeRole).
        public let sessionToken: SecretValue?

        public init(accessKeyId: String, secretAccessKey: SecretValue, sessionToken: SecretValue? = nil) {
            self.accessKeyId = accessKeyId
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    public let credentials: Credentials
    public let region: String
    public let service: String

    public init(credentials: Credentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The headers to add to a request: `X-Amz-Date`, `X-Amz-Security-Token` for temporary credentials, and
    /// `Authorization`. `host` carries the port when it is not the scheme's default; `path` is as sent (it is
    /// percent-encoded here for the canonical form) and `query` already encoded.
    public func sign(
        method: String, host: String, path: String, query: String, headers: [(String, String)], body: [UInt8], at date: Date
    ) -> [(String, String)] {
        let (amzDate, dateStamp) = Self.timestamps(date)
        var added = [("X-Amz-Date", amzDate)]
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token.exposedValue)) }
        var signed: [String: String] = ["host": host]
        for (name, value) in headers + added { signed[name.lowercased()] = Self.trimmed(value) }
        let names = signed.keys.sorted()
        let canonicalRequest = [
            method.uppercased(), Self.canonicalPath(path), Self.canonicalQuery(query),
            names.map { "\($0):\(signed[$0]!)\n" }.joined(), names.joined(separator: ";"),
            SecretGenerator.hex(SHA256.hash(data: body)),
        ].joined(separator: "\n")
        let scope = "\(dateStamp)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, SecretGenerator.hex(SHA256.hash(data: Array(canonicalRequest.utf8)))]
            .joined(separator: "\n")
        let signature = SecretGenerator.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(dateStamp)))
        added.append((
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(names.joined(separator: ";")), Signature=\(signature)"
        ))
        return added
    }

    private func signingKey(_ dateStamp: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey.exposedValue)".utf8))
        for part in [dateStamp, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        return key
    }

    static func timestamps(_ date: Date) -> (amzDate: String, dateStamp: String) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let day = pad(parts.tm_year + 1900, 4) + pad(parts.tm_mon + 1, 2) + pad(parts.tm_mday, 2)
        return (day + "T" + pad(parts.tm_hour, 2) + pad(parts.tm_min, 2) + pad(parts.tm_sec, 2) + "Z", day)
    }

    /// Each byte outside `A-Za-z0-9-_.~/` percent-encoded, as botocore does.
    static func canonicalPath(_ path: String) -> String {
        let path = path.isEmpty ? "/" : path
        var encoded = ""
        for byte in path.utf8 {
            let scalar = Unicode.Scalar(byte)
            if (byte < 0x80 && (Character(scalar).isLetter || Character(scalar).isNumber)) || "-_.~/".utf8.contains(byte) {
                encoded.unicodeScalars.append(scalar)
            } else {
                encoded += "%" + SecretGenerator.hex([byte]).uppercased()
            }
        }
        return encoded
    }

    /// The pairs as given, sorted by name, then value.
    static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        return query.split(separator: "&", omittingEmptySubsequences: false)
            .map { pair -> (String, String) in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }
            .sorted { (left: (String, String), right: (String, String)) -> Bool in
                left.0 == right.0 ? left.1 < right.1 : left.0 < right.0
            }
            .map { (pair: (String, String)) -> String in pair.0 + "=" + pair.1 }
            .joined(separator: "&")
    }

    static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
