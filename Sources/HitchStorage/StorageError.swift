/// A storage failure worth telling apart from others.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unreachable
        case corrupt
        case duplicate
        case unsupportedURL = "unsupported-url"
        case migrationIncomplete = "migration-incomplete"
        /// A value was sealed under a master key version that was retired meanwhile.
        case keyVersionRetired = "key-version-retired"
        /// Not something this backend does (a SQLite snapshot of PostgreSQL).
        case unsupported
    }

    public let code: Code
    public let message: String

    public static func unreachable(_ message: String) -> StorageError { StorageError(code: .unreachable, message: message) }
    public static func corrupt(_ message: String) -> StorageError { StorageError(code: .corrupt, message: message) }
    public static func duplicate(_ message: String) -> StorageError { StorageError(code: .duplicate, message: message) }

    public var description: String { message }
}
