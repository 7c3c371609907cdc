import Foundation

/// Where the server is and the token to send: HITCH_ADDR and HITCH_TOKEN, else the files `hitch login` writes.
struct ServerAddress {
    static let defaultAddress = "http://127.0.0.1:8750"

    let url: URL
    let token: String?

    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServerAddress {
        let configDirectory = environment["XDG_CONFIG_HOME"].map { ($0 as NSString).appendingPathComponent("hitch") }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".config/hitch")
        let address = environment["HITCH_ADDR"] ?? readFile(configDirectory, "addr") ?? defaultAddress
        guard let url = URL(string: address), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw CLIError.usage("HITCH_ADDR must be an http:// or https:// URL")
        }
        let token = environment["HITCH_TOKEN"] ?? readFile(configDirectory, "token")
        return ServerAddress(url: url, token: token?.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func readFile(_ directory: String, _ name: String) -> String? {
        let path = (directory as NSString).appendingPathComponent(name)
        return (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
