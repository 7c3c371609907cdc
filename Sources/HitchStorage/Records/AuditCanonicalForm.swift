import Foundation

/// The text of an audit event that its MAC covers, defined twice side by side: in Swift, for appending, and in SQL,
/// so that verification reads whole pages of events as one text computed by the database instead of decoding every
/// field of every row. Both join the stored columns, in order, with U+001F (the unit separator), numbers in decimal
/// and a null as an empty text. Stored texts never hold NUL, U+001E or U+001F (`storable` replaces them) and an
/// empty optional text is stored as null, so the text is unambiguous. A test checks on both backends that the two
/// definitions agree.
public enum AuditCanonicalForm {
    static let separator = "\u{1F}"
    /// Between events in a page.
    static let recordSeparator = "\u{1E}"

    public static func text(of entry: AuditEntry) -> String {
        let fields: [String?] = [
            String(entry.sequence), String(entry.recordedAt), entry.actorId, entry.actorName, entry.actorKind,
            entry.tokenName, entry.clientAddress, entry.requestId, entry.action, entry.targetKind, entry.targetName,
            entry.targetId, entry.outcome, entry.failureCode, entry.changedFields.joined(separator: ","), entry.detail,
            String(entry.keyVersion),
        ]
        return fields.map { $0 ?? "" }.joined(separator: separator)
    }

    /// One event of a page: its MAC, U+001F and its canonical text, computed by SQLite (3.44 or later) or
    /// PostgreSQL from the row in one call (`concat` turns numbers into decimal text and nulls into empty text on
    /// both). A page joins its events, in sequence order, with `recordSeparatorSQL` (see
    /// `SQLAuditRepository.canonicalPage`).
    static let pageLineExpression: String = {
        let columns = [
            "mac", "sequence", "recorded_at", "actor_id", "actor_name", "actor_kind", "token_name", "client_address",
            "request_id", "action", "target_kind", "target_name", "target_id", "outcome", "failure_code",
            "changed_fields", "detail", "key_version",
        ]
        return "concat(" + columns.joined(separator: ", '\(separator)', ") + ")"
    }()
    static let recordSeparatorSQL = "'\(recordSeparator)'"

    /// A text as both databases keep it and the canonical form can separate: NUL (SQLite's functions stop at it,
    /// PostgreSQL refuses it) and the two separators become U+FFFD.
    public static func storable(_ text: String) -> String {
        func reserved(_ scalar: Unicode.Scalar) -> Bool { scalar.value == 0 || scalar.value == 0x1E || scalar.value == 0x1F }
        guard text.unicodeScalars.contains(where: reserved) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { reserved($0) ? "\u{FFFD}" : $0 }))
    }

    /// An optional text as stored: empty is the same as absent.
    public static func storable(optional text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return storable(text)
    }
}
