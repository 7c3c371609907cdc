import Foundation
import HitchAPI
import HitchDomain
import HitchSecrets
import HitchServices
import HitchStorage

/// The keyring: status, rotation, retirement and rekey (admin).
extension APIHandlers {
    package func getKeyStatus(_ input: Operations.GetKeyStatus.Input) async throws -> Operations.GetKeyStatus.Output {
        let status = try await runtime.keyService.status(logger: logger)
        return .ok(.init(body: .json(.init(
            kek: .init(identity: status.kekIdentity, origin: status.kekOrigin, sealedBy: status.sealedBy),
            currentVersion: status.currentVersion,
            versions: status.versions.map {
                .init(
                    version: $0.version, createdAt: $0.createdAt, createdBy: $0.createdBy, current: $0.version == status.currentVersion,
                    secrets: $0.usage.secrets, leaseHandles: $0.usage.leaseHandles)
            },
            auditKeyVersion: status.auditKeyVersion,
            rewrap: .init(
                pending: status.rewrap.pending, done: status.rewrap.done, running: status.rewrap.running,
                lastPassAt: status.rewrap.lastPassAt, skipped: status.rewrap.skipped)))))
    }

    package func rotateMasterKey(_ input: Operations.RotateMasterKey.Input) async throws -> Operations.RotateMasterKey.Output {
        let version = try await runtime.keyService.rotate(by: RequestActor.current(), logger: logger)
        return .created(.init(body: .json(.init(version: version))))
    }

    package func retireMasterKey(_ input: Operations.RetireMasterKey.Input) async throws -> Operations.RetireMasterKey.Output {
        try await runtime.keyService.retire(version: input.path.version, by: RequestActor.current(), logger: logger)
        return .noContent(.init())
    }

    package func rekeyKeyring(_ input: Operations.RekeyKeyring.Input) async throws -> Operations.RekeyKeyring.Output {
        guard case .json(let body) = input.body else { throw HitchError(.badRequest, "expected a JSON body") }
        let kek: any KeyEncryptionKey
        do {
            switch body.source {
            case .local:
                guard let key = body.key, body.kmsKeyId == nil, body.kmsEndpoint == nil else {
                    throw HitchError.validation(["key": "is required for source local, and kmsKeyId and kmsEndpoint are not taken"])
                }
                kek = try LocalKEK(base64: key, origin: "the key given to rekey")
            case .awsKms:
                guard let keyId = body.kmsKeyId, body.key == nil else {
                    throw HitchError.validation(["kmsKeyId": "is required for source aws-kms, and key is not taken"])
                }
                // The server signs KMS requests with its own AWS identity (a session token travels in a header): it
                // sends them only to AWS's endpoint or to the one its operator configured, never to one a request names.
                let configured = runtime.environment[KEKSource.kmsEndpointVariable].flatMap { $0.isEmpty ? nil : $0 }
                if let asked = body.kmsEndpoint, asked != configured {
                    throw HitchError.validation([
                        "kmsEndpoint": "must be this server's own HITCH_KMS_ENDPOINT, or left out for AWS's endpoint of the key's region"
                    ])
                }
                kek = try KEKSource.kms(keyId: keyId, endpoint: configured, environment: runtime.environment)
            }
        } catch let error as SecretsError {
            throw HitchError.validation([body.source == .local ? "key" : "kmsKeyId": error.message])
        }
        let resealed = try await runtime.keyService.rekey(to: kek, by: RequestActor.current(), logger: logger)
        return .ok(.init(body: .json(.init(kek: kek.identity, resealed: resealed))))
    }
}
