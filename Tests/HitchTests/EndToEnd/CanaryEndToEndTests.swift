import AsyncHTTPClient
import Foundation
@testable import HitchServices
import NIOCore
import NIOHTTP1
import Testing

/// The built `hitch` against a running server: one connection of every kind, each with its own canary secret,
/// and no canary anywhere but inside ciphertexts (S1, S2, S8).
@Suite struct CanaryEndToEndTests {
    static let canaries = [
        "vsphere": "CANARYvspherePw-7d1",
        "nutanix": "CANARYnutanixPw-3b9",
        "azure": "CANARYazureSecret-5c2",
        "aws": "CANARYawsSecretKey+0123456789abcdefghijk",
        "aws-rotated": "CANARYawsRotatedKey/123456789abcdefghijk",
        "external": "CANARYexternalId-8f4",
        "gcp": "CANARYgcpPrivateKey-2e6",
        "vsphere-rotated": "CANARYvsphereRotated-9a0",
        "login-password": "CANARYloginPassword-4d7",
    ]

    static let gcpKey = """
        {"type": "service_account", "project_id": "proj-canary", "client_email": "hitch@proj-canary.iam.gserviceaccount.com",
         "private_key": "-----BEGIN PRIVATE KEY-----\\n\(canaries["gcp"]!)\\n-----END PRIVATE KEY-----\\n",
         "token_uri": "https://oauth2.googleapis.com/token"}
        """

