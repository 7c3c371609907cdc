import Foundation
import HitchAPI
import HitchDomain
import HitchHTTP

/// What a connection form posted, read by the kind's schema: plain fields (`field.NAME`), secrets
/// (`secret.NAME`, empty means "keep" on an edit), secrets to generate (`generate.NAME`), description and tags.
struct ConnectionFormInput: Sendable {
    let kind: ConnectionKind
    let name: String
    let description: String
    let displayName: String
    let tags: [String]
    /// Every plain field of the kind: its text or flag, nil when left empty.
    let plain: [String: Components.Schemas.FieldValue?]
    let secrets: [String: String]
    let generate: [String]

    init(form: FormBody, kind: ConnectionKind) {
        self.kind = kind
        name = form.trimmed("name") ?? ""
        description = form.trimmed("description") ?? ""
        displayName = form.trimmed("displayName") ?? ""
        tags = (form["tags"] ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
        var plain: [String: Components.Schemas.FieldValue?] = [:]
        for field in kind.schema.plainFields {
            if field.type == .boolean {
                plain[field.name] = .case2(form["field." + field.name] == "on")
            } else {
                plain[field.name] = form.trimmed("field." + field.name).map(Components.Schemas.FieldValue.case1)
            }
        }
        self.plain = plain
        var secrets: [String: String] = [:]
        for field in kind.schema.secretFields {
            if let value = form["secret." + field.name], !value.isEmpty { secrets[field.name] = value }
        }
        self.secrets = secrets
        generate = kind.schema.secretFields.filter { form["generate." + $0.name] == "on" }.map(\.name)
    }

    var createBody: Components.Schemas.ConnectionCreate {
        .init(
            kind: APIMapping.kindName(kind), name: name, description: description.isEmpty ? nil : description,
            displayName: displayName.isEmpty ? nil : displayName, tags: tags,
            fields: .init(additionalProperties: plain.compactMapValues { $0 }),
            secrets: .init(additionalProperties: secrets), generate: generate.isEmpty ? nil : generate)
    }

    /// Only what differs from the saved connection: an untouched secret keeps its stored value, an emptied field
    /// is cleared, and an unchanged flag is left alone.
    func updateBody(from current: Components.Schemas.Connection) -> Components.Schemas.ConnectionUpdate {
        var fields: [String: Components.Schemas.FieldValue] = [:]
        var clear: [String] = []
        for (name, value) in plain {
            let stored = current.fields.additionalProperties[name]
            switch value {
            case .case2(let flag)?:
                let storedFlag = if case .case2(let old)? = stored { old } else { false }
                if flag != storedFlag { fields[name] = .case2(flag) }
            case let value?:
                if value != stored { fields[name] = value }
            case nil:
                if stored != nil { clear.append(name) }
            }
        }
        return .init(
            description: description == current.description ? nil : description,
            displayName: displayName == (current.displayName ?? "") ? nil : displayName,
            tags: tags == current.tags ? nil : tags, fields: .init(additionalProperties: fields),
            clear: clear.isEmpty ? nil : clear.sorted(), secrets: .init(additionalProperties: secrets),
            generate: generate.isEmpty ? nil : generate)
    }
}
