/// Usernames and service identity names: 1-64 of `[A-Za-z0-9._@-]`, starting with a letter or digit.
public enum UsernameRule {
    private static let characters = ASCIISet("A-Za-z0-9._@-")

    public static func problem(with name: String) -> String? {
        guard characters.matches(name, length: 1...64), let first = name.utf8.first,
            ASCIISet.alphanumerics.contains(first)
        else { return "must be 1-64 of letters, digits and . _ @ -, starting with a letter or digit" }
        return nil
    }
}

/// Token names: 1-64 of letters, digits, spaces and `_ . : @ -`.
public enum TokenNameRule {
    private static let characters = ASCIISet("A-Za-z0-9 _.:@-")

    public static func problem(with name: String) -> String? {
        characters.matches(name, length: 1...64) ? nil : "must be 1-64 of letters, digits, spaces and _ . : @ -"
    }
}