    @Test(arguments: TestBackend.all)
    func noCanaryLeaves(backend: TestBackend) async throws {
        #expect(Self.canaries["aws"]!.count == 40 && Self.canaries["aws-rotated"]!.count == 40)
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        try await backend.withConfiguration { configuration in
            var arguments = ["--data-dir", configuration.dataDirectory, "--log-level", "trace"]
            if let url = configuration.databaseURL { arguments += ["--database-url", url] }
            let logPath = configuration.dataDirectory + ".log"
            let server = try await ServerProcess(arguments: arguments, environment: Self.baseEnvironment, logPath: logPath)
            defer { server.stop() }
            let token = try String(contentsOfFile: configuration.dataDirectory + "/bootstrap-token", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            var environment = Self.baseEnvironment
            environment["HITCH_ADDR"] = server.address
            environment["HITCH_TOKEN"] = token

            var outputs: [String] = []
            func hitch(_ arguments: [String], stdin: String? = nil, expect status: Int32 = 0) async throws -> HitchBinary.Result {
                let result = try await HitchBinary.run(arguments, stdin: stdin, environment: environment)
                #expect(result.status == status, "hitch \(arguments.joined(separator: " ")): \(result.output)")
                return result
            }
            let keyFile = configuration.dataDirectory + ".gcp-key.json"
            try Self.gcpKey.write(toFile: keyFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: keyFile) }

            let creates: [([String], String?)] = [
                (["connection", "create", "vsphere", "e2e-vsphere", "--vcenter", "vc01.corp.example:443", "--username",
                  "svc-hitch@vsphere.local", "--password-stdin", "--datacenter", "DC1", "--cluster", "Prod", "--tag", "prod",
                  "--tag", "migration", "--description", "prod vCenter"], Self.canaries["vsphere"]),
                (["connection", "create", "nutanix", "e2e-nutanix", "--endpoint", "prism.corp.example", "--username", "admin",
                  "--password-stdin", "--cluster-name", "C1"], Self.canaries["nutanix"]),
                (["connection", "create", "azure", "e2e-azure", "--tenant-id", "11111111-2222-3333-4444-555555555555",
                  "--client-id", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "--client-secret-stdin", "--subscription-id",
                  "99999999-8888-7777-6666-555555555555", "--cloud", "public"], Self.canaries["azure"]),
                (["source", "create", "aws-access-key", "e2e-aws", "--account-id", "123456789012", "--access-key-id",
                  "AKIAIOSFODNN7EXAMPLE", "--secret-access-key-stdin", "--region", "eu-west-1"], Self.canaries["aws"]),
                (["connection", "create", "aws-assume-role", "e2e-role", "--role-arn", "arn:aws:iam::123456789012:role/read",
                  "--session-name", "hitch", "--via", "e2e-aws"], nil),
                (["connection", "create", "aws-cross-account", "e2e-partner", "--role-arn",
                  "arn:aws:iam::210987654321:role/partner", "--external-id-stdin", "--via", "e2e-aws"], Self.canaries["external"]),
                (["connection", "create", "gcp", "e2e-gcp", "--project-id", "proj-canary", "--key-file", keyFile], nil),
            ]
            for (arguments, stdin) in creates { outputs.append(try await hitch(arguments, stdin: stdin).output) }

            let apiKeyCreate = try await hitch(["connection", "create", "api-key", "e2e-agents", "--token-type", "connector", "-o", "json"])
            let issued = try JSONSerialization.jsonObject(with: Data(apiKeyCreate.stdout.utf8)) as? [String: Any]
            let apiKey = try #require((issued?["issuedSecrets"] as? [String: String])?["key"])

            outputs.append(try await hitch(["connection", "update", "e2e-aws", "--secret-access-key-stdin"], stdin: Self.canaries["aws-rotated"]).output)
            outputs.append(try await hitch(["source", "update", "e2e-vsphere", "--password-stdin"], stdin: Self.canaries["vsphere-rotated"]).output)
            outputs.append(try await hitch(["connection", "list"]).output)
            outputs.append(try await hitch(["connection", "list", "-o", "json"]).output)
            outputs.append(try await hitch(["connection", "types"]).output)
            for name in ["e2e-vsphere", "e2e-nutanix", "e2e-azure", "e2e-aws", "e2e-role", "e2e-partner", "e2e-gcp", "e2e-agents"] {
                outputs.append(try await hitch(["connection", "show", name]).output)
                outputs.append(try await hitch(["connection", "show", name, "-o", "json"]).output)
                outputs.append(try await hitch(["connection", "history", name]).output)
            }
            let shownJSON = try await hitch(["source", "show", "e2e-vsphere", "-o", "json"]).stdout
            #expect(shownJSON.contains(#""value" : "********""#))
            #expect(shownJSON.contains(#""set" : true"#))
            outputs.append(try await hitch(["connection", "create", "aws-access-key", "e2e-bad", "--account-id", "1234",
                                      "--access-key-id", "AKIAIOSFODNN7EXAMPLE", "--secret-access-key-stdin"],
                                     stdin: "CANARYinvalidSecret", expect: 2).output)
            outputs.append(try await hitch(["connection", "show", "e2e-missing"], expect: 5).output)
            outputs.append(try await hitch(["connection", "delete", "e2e-aws"], expect: 4).output)
            var wrongToken = environment
            wrongToken["HITCH_TOKEN"] = "not-a-token"
            let denied = try await HitchBinary.run(["connection", "list"], environment: wrongToken)
            #expect(denied.status == 6, "\(denied.output)")
            let secretAsArgument = try await HitchBinary.run(["connection", "create", "vsphere", "argv", "--password", "x"], environment: environment)
            #expect(secretAsArgument.status == 2, "a secret cannot be given as an argument")
            outputs.append(try await hitch(["connection", "delete", "e2e-gcp"]).output)

            // Identities: a user signs in with a password, holds tokens, and reads nothing it should not.
            let loginPassword = Self.canaries["login-password"]!
            outputs.append(try await hitch(["user", "create", "e2e-op", "--role", "operator", "--password-stdin"], stdin: loginPassword).output)
            let configHome = configuration.dataDirectory + ".config"
            defer { try? FileManager.default.removeItem(atPath: configHome) }
            var signedIn = Self.baseEnvironment
            signedIn["XDG_CONFIG_HOME"] = configHome
            let badLogin = try await HitchBinary.run(
                ["login", "--addr", server.address, "--username", "e2e-op", "--password-stdin"], stdin: "CANARYwrongPassword",
                environment: signedIn)
            #expect(badLogin.status == 6, "\(badLogin.output)")
            outputs.append(badLogin.output)
            let login = try await HitchBinary.run(
                ["login", "--addr", server.address, "--username", "e2e-op", "--password-stdin"], stdin: loginPassword,
                environment: signedIn)
            #expect(login.status == 0, "\(login.output)")
            outputs.append(login.output)
            let tokenPath = configHome + "/hitch/token"
            let tokenMode = try FileManager.default.attributesOfItem(atPath: tokenPath)[.posixPermissions] as? NSNumber
            #expect(tokenMode?.intValue == 0o600)
            let loginToken = try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let whoami = try await HitchBinary.run(["whoami"], environment: signedIn)
            #expect(whoami.status == 0 && whoami.stdout.contains("e2e-op") && whoami.stdout.contains("operator"), "\(whoami.output)")
            outputs.append(whoami.output)
            let created = try await HitchBinary.run(["token", "create", "--name", "ci", "--expires", "1h", "-o", "json"], environment: signedIn)
            let issuedToken = try #require(
                (try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])?["secret"] as? String)
            for arguments in [["token", "list"], ["user", "list"], ["audit", "list"]] {
                let refusedOrListed = try await HitchBinary.run(arguments, environment: signedIn)
                outputs.append(refusedOrListed.output)
            }
            #expect(try await HitchBinary.run(["user", "list"], environment: signedIn).status == 6, "an operator manages no users")
            outputs.append(try await hitch(["token", "list", "--all"]).output)
            outputs.append(try await hitch(["audit", "list", "--limit", "1000"]).output)
            outputs.append(try await hitch(["audit", "list", "--action", "auth", "-o", "json"]).output)
            let exported = try await hitch(["audit", "export"])
            #expect(exported.stdout.split(separator: "\n").count == 19, "start, admin, 8 creates, 2 rotations, 3 refusals or deletes, user, 2 sign-ins, token")
            outputs.append(exported.output)
            let verified = try await hitch(["audit", "verify"])
            #expect(verified.stdout.contains("audit log intact"))
            outputs.append(verified.output)
            let logout = try await HitchBinary.run(["logout"], environment: signedIn)
            #expect(logout.status == 0 && !FileManager.default.fileExists(atPath: tokenPath), "\(logout.output)")
            var withOldToken = environment
            withOldToken["HITCH_TOKEN"] = loginToken
            #expect(try await HitchBinary.run(["whoami"], environment: withOldToken).status == 6, "logout revoked the token")

