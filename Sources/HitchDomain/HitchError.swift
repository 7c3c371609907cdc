/// An error that Hitch reports to a user. Its message never carries a secret.
public struct HitchError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case validation = "validation-failed"
        /// A change of where a secret is sent that did not carry every secret again (S9).
        case secretRequired = "secret-required"
        /// A stored secret that does not open for the connection's current destination: it is not used.
        case destinationMismatch = "destination-mismatch"
        case badRequest = "bad-request"
        case unauthenticated = "unauthenticated"
        case forbidden = "forbidden"
        case notFound = "not-found"
        case conflict = "conflict"
        case stale = "precondition-failed"
        case throttled = "too-many-requests"
        /// A request body beyond the server's limit.
        case payloadTooLarge = "payload-too-large"
        /// A method the path does not take; the answer's `Allow` names those it does.
        case methodNotAllowed = "method-not-allowed"
        /// The request is well formed, but this connection's kind cannot do it (422).
        case unsupported = "unsupported"
        /// A step on the platform failed (502): its message names the step and what the platform said.
        case platformFailed = "platform-failed"
        case unavailable = "unavailable"
        case `internal` = "internal"
    }

    public let code: Code
    public let message: String
    /// Field name to the reason it was refused, for validation errors.
    public let fieldErrors: [String: String]
    /// What keeps a change from being made (a delete refused while a job or an assignment uses the connection).
    public let blockers: [String]
    /// The fields a refused change would have touched, by name, for its audit event.
    public let refusedFields: [String]

    public init(
        _ code: Code, _ message: String, fieldErrors: [String: String] = [:], blockers: [String] = [],
        refusedFields: [String] = []
    ) {
        self.code = code
        self.message = message
        self.fieldErrors = fieldErrors
        self.blockers = blockers
        self.refusedFields = refusedFields
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func validation(_ fieldErrors: [String: String]) -> HitchError {
        let names = fieldErrors.keys.sorted().joined(separator: ", ")
        return HitchError(.validation, "invalid fields: \(names)", fieldErrors: fieldErrors)
    }

    /// A change of destination fields that did not carry every stored secret again (S9): each missing secret gets
    /// its field error, and the audit event names the destination fields and the missing secrets.
    public static func secretRequired(
        connection: String, kind: ConnectionKind, destination changed: [String], missing: [String]
    ) -> HitchError {
        let places = changed.joined(separator: ", ")
        let errors = missing.map { name in
            let label = kind.schema.field(named: name)?.label.lowercased() ?? name
            return (name, "re-enter the \(label) to change where it is sent (\(places))")
        }
        return HitchError(
            .secretRequired,
            "changing where connection '\(connection)' sends its secret (\(places)) needs the secret re-entered in "
                + "the same request: \(missing.joined(separator: ", "))",
            fieldErrors: Dictionary(uniqueKeysWithValues: errors), refusedFields: changed + missing)
    }

    public static func connectionNotFound(_ name: String) -> HitchError {
        HitchError(.notFound, "connection '\(name)' not found")
    }
}
