import HitchDomain
import HitchSecrets

/// Generates the secrets that Hitch makes itself: an api-key's key always, an external id on request.
enum SecretIssuer {
    /// Adds the generated values to the draft's secrets and returns them, to be shown once.
    static func issue(for draft: inout ConnectionDraft) -> [String: SecretValue] {
        var issued: [String: SecretValue] = [:]
        for field in draft.kind.schema.secretFields {
            let isNew = draft.storedSecrets.isEmpty && draft.secrets[field.name] == nil
            switch field.origin {
            case .generated where isNew || draft.generate.contains(field.name):
                issued[field.name] = value(for: field.name, kind: draft.kind)
            case .suppliedOrGenerated where draft.generate.contains(field.name):
                issued[field.name] = value(for: field.name, kind: draft.kind)
            default:
                break
            }
        }
        draft.secrets.merge(issued) { _, generated in generated }
        return issued
    }

    private static func value(for field: String, kind: ConnectionKind) -> SecretValue {
        switch (kind, field) {
        case (.awsCrossAccount, "externalId"): SecretGenerator.externalId()
        default: SecretGenerator.token(prefix: "hitch_ak_")
        }
    }
}
