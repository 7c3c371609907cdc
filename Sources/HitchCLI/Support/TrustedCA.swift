import Foundation
import NIOSSL

/// The certificate authorities the CLI trusts beside the system's: HITCH_CA_CERT, else the copy `hitch login
/// --ca-cert` saved beside the address (`~/.config/hitch/ca.pem`).
enum TrustedCA {
    static let savedName = "ca.pem"

    static func path(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let path = environment["HITCH_CA_CERT"], !path.isEmpty { return path }
        let saved = (ServerAddress.configDirectory(environment) as NSString).appendingPathComponent(savedName)
        return FileManager.default.fileExists(atPath: saved) ? saved : nil
    }

    /// The certificates of `path`, or a CLI error that names the file.
    static func certificates(at path: String) throws -> [NIOSSLCertificate] {
        guard let certificates = try? NIOSSLCertificate.fromPEMFile(path), !certificates.isEmpty else {
            throw CLIError.usage("\(path) is not a readable PEM certificate (the CA that signed the server's certificate)")
        }
        return certificates
    }

    /// The certificates to add to the system's trust store; none when no CA is given.
    static func configured() throws -> [NIOSSLCertificate] {
        try path().map(certificates(at:)) ?? []
    }

    /// Saves a copy of the CA file beside the address, mode 0600, for the next commands.
    static func save(from path: String) throws {
        _ = try certificates(at: path)
        let directory = ServerAddress.configDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let target = (directory as NSString).appendingPathComponent(savedName)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try? FileManager.default.removeItem(atPath: target + ".new")
        guard FileManager.default.createFile(atPath: target + ".new", contents: data, attributes: [.posixPermissions: 0o600]),
            rename(target + ".new", target) == 0
        else { throw CLIError("cannot write \(target)") }
    }
}
