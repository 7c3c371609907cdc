/// A SHA-256 certificate thumbprint, accepted as 64 hex digits with or without colons.
public enum Thumbprint {
    /// Lowercase hex without separators, or nil when the text is not a SHA-256 thumbprint.
    public static func normalized(_ text: String) -> String? {
        let digits = text.filter { $0 != ":" }.lowercased()
        guard digits.count == 64, digits.allSatisfy(\.isHexDigit) else { return nil }
        if text.contains(":") {
            let pairs = text.split(separator: ":", omittingEmptySubsequences: false)
            guard pairs.count == 32, pairs.allSatisfy({ $0.count == 2 }) else { return nil }
        }
        return digits
    }
}
