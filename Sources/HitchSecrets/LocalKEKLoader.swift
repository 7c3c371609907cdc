import Crypto
import Foundation

/// Finds the local key-encryption key: `HITCH_MASTER_KEY` (base64 of 32 bytes), else the file
/// `<data-dir>/master.key` (mode 0600), which is created only when the database is new.
public struct LocalKEKLoader: Sendable {
    public static let environmentVariable = "HITCH_MASTER_KEY"
    public static let fileName = "master.key"

    public enum Source: Sendable, Equatable {
        case environment
        case file(path: String, created: Bool)
    }

    public let environment: [String: String]
    public let dataDirectory: String

    public init(environment: [String: String], dataDirectory: String) {
        self.environment = environment
        self.dataDirectory = dataDirectory
    }

    public var filePath: String { (dataDirectory as NSString).appendingPathComponent(Self.fileName) }

    /// - Parameter mayCreate: true only when the database holds no key check yet.
    public func load(mayCreate: Bool) throws -> (LocalKEK, Source) {
        if let encoded = environment[Self.environmentVariable] {
            return (try LocalKEK(base64: encoded, origin: Self.environmentVariable), .environment)
        }
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: filePath) {
            try checkMode()
            let text = try String(contentsOfFile: filePath, encoding: .utf8)
            return (try LocalKEK(base64: text, origin: filePath), .file(path: filePath, created: false))
        }
        guard mayCreate else {
            throw SecretsError(
                .keyFileMissing,
                "the database was created with a master key, but \(filePath) does not exist and "
                    + "\(Self.environmentVariable) is not set. Nothing was changed.")
        }
        let key = LocalKEK.generate(origin: filePath)
        let encoded = key.base64 + "\n"
        guard fileManager.createFile(atPath: filePath, contents: Data(encoded.utf8), attributes: [.posixPermissions: 0o600])
        else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: filePath]) }
        return (key, .file(path: filePath, created: true))
    }

    private func checkMode() throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: filePath)
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        if mode & 0o077 != 0 {
            throw SecretsError(
                .keyFileMode,
                "\(filePath) has mode \(String(mode, radix: 8)); it must be readable by its owner only "
                    + "(chmod 600 \(filePath)). Refusing to start.")
        }
    }
}
