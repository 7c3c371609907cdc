/// One field of a kind's schema.
public struct FieldSpec: Sendable {
    public enum ValueType: Sendable, Equatable {
        case string
        case boolean
        /// One of a fixed list of words.
        case choice([String])
        /// A name of another connection.
        case connectionReference(ConnectionKind)
    }

    /// How a secret field gets its value.
    public enum Origin: Sendable, Equatable {
        /// The user supplies it.
        case supplied
        /// The user supplies it or asks Hitch to generate it.
        case suppliedOrGenerated
        /// Hitch always generates it; it is shown once, on create.
        case generated
    }

    public let name: String
    public let label: String
    public let type: ValueType
    public let isSecret: Bool
    public let isRequired: Bool
    /// A change of an identity or secret field makes a new credential version.
    public let isIdentity: Bool
    /// Decides where the connection's secret, or a token derived from it, is sent, or how the peer is
    /// authenticated: changing it needs every secret re-entered, and the sealed secrets are bound to it (S9).
    public let isDestination: Bool
    public let origin: Origin
    public let help: String
    /// Takes several lines of text (a key file's JSON), so a form shows a text area.
    public let isMultiline: Bool
    /// A destination field added after secrets were bound: it is part of a binding only once it is set, so that
    /// the secrets of connections that never set it keep opening.
    let bindsOnlyWhenSet: Bool
    let rule: FieldRule

    init(
        _ name: String, label: String, type: ValueType = .string, secret: Bool = false, required: Bool = false,
        identity: Bool = false, destination: Bool = false, origin: Origin = .supplied, multiline: Bool = false,
        bindsOnlyWhenSet: Bool = false, help: String,
        rule: FieldRule = .none
    ) {
        self.bindsOnlyWhenSet = bindsOnlyWhenSet
        self.name = name
        self.label = label
        self.type = type
        self.isSecret = secret
        self.isRequired = required
        // A destination change re-seals every secret, so it makes a new credential version too.
        self.isIdentity = identity || secret || destination
        self.isDestination = destination
        self.origin = origin
        self.help = help
        self.isMultiline = multiline
        self.rule = rule
    }
}

/// The fields of one kind.
public struct KindSchema: Sendable {
    public let kind: ConnectionKind
    public let fields: [FieldSpec]

    public func field(named name: String) -> FieldSpec? { fields.first { $0.name == name } }
    public var secretFields: [FieldSpec] { fields.filter(\.isSecret) }
    public var plainFields: [FieldSpec] { fields.filter { !$0.isSecret } }
    public var destinationFields: [FieldSpec] { fields.filter(\.isDestination) }
}
