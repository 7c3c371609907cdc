/// Where a connection sends its secret, or a token derived from it, and how it authenticates the peer: the values
/// of its kind's destination fields, and for a connection that goes through another (`via`), that connection's
/// destination too. Its canonical text is what a sealed secret is bound to (S9), so a secret whose destination
/// changed by any path does not open.
public struct ConnectionDestination: Sendable, Equatable {
    /// Every destination field with its effective value, then the `via` connection's destination, each part
    /// length-prefixed so that no value can pass for another field.
    public let canonical: String

    /// - Parameter via: the destination of the connection named by the kind's connection field, or nil when no such
    ///   connection exists (or the kind has none).
    public init(kind: ConnectionKind, fields: [String: FieldValue], via: ConnectionDestination? = nil) {
        var text = Self.part("kind", kind.rawValue)
        for field in kind.schema.destinationFields {
            let value = Self.effectiveValue(of: field, in: fields)
            if field.bindsOnlyWhenSet && value.isEmpty { continue }
            text += Self.part(field.name, value)
        }
        if kind.schema.destinationFields.contains(where: { if case .connectionReference = $0.type { true } else { false } }) {
            text += Self.part("via-destination", via?.canonical ?? "none")
        }
        canonical = text
    }

    /// The destination fields whose effective value differs between two sets of values of one kind, by name.
    public static func changedFields(
        of kind: ConnectionKind, from old: [String: FieldValue], to new: [String: FieldValue]
    ) -> [String] {
        kind.schema.destinationFields.filter { effectiveValue(of: $0, in: old) != effectiveValue(of: $0, in: new) }
            .map(\.name)
    }

    /// What a value means rather than how it was written: an absent flag is false, an absent text is empty, and a
    /// thumbprint is compared by its digits.
    static func effectiveValue(of field: FieldSpec, in fields: [String: FieldValue]) -> String {
        switch (field.type, fields[field.name]) {
        case (.boolean, .boolean(let flag)?): flag ? "true" : "false"
        case (.boolean, _): "false"
        case (_, .string(let text)?) where field.rule == .sha256Thumbprint: Thumbprint.normalized(text) ?? text
        case (_, let value?): value.description
        case (_, nil): ""
        }
    }

    private static func part(_ name: String, _ value: String) -> String {
        "\(name.utf8.count):\(name)=\(value.utf8.count):\(value);"
    }
}
