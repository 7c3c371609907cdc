import ArgumentParser
import AsyncHTTPClient
import Foundation
import HitchAPI

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign in and save the token for the next commands.",
        discussion: """
            With --username and --password-stdin, the server issues a new token (24 hours unless --expires says \
            otherwise). With --token-stdin, an existing token is checked and saved. The token goes to \
            ~/.config/hitch/token (mode 0600) and the address beside it. For a server whose certificate a private CA \
            signed, --ca-cert FILE trusts that CA beside the system's, and a copy is saved for the next commands \
            (HITCH_CA_CERT names one for a single command).
            """)

    @Option(help: "The server, e.g. http://127.0.0.1:8750 (default: HITCH_ADDR or the saved address).") var addr: String?
    @Option(help: "The user to sign in as.") var username: String?
    @Flag(help: "Read the password from stdin.") var passwordStdin = false
    @Flag(help: "Read an existing token from stdin instead.") var tokenStdin = false
    @Option(help: "How long the new token lasts: 30m, 12h, 30d (at most 90d).") var expires: DurationArgument?
    @Option(help: "A PEM file of the CA that signed an https:// server's certificate; saved for the next commands.")
    var caCert: String?

    func validate() throws {
        if tokenStdin == (username != nil) {
            throw ValidationError("give either --token-stdin, or --username NAME with --password-stdin")
        }
        if username != nil, !passwordStdin { throw ValidationError("--username needs --password-stdin") }
        if tokenStdin, passwordStdin || expires != nil {
            throw ValidationError("--token-stdin takes no --password-stdin or --expires")
        }
    }

    func run() async throws {
        let url = try addr.map(ServerAddress.parse) ?? ServerAddress.fromEnvironmentAddress()
        let authorities = try caCert.map(TrustedCA.certificates(at:))
        guard let authorities, let caCert else { return try await signIn(url: url, httpClient: APIClient.shared()) }
        let httpClient = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: try APIClient.configuration(parallel: 1, authorities: authorities))
        do {
            try await signIn(url: url, httpClient: httpClient)
            try await httpClient.shutdown()
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try TrustedCA.save(from: caCert)
    }

    private func signIn(url: URL, httpClient: HTTPClient) async throws {
        let token: String
        if let username {
            let password = try SecretInput.readStdin()
            let client = APIClient.make(url: url, token: nil, httpClient: httpClient)
            let body = Components.Schemas.LoginRequest(
                username: username, password: password, tokenName: "cli", expiresInSeconds: expires?.seconds)
            switch try await APIClient.call({ try await client.login(body: .json(body)) }) {
            case .ok(let ok): token = try ok.body.json.secret
            case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
            }
        } else {
            token = try SecretInput.readStdin().trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let whoami = try await Whoami.fetch(APIClient.make(url: url, token: token, httpClient: httpClient))
        try ServerAddress.save(address: url, token: token)
        print("signed in to \(url.absoluteString) as \(whoami.name) (\(whoami.role))")
    }
}

struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Revoke the saved token on the server and remove it from ~/.config/hitch.")

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.logout() }) {
        case .noContent: break
        case .default(let status, let response):
            // A token the server no longer accepts is as good as revoked; forget it all the same.
            if status != 401 { throw APIClient.failure(status: status, body: try? response.body.json) }
        }
        ServerAddress.forgetToken()
        print("signed out")
    }
}

struct Whoami: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the identity, role and token in use.")

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let me = try await Self.fetch(APIClient.make())
        if output.output == .json { return try Printer.json(me) }
        Printer.table(
            headers: ["NAME", "KIND", "ROLE", "TOKEN", "EXPIRES"],
            rows: [[me.name, me.kind, me.role, me.tokenName ?? "-", Printer.time(me.tokenExpiresAt)]])
    }

    static func fetch(_ client: Client) async throws -> Components.Schemas.WhoAmI {
        switch try await APIClient.call({ try await client.whoami() }) {
        case .ok(let ok): return try ok.body.json
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}