            let responses = try await Self.apiResponses(address: server.address, token: token)
            let runningFiles = try Self.filesOf(configuration.dataDirectory)
            server.stop()
            let stoppedFiles = try Self.filesOf(configuration.dataDirectory)

            let everything: [(String, Data)] =
                outputs.enumerated().map { ("CLI output \($0.offset)", Data($0.element.utf8)) }
                + responses.map { ("API \($0.0)", Data($0.1.utf8)) }
                + [("server log", Data(server.log.utf8))]
                + runningFiles.map { ("data file (running) \($0.0)", $0.1) }
                + stoppedFiles.map { ("data file (stopped) \($0.0)", $0.1) }
            for (place, bytes) in everything {
                for secret in Array(Self.canaries.values) + [apiKey, loginToken, issuedToken, "CANARYinvalidSecret", "CANARY"] {
                    #expect(bytes.range(of: Data(secret.utf8)) == nil, "a secret appears in \(place)")
                }
            }
            #expect(server.log.contains("trace"), "the server logged at trace level")
            #expect(!runningFiles.isEmpty)
        }
    }

    static var baseEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { $0.key == "PATH" || $0.key == "TMPDIR" }
        environment["HOME"] = NSTemporaryDirectory()
        return environment
    }

    /// Raw API responses for every route that reads connections, identities or the audit log.
    static func apiResponses(address: String, token: String) async throws -> [(String, String)] {
        var responses: [(String, String)] = []
        let paths = ["/v1/connections", "/v1/connection-kinds", "/v1/users", "/v1/tokens?all=true", "/v1/whoami",
                     "/v1/audit?limit=1000", "/v1/audit/export", "/v1/audit/verify"] + ["e2e-vsphere", "e2e-aws", "e2e-partner", "e2e-agents"]
            .flatMap { ["/v1/connections/\($0)", "/v1/connections/\($0)/versions"] }
        for path in paths {
            var request = HTTPClientRequest(url: address + path)
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status == .ok, "\(path)")
            let body = try await response.body.collect(upTo: 10 << 20)
            responses.append((path, String(buffer: body)))
        }
        return responses
    }

    /// Every file under the data directory: database, WAL, shared memory, key and token files.
    static func filesOf(_ directory: String) throws -> [(String, Data)] {
        try FileManager.default.contentsOfDirectory(atPath: directory).map { name in
            (name, try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
        }
    }
}
