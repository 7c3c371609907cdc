/// The complete values of a connection as it is about to be saved: a new one, or an existing one with changes.
public struct ConnectionDraft: Sendable {
    public var kind: ConnectionKind
    public var name: String
    public var description: String
    /// A friendly name beside the slug (the seeds' "display name"); empty for none.
    public var displayName: String
    public var tags: [String]
    public var fields: [String: FieldValue]
    /// Secret values supplied with this save.
    public var secrets: [String: SecretValue]
    /// Secret fields that already hold a stored value and are not replaced.
    public var storedSecrets: Set<String>
    /// Secret fields that Hitch is asked to generate.
    public var generate: Set<String>

    public init(
        kind: ConnectionKind, name: String, description: String = "", displayName: String = "", tags: [String] = [],
        fields: [String: FieldValue] = [:], secrets: [String: SecretValue] = [:], storedSecrets: Set<String> = [],
        generate: Set<String> = []
    ) {
        self.kind = kind
        self.name = name
        self.description = description
        self.displayName = displayName
        self.tags = tags
        self.fields = fields
        self.secrets = secrets
        self.storedSecrets = storedSecrets
        self.generate = generate
    }
}
