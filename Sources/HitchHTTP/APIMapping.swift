import Foundation
import HitchAPI
import HitchDomain
import HitchServices
import HitchStorage

/// Between the API's generated types and Hitch's own. Secrets leave only as placeholders (S1).
package enum APIMapping {
    /// Every kind is in the document's enum; a test keeps the two equal.
    package static func kindName(_ kind: ConnectionKind) -> Components.Schemas.ConnectionKindName {
        Components.Schemas.ConnectionKindName(rawValue: kind.rawValue)!
    }

    static func kind(_ kind: ConnectionKind) -> Components.Schemas.ConnectionKind {
        .init(
            name: kind.rawValue, title: kind.title, category: .init(rawValue: kind.category.rawValue)!,
            endpointField: kind.endpointField, fields: kind.schema.fields.map(field))
    }

    private static func field(_ field: FieldSpec) -> Components.Schemas.FieldDescriptor {
        var type: Components.Schemas.FieldDescriptor._TypePayload = .string
        var choices: [String]?
        var referenceKind: String?
        switch field.type {
        case .string: type = .string
        case .boolean: type = .boolean
        case .choice(let words):
            type = .choice
            choices = words
        case .connectionReference(let kind):
            type = .connection
            referenceKind = kind.rawValue
        }
        let generated: Components.Schemas.FieldDescriptor.GeneratedPayload =
            switch field.origin {
            case .supplied: .never
            case .suppliedOrGenerated: .optional
            case .generated: .always
            }
        return .init(
            name: field.name, label: field.label, _type: type, choices: choices, referenceKind: referenceKind,
            secret: field.isSecret, required: field.isRequired, identity: field.isIdentity,
            destination: field.isDestination, generated: generated,
            help: field.help)
    }

    static func connection(
        _ record: ConnectionRecord, rotation: RotationPolicy.State?, autoRotationFailures: AutoRotationState? = nil
    ) -> Components.Schemas.Connection {
        let secrets = record.kind.schema.secretFields.reduce(into: [String: Components.Schemas.SecretState]()) {
            $0[$1.name] = .init(value: SecretValue.placeholder, set: record.secretFields.contains($1.name))
        }
        return .init(
            id: record.id, name: record.name, kind: record.kind.rawValue, description: record.description,
            displayName: record.displayName.isEmpty ? nil : record.displayName,
            tags: record.tags, endpoint: record.kind.endpointField.flatMap { record.fields[$0]?.description },
            fields: .init(additionalProperties: record.fields.mapValues(fieldValue)),
            secrets: .init(additionalProperties: secrets), credentialVersion: record.credentialVersion,
            etag: ETag.of(record),
            status: .init(
                state: record.status.state, stage: record.status.stage, message: record.status.message,
                at: record.status.at, durationMs: record.status.durationMilliseconds, lastOkAt: record.status.lastOkAt,
                lastFailureAt: record.status.lastFailureAt, expiresAt: record.status.expiresAt,
                expiresWhat: record.status.expiresWhat, platformCreatedAt: record.status.platformCreatedAt,
                since: record.status.since),
            maxSecretAgeDays: record.maxSecretAgeDays, autoRotate: record.autoRotate,
            checkEvery: record.checkEverySeconds.map(CheckInterval.text),
            knownCertificate: record.knownCertificate.map(certificate), offeredCertificate: record.offeredCertificate.map(certificate),
            autoRotationFailures: autoRotationFailures.map {
                .init(failures: $0.failures, lastError: $0.lastError, nextAttemptAt: $0.nextAttemptAt)
            },
            rotation: rotation.map { .init(maxAgeDays: $0.maxAgeDays, ageDays: $0.ageDays, dueAt: $0.dueAt, due: $0.isDue) },
            createdAt: record.createdAt, createdBy: record.createdBy, updatedAt: record.updatedAt,
            updatedBy: record.updatedBy)
    }

    static func saved(_ saved: SavedConnection, rotation: RotationPolicy.State?) -> Components.Schemas.ConnectionSaved {
        .init(
            connection: connection(saved.record, rotation: rotation),
            issuedSecrets: saved.issuedSecrets.isEmpty
                ? nil : .init(additionalProperties: saved.issuedSecrets.mapValues(\.exposedValue)),
            warnings: saved.warnings)
    }

    static func version(_ record: CredentialVersionRecord) -> Components.Schemas.CredentialVersion {
        .init(version: record.version, createdAt: record.createdAt, actor: record.actorName, changedFields: record.changedFields)
    }

    static func createRequest(_ body: Components.Schemas.ConnectionCreate) -> CreateConnectionRequest {
        CreateConnectionRequest(
            kind: body.kind.rawValue, name: body.name, description: body.description, displayName: body.displayName, tags: body.tags,
            fields: (body.fields?.additionalProperties ?? [:]).mapValues(domainValue),
            secrets: (body.secrets?.additionalProperties ?? [:]).mapValues(SecretValue.init),
            generate: body.generate ?? [], maxSecretAgeDays: body.maxSecretAgeDays, autoRotate: body.autoRotate ?? false,
            checkEvery: body.checkEvery)
    }

    static func updateRequest(_ body: Components.Schemas.ConnectionUpdate) -> UpdateConnectionRequest {
        UpdateConnectionRequest(
            description: body.description, displayName: body.displayName, tags: body.tags,
            fields: (body.fields?.additionalProperties ?? [:]).mapValues(domainValue), clear: body.clear ?? [],
            secrets: (body.secrets?.additionalProperties ?? [:]).mapValues(SecretValue.init),
            generate: body.generate ?? [], maxSecretAgeDays: body.maxSecretAgeDays, autoRotate: body.autoRotate,
            checkEvery: body.checkEvery)
    }

    private static func fieldValue(_ value: FieldValue) -> Components.Schemas.FieldValue {
        switch value {
        case .string(let text): .case1(text)
        case .boolean(let flag): .case2(flag)
        }
    }

    private static func domainValue(_ value: Components.Schemas.FieldValue) -> FieldValue {
        switch value {
        case .case1(let text): .string(text)
        case .case2(let flag): .boolean(flag)
        }
    }
}
