import Foundation

/// The text of an audit event that its MAC covers, defined twice side by side: in Swift, for appending, and in SQL,
/// so that verification reads one computed column per event instead of decoding every field. Both produce, from
/// the stored columns in order, for an integer its decimal digits and `;`, for a text its length in Unicode code
/// points, `:` and the text, and `~` for a null. The lengths make the text unambiguous; a test checks on both
/// backends that the two definitions agree.
public enum AuditCanonicalForm {
    public static func text(of entry: AuditEntry) -> String {
        var text = ""
        text.reserveCapacity(256)
        func integer(_ value: some BinaryInteger) { text += "\(value);" }
        func field(_ value: String?) {
            guard let value else { return text += "~" }
            text += "\(value.unicodeScalars.count):"
            text += value
        }
        integer(entry.sequence)
        integer(entry.recordedAt)
        field(entry.actorId)
        field(entry.actorName)
        field(entry.actorKind)
        field(entry.tokenName)
        field(entry.clientAddress)
        field(entry.requestId)
        field(entry.action)
        field(entry.targetKind)
        field(entry.targetName)
        field(entry.targetId)
        field(entry.outcome)
        field(entry.failureCode)
        field(entry.changedFields.joined(separator: ","))
        field(entry.detail)
        integer(entry.keyVersion)
        return text
    }

    /// The same text, computed by SQLite or PostgreSQL from the row.
    static let sqlExpression: String = {
        func integer(_ column: String) -> String { "CAST(\(column) AS TEXT) || ';'" }
        func field(_ column: String) -> String { "COALESCE(CAST(LENGTH(\(column)) AS TEXT) || ':' || \(column), '~')" }
        let parts = [integer("sequence"), integer("recorded_at")]
            + ["actor_id", "actor_name", "actor_kind", "token_name", "client_address", "request_id", "action",
               "target_kind", "target_name", "target_id", "outcome", "failure_code", "changed_fields", "detail"].map(field)
            + [integer("key_version")]
        return parts.joined(separator: " || ")
    }()

    /// A text as both databases keep it: SQLite's LENGTH stops at a NUL and PostgreSQL refuses one, so NUL becomes
    /// U+FFFD before an event is written.
    public static func storable(_ text: String) -> String {
        text.contains("\u{0}") ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
    }
}

/// What verification reads of each event: its canonical text as the database computes it, and its MAC.
public struct AuditCanonicalRow: Sendable, Equatable {
    public let sequence: Int64
    public let keyVersion: Int
    public let mac: String
    public let canonical: String
}
