import Foundation

/// Where the server is and the token to send: HITCH_ADDR and HITCH_TOKEN, else the files `hitch login` writes
/// (`~/.config/hitch/addr` and `token`, mode 0600; a token file others can read is refused).
struct ServerAddress {
    static let defaultAddress = "http://127.0.0.1:8750"

    let url: URL
    let token: String?

    static func configDirectory(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["XDG_CONFIG_HOME"].map { ($0 as NSString).appendingPathComponent("hitch") }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".config/hitch")
    }

    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServerAddress {
        let directory = configDirectory(environment)
        let url = try fromEnvironmentAddress(environment)
        let token = try environment["HITCH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } ?? readTokenFile(directory)
        return ServerAddress(url: url, token: token?.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The address alone, for `hitch login`, which needs no saved token.
    static func fromEnvironmentAddress(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        try parse(environment["HITCH_ADDR"].flatMap { $0.isEmpty ? nil : $0 } ?? readFile(configDirectory(environment), "addr") ?? defaultAddress)
    }

    static func parse(_ address: String) throws -> URL {
        guard let url = URL(string: address), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw CLIError.usage("the server address must be an http:// or https:// URL")
        }
        return url
    }

    private static func readTokenFile(_ directory: String) throws -> String? {
        let path = (directory as NSString).appendingPathComponent("token")
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value, mode & 0o077 != 0 {
            throw CLIError(
                "\(path) can be read by others (mode \(String(mode, radix: 8))): run `chmod 600 \(path)` or `hitch login` again",
                exitCode: .notAllowed)
        }
        return readFile(directory, "token")
    }

    private static func readFile(_ directory: String, _ name: String) -> String? {
        let path = (directory as NSString).appendingPathComponent(name)
        return (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Saves what `hitch login` got: the directory 0700, each file 0600, written whole.
    static func save(address: URL, token: String) throws {
        let directory = configDirectory()
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (name, text) in [("addr", address.absoluteString), ("token", token)] {
            let path = (directory as NSString).appendingPathComponent(name)
            let temporary = path + ".new"
            try? manager.removeItem(atPath: temporary)
            guard manager.createFile(atPath: temporary, contents: Data((text + "\n").utf8), attributes: [.posixPermissions: 0o600])
            else { throw CLIError("cannot write \(temporary)") }
            guard rename(temporary, path) == 0 else { throw CLIError("cannot write \(path)") }
        }
    }

    /// Removes the saved token; the address stays for the next login.
    static func forgetToken() {
        try? FileManager.default.removeItem(atPath: (configDirectory() as NSString).appendingPathComponent("token"))
    }
}
