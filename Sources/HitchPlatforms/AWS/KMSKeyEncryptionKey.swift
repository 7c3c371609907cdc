import Crypto
import Foundation
import HitchDomain
import HitchSecrets
import NIOCore
import NIOHTTP1

/// A key-encryption key kept in AWS KMS: each keyring slot is sealed with KMS `Encrypt` and opened with `Decrypt`,
/// the slot named in the encryption context, so a ciphertext of one slot does not open as another. Requests are
/// signed with SigV4 by the server's own AWS identity; the key never leaves KMS.
public struct KMSKeyEncryptionKey: KeyEncryptionKey {
    public let keyId: String
    public let region: String
    /// `https://kms.REGION.amazonaws.com` unless a private or test endpoint is given (`http://` only on loopback).
    public let endpoint: URL
    private let credentials: @Sendable () async throws -> SigV4Signer.Credentials

    /// - Parameter keyId: the key's ARN (its region is the ARN's), or a key id or alias in `defaultRegion`.
    public init(
        keyId: String, endpoint: URL?, defaultRegion: String,
        credentials: @escaping @Sendable () async throws -> SigV4Signer.Credentials
    ) throws(SecretsError) {
        let trimmed = keyId.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 2048 else { throw SecretsError(.keyMalformed, "the KMS key id is empty") }
        let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        if trimmed.hasPrefix("arn:") {
            guard parts.count >= 6, parts[2] == "kms", !parts[3].isEmpty else {
                throw SecretsError(.keyMalformed, "\(trimmed) is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)")
            }
            region = String(parts[3])
        } else {
            region = defaultRegion
        }
        self.keyId = trimmed
        let defaultEndpoint = "https://kms.\(region).amazonaws.com\(region.hasPrefix("cn-") ? ".cn" : "")"
        self.endpoint = endpoint ?? URL(string: defaultEndpoint)!
        self.credentials = credentials
    }

    public var identity: String { "aws-kms:" + keyId }
    public var origin: String { "AWS KMS key \(keyId) at \(endpoint.absoluteString)" }

    public func seal(_ key: SymmetricKey, as slot: KeyringSlot) async throws -> Data {
        let plaintext = key.withUnsafeBytes { Data($0).base64EncodedString() }
        let answer = try await call(
            "Encrypt", ["KeyId": keyId, "Plaintext": plaintext, "EncryptionContext": Self.context(slot)])
        guard let blob = (answer["CiphertextBlob"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
            throw SecretsError(.kekUnavailable, "\(origin) answered Encrypt with no ciphertext")
        }
        return blob
    }

    public func open(_ sealed: Data, as slot: KeyringSlot) async throws -> SymmetricKey {
        let answer = try await call(
            "Decrypt",
            ["KeyId": keyId, "CiphertextBlob": sealed.base64EncodedString(), "EncryptionContext": Self.context(slot)])
        guard let bytes = (answer["Plaintext"] as? String).flatMap({ Data(base64Encoded: $0) }), bytes.count == 32 else {
            throw SecretsError(.kekUnavailable, "\(origin) answered Decrypt with no 32-byte key")
        }
        return SymmetricKey(data: bytes)
    }

    static func context(_ slot: KeyringSlot) -> [String: String] { ["hitch-keyring": slot.description] }

    /// One signed call of the KMS JSON API; an error answer is mapped by its type, never quoted whole.
    private func call(_ action: String, _ body: [String: Any]) async throws -> [String: Any] {
        let location: HTTPSLocation
        do { location = try HTTPSLocation(endpoint, allowLoopbackHTTP: true) } catch {
            throw SecretsError(.keyMalformed, "the KMS endpoint \(endpoint.absoluteString) must be https:// (http:// on a loopback address only)")
        }
        let signer: SigV4Signer.Credentials
        do { signer = try await credentials() } catch {
            throw SecretsError(.kekUnavailable, "no AWS credentials to reach \(origin): \(error)")
        }
        let payload = String(decoding: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]), as: UTF8.self)
        let hostHeader = location.authority
        let path = location.path.isEmpty ? "/" : location.path
        let contentType = "application/x-amz-json-1.1"
        let target = "TrentService.\(action)"
        let signed = SigV4Signer(credentials: signer, region: region, service: "kms").sign(
            method: "POST", host: hostHeader, path: path, query: "",
            headers: [("Content-Type", contentType), ("X-Amz-Target", target)], body: Array(payload.utf8), at: Date())
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "X-Amz-Target", value: target)
        for (name, value) in signed { headers.add(name: name, value: value) }
        headers.replaceOrAdd(name: "Host", value: hostHeader)
        let response: PolicyHTTPSConnection.Response
        do {
            response = try await EgressPolicy.$current.withValue(EgressPolicy(allowsLoopbackHTTP: location.plainHTTP)) {
                try await location.send(
                    .POST, path: path, headers: headers, body: payload, policy: .systemTrust, timeout: .seconds(15),
                    stage: .authenticate)
            }
        } catch let failure as StageFailure {
            throw SecretsError(.kekUnavailable, "\(origin) could not be reached: \(failure.message)")
        }
        let answer = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
        guard response.status == .ok else {
            let type = (answer["__type"] as? String).map { $0.split(separator: "#").last.map(String.init) ?? $0 }
                ?? "HTTP \(response.status.code)"
            let code: SecretsError.Code = ["InvalidCiphertextException", "IncorrectKeyException"].contains(type) ? .keyMismatch : .kekUnavailable
            throw SecretsError(code, "\(origin) refused \(action): \(type)")
        }
        return answer
    }
}
