/// How a connection's server certificate is judged (S6).
public enum TLSPolicy: Sendable, Equatable {
    /// The system's trust store and the host name: the default.
    case systemTrust
    /// The leaf certificate's SHA-256 (lowercase hex) must match; it replaces chain validation.
    case pinned(thumbprint: String)
    /// No verification at all; every result says so.
    case insecure

    public static func of(insecure: Bool, thumbprint: String?) -> TLSPolicy {
        if let thumbprint, !thumbprint.isEmpty { return .pinned(thumbprint: Self.normalized(thumbprint)) }
        return insecure ? .insecure : .systemTrust
    }

    /// `AB:CD:...` or `abcd...` to lowercase hex without separators.
    static func normalized(_ thumbprint: String) -> String {
        thumbprint.lowercased().filter { $0 != ":" && $0 != " " }
    }
}
