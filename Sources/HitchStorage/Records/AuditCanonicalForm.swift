import Foundation

/// The text of an audit event that its MAC covers, defined twice side by side: in Swift, for appending, and in SQL,
/// so that verification reads one computed column per event instead of decoding every field. Both join the stored
/// columns, in order, with U+001F (the unit separator), numbers in decimal and a null as an empty text. Stored
/// texts never hold U+001F or NUL (`storable` replaces them) and an empty optional text is stored as null, so the
/// text is unambiguous. A test checks on both backends that the two definitions agree.
public enum AuditCanonicalForm {
    static let separator = "\u{1F}"

    public static func text(of entry: AuditEntry) -> String {
        let fields: [String?] = [
            String(entry.sequence), String(entry.recordedAt), entry.actorId, entry.actorName, entry.actorKind,
            entry.tokenName, entry.clientAddress, entry.requestId, entry.action, entry.targetKind, entry.targetName,
            entry.targetId, entry.outcome, entry.failureCode, entry.changedFields.joined(separator: ","), entry.detail,
            String(entry.keyVersion),
        ]
        return fields.map { $0 ?? "" }.joined(separator: separator)
    }

    /// The same text, computed by SQLite (3.44 or later) or PostgreSQL from the row in one call: `concat` turns
    /// numbers into decimal text and nulls into empty text on both.
    static let sqlExpression: String = {
        let columns = [
            "sequence", "recorded_at", "actor_id", "actor_name", "actor_kind", "token_name", "client_address",
            "request_id", "action", "target_kind", "target_name", "target_id", "outcome", "failure_code",
            "changed_fields", "detail", "key_version",
        ]
        return "concat(" + columns.joined(separator: ", '\(separator)', ") + ")"
    }()

    /// The first and last fields of a canonical text; -1 for one that is not a number (the row was tampered with).
    static func sequenceAndKeyVersion(of canonical: String) -> (Int64, Int) {
        let utf8 = canonical.utf8
        let separator = UInt8(0x1F)
        let first = utf8.firstIndex(of: separator).map { Int64(Substring(utf8[..<$0])) ?? -1 } ?? -1
        let last = utf8.lastIndex(of: separator).map { Int(Substring(utf8[utf8.index(after: $0)...])) ?? -1 } ?? -1
        return (first, last)
    }

    /// A text as both databases keep it and the canonical form can separate: NUL (SQLite's functions stop at it,
    /// PostgreSQL refuses it) and the separator become U+FFFD.
    public static func storable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value == 0 || $0.value == 0x1F }) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value == 0 || $0.value == 0x1F ? "\u{FFFD}" : $0 }))
    }

    /// An optional text as stored: empty is the same as absent.
    public static func storable(optional text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return storable(text)
    }
}

/// What verification reads of each event: its canonical text as the database computes it, and its MAC.
public struct AuditCanonicalRow: Sendable, Equatable {
    public let sequence: Int64
    public let keyVersion: Int
    public let mac: String
    public let canonical: String
}
