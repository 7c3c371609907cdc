import Foundation
import HitchDomain
import HitchPlatforms
import HitchSecrets

/// Where this server's key-encryption key comes from: AWS KMS when `HITCH_KMS_KEY_ID` (`--kms-key-id`) names a key,
/// else `HITCH_MASTER_KEY`, else the file `<data-dir>/master.key`.
package enum KEKSource {
    static let kmsKeyIdVariable = "HITCH_KMS_KEY_ID"
    package static let kmsEndpointVariable = "HITCH_KMS_ENDPOINT"

    /// The key; the file is created only when `mayCreate` (a new database) and no other source is set.
    static func load(
        _ configuration: HitchConfiguration, mayCreate: Bool
    ) throws -> (kek: any KeyEncryptionKey, createdFile: String?) {
        let environment = configuration.environment
        if let keyId = environment[kmsKeyIdVariable], !keyId.isEmpty {
            return (try kms(keyId: keyId, endpoint: environment[kmsEndpointVariable], environment: environment), nil)
        }
        let (kek, source) = try LocalKEKLoader(environment: environment, dataDirectory: configuration.dataDirectory)
            .load(mayCreate: mayCreate)
        if case .file(let path, true) = source { return (kek, path) }
        return (kek, nil)
    }

    /// A KMS key, reached with the server's own AWS identity (the standard AWS variables, web identity or shared
    /// credentials file).
    package static func kms(keyId: String, endpoint: String?, environment: [String: String]) throws -> KMSKeyEncryptionKey {
        var url: URL?
        if let endpoint, !endpoint.isEmpty {
            guard let parsed = URL(string: endpoint), parsed.host != nil else {
                throw SecretsError(.keyMalformed, "the KMS endpoint must be a URL such as https://kms.eu-west-1.amazonaws.com")
            }
            url = parsed
        }
        let identity = AmbientAWSIdentity(environment: environment)
        let region = environment["AWS_REGION"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        return try KMSKeyEncryptionKey(keyId: keyId, endpoint: url, defaultRegion: region) {
            do {
                let via = try await identity.via()
                guard case .string(let keyId)? = via.fields["accessKeyId"], let secret = via.secrets["secretAccessKey"] else {
                    throw SecretsError(.kekUnavailable, "the server's AWS identity has no access key")
                }
                return SigV4Signer.Credentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: via.secrets["sessionToken"])
            } catch let unavailable as AmbientAWSIdentity.Unavailable {
                throw SecretsError(.kekUnavailable, unavailable.message)
            }
        }
    }
}
