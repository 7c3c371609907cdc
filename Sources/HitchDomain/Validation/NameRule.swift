/// Connection names: `^[a-z0-9][a-z0-9-]{1,62}$`.
public enum NameRule {
    public static func problem(with name: String) -> String? {
        ASCIISet.lowercaseDigitsHyphen.matches(name, length: 2...63) && name.first != "-"
            ? nil : "must be 2-63 of lowercase letters, digits and hyphens, starting with a letter or digit"
    }
}

/// Tags: at most five, each 1-64 of `[A-Za-z0-9_.:-]`, no repeats.
public enum TagRule {
    public static func problem(with tags: [String]) -> String? {
        if tags.count > ConnectionValidator.maximumTags {
            return "at most \(ConnectionValidator.maximumTags) tags"
        }
        for tag in tags where !ASCIISet.tag.matches(tag, length: 1...64) {
            return "each tag must be 1-64 of letters, digits and _ . : -; '\(tag.prefix(64))' is not"
        }
        if Set(tags).count != tags.count { return "tags must not repeat" }
        return nil
    }
}
