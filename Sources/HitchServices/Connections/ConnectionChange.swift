import Foundation
import HitchDomain
import HitchStorage

/// An update applied to a stored connection: the merged draft to validate and what changed.
struct ConnectionChange {
    let current: ConnectionRecord
    var draft: ConnectionDraft
    let maxSecretAgeDays: Int?
    let autoRotate: Bool
    let request: UpdateConnectionRequest

    init(current: ConnectionRecord, request: UpdateConnectionRequest) {
        self.current = current
        self.request = request
        var fields = current.fields.merging(request.fields) { $1 }
        for name in request.clear { fields[name] = nil }
        draft = ConnectionDraft(
            kind: current.kind, name: current.name, description: request.description ?? current.description,
            displayName: request.displayName.map { $0.trimmingCharacters(in: .whitespaces) } ?? current.displayName,
            tags: request.tags ?? current.tags, fields: fields, secrets: request.secrets,
            storedSecrets: current.secretFields.subtracting(request.secrets.keys),
            generate: Set(request.generate))
        maxSecretAgeDays = request.maxSecretAgeDays.map { $0 == 0 ? nil : $0 } ?? current.maxSecretAgeDays
        autoRotate = request.autoRotate ?? current.autoRotate
    }

    /// Only a kind that Hitch rotates on the platform may be rotated automatically.
    func validateAutoRotate() throws {
        if autoRotate { try AutoRotation.requireSupport(current.kind) }
    }

    /// The schedule's interval this change leaves: the request's when it names one, else the stored one.
    func checkEverySeconds() throws -> Int? {
        guard let text = request.checkEvery else { return current.checkEverySeconds }
        return try CheckInterval.connectionSetting(text)
    }

    /// A maximum secret age of 1 to 3650 days, or 0 for the server's default.
    func validateMaxSecretAge() throws {
        if let days = maxSecretAgeDays, !RotationPolicy.allowedDays.contains(days) {
            throw HitchError.validation(["maxSecretAgeDays": "must be from 1 to 3650 days (0 for the server's default)"])
        }
    }

    /// Destination fields whose effective value this change replaces (S9).
    func changedDestinationFields() -> [String] {
        ConnectionDestination.changedFields(of: current.kind, from: current.fields, to: draft.fields)
    }

    /// A change of where the secrets are sent must carry every stored secret again (S9): nothing stored is ever
    /// sent to a destination it was not entered for.
    func requireSecretsForDestinationChange() throws {
        let changed = changedDestinationFields()
        guard !changed.isEmpty else { return }
        let missing = current.secretFields.subtracting(draft.secrets.keys).sorted()
        guard !missing.isEmpty else { return }
        throw HitchError.secretRequired(connection: current.name, kind: current.kind, destination: changed, missing: missing)
    }

    /// Identity and secret fields whose value this change replaces: they make a new credential version.
    func changedIdentityFields() -> [String] {
        current.kind.schema.fields.filter { field in
            if field.isSecret { return draft.secrets[field.name] != nil }
            return field.isIdentity && draft.fields[field.name] != current.fields[field.name]
        }.map(\.name)
    }

    /// Every field, secret, description or tag list whose value this change replaces; names only.
    func changedFieldNames() -> [String] {
        var names = current.kind.schema.fields.filter { field in
            field.isSecret ? draft.secrets[field.name] != nil : draft.fields[field.name] != current.fields[field.name]
        }.map(\.name)
        if draft.description != current.description { names.append("description") }
        if draft.displayName != current.displayName { names.append("displayName") }
        if draft.tags != current.tags { names.append("tags") }
        if maxSecretAgeDays != current.maxSecretAgeDays { names.append("maxSecretAgeDays") }
        if autoRotate != current.autoRotate { names.append("autoRotate") }
        if let checkEvery = try? checkEverySeconds(), checkEvery != current.checkEverySeconds { names.append("checkEvery") }
        return names
    }

    func updatedRecord(at now: Date, by actor: String) -> ConnectionRecord {
        var record = current
        record.description = draft.description
        record.displayName = draft.displayName
        record.tags = draft.tags
        record.fields = draft.fields
        record.revision += 1
        record.updatedAt = now
        record.updatedBy = actor
        record.secretFields.formUnion(draft.secrets.keys)
        record.maxSecretAgeDays = maxSecretAgeDays
        record.autoRotate = autoRotate
        return record
    }
}
