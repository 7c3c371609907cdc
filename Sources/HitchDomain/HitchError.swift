/// An error that Hitch reports to a user. Its message never carries a secret.
public struct HitchError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case validation = "validation-failed"
        case badRequest = "bad-request"
        case unauthenticated = "unauthenticated"
        case forbidden = "forbidden"
        case notFound = "not-found"
        case conflict = "conflict"
        case stale = "precondition-failed"
        case throttled = "too-many-requests"
        case unavailable = "unavailable"
        case `internal` = "internal"
    }

    public let code: Code
    public let message: String
    /// Field name to the reason it was refused, for validation errors.
    public let fieldErrors: [String: String]
    /// What keeps a change from being made (a delete refused while a job or an assignment uses the connection).
    public let blockers: [String]

    public init(_ code: Code, _ message: String, fieldErrors: [String: String] = [:], blockers: [String] = []) {
        self.code = code
        self.message = message
        self.fieldErrors = fieldErrors
        self.blockers = blockers
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func validation(_ fieldErrors: [String: String]) -> HitchError {
        let names = fieldErrors.keys.sorted().joined(separator: ", ")
        return HitchError(.validation, "invalid fields: \(names)", fieldErrors: fieldErrors)
    }

    public static func connectionNotFound(_ name: String) -> HitchError {
        HitchError(.notFound, "connection '\(name)' not found")
    }
}
