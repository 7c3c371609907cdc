import AsyncHTTPClient
import Foundation
import HitchServices
import NIOCore
import NIOHTTP1
import Testing

/// Nothing acknowledged is lost when the server dies: four clients create and rotate connections while `hitch serve`
/// is killed (SIGKILL), three times; and stopped (SIGTERM) under the same load, where what is in flight finishes and
/// new requests are refused. After each restart every acknowledged write is there, every secret opens in a real
/// use (a Test Connection that signs in to the vCenter simulator), and `hitch audit verify` passes. Both backends.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"), .timeLimit(.minutes(5)))
struct CrashEndToEndTests {
    @Test(arguments: TestBackend.all)
    func killedThreeTimesUnderLoadLosesNothingAcknowledged(backend: TestBackend) async throws {
        let peer = try VCSimPeer.required()
        try await backend.withConfiguration { configuration in
            let ledger = Ledger()
            var server = try await SignedInServer(configuration)
            let token = try #require(server.environment["HITCH_TOKEN"])
            for round in 0..<3 {
                let load = Load(address: server.server.address, token: token, peer: peer, ledger: ledger, round: round)
                let clients = Task { await load.run(clients: 4) }
                await ledger.waitForAcknowledged(atLeast: 16 * (round + 1))
                kill(server.server.process.processIdentifier, SIGKILL)
                server.server.process.waitUntilExit()
                await clients.value
                server = try await Self.restart(configuration, token: token, round: round)
                try await Self.expectEverythingAcknowledged(ledger, server: server, configuration: configuration)
            }
            server.server.stop()
        }
    }

    @Test(arguments: TestBackend.all)
    func aStopUnderLoadFinishesWhatIsInFlightAndRefusesTheRest(backend: TestBackend) async throws {
        let peer = try VCSimPeer.required()
        try await backend.withConfiguration { configuration in
            let ledger = Ledger()
            let server = try await SignedInServer(configuration)
            let token = try #require(server.environment["HITCH_TOKEN"])
            let load = Load(address: server.server.address, token: token, peer: peer, ledger: ledger, round: 0)
            let clients = Task { await load.run(clients: 4) }
            await ledger.waitForAcknowledged(atLeast: 16)
            // A long request in flight when the stop comes: a bulk test through the CLI, one connection at a time.
            let existing = await ledger.names.count
            let environment = server.environment
            let inFlight = Task { try await HitchBinary.run(["connection", "test", "--all", "--concurrency", "1", "-o", "json"], environment: environment) }
            // In flight once it has audited the uses it is about to make (nothing else here tests).
            for _ in 0..<500 {
                let uses = try await load.send(.GET, "/v1/audit?action=connection.use&limit=1")
                if uses.text.contains("connection.use") { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            server.server.process.terminate()
            // Once the server has closed its listener (its trace log says so), a new request is refused.
            for _ in 0..<500 where !server.server.log.contains("Server State: shutdown") {
                try await Task.sleep(for: .milliseconds(20))
            }
            let refused = try await HitchBinary.run(["whoami"], environment: server.environment)
            #expect(refused.status != 0, "a new request after the stop was served: \(refused.output)")
            let answer = try await inFlight.value
            #expect(answer.status == 0, "\(answer.output.suffix(600))")
            let passed = answer.stdout.components(separatedBy: "\"passed\" : true").count - 1
            #expect(passed >= existing && !answer.stdout.contains("\"passed\" : false"), "\(existing): \(answer.output.suffix(600))")
            await clients.value
            server.server.process.waitUntilExit()
            #expect(server.server.process.terminationStatus == 0, "\(server.server.log.suffix(2000))")
            #expect(await ledger.serverErrors == [], "no request was answered with a server error")
            let restarted = try await Self.restart(configuration, token: token, round: 1)
            try await Self.expectEverythingAcknowledged(ledger, server: restarted, configuration: configuration)
            restarted.server.stop()
        }
    }

    static func restart(_ configuration: HitchConfiguration, token: String, round: Int) async throws -> SignedInServer {
        var arguments = ["--data-dir", configuration.dataDirectory, "--log-level", "info"]
        if let url = configuration.databaseURL { arguments += ["--database-url", url] }
        let process = try await ServerProcess(
            arguments: arguments, environment: CanaryEndToEndTests.baseEnvironment,
            logPath: configuration.dataDirectory + "-restart-\(round).log")
        var environment = CanaryEndToEndTests.baseEnvironment
        environment["HITCH_ADDR"] = process.address
        environment["HITCH_TOKEN"] = token
        return SignedInServer(server: process, environment: environment)
    }

    /// Every acknowledged connection is there at its acknowledged credential version or later, every stored secret
    /// signs in to the simulator, and the audit log verifies.
    static func expectEverythingAcknowledged(_ ledger: Ledger, server: SignedInServer, configuration: HitchConfiguration) async throws {
        let load = Load(address: server.server.address, token: try #require(server.environment["HITCH_TOKEN"]), peer: try VCSimPeer.required(), ledger: ledger, round: 0)
        let listed = try await load.send(.GET, "/v1/connections")
        let connections = try #require((try JSONSerialization.jsonObject(with: Data(listed.text.utf8)) as? [String: Any])?["connections"] as? [[String: Any]])
        var versions: [String: Int] = [:]
        for connection in connections {
            if let name = connection["name"] as? String { versions[name] = connection["credentialVersion"] as? Int ?? 0 }
        }
        for (name, version) in await ledger.acknowledged {
            #expect((versions[name] ?? 0) >= version, "\(name): acknowledged at version \(version), found \(versions[name].map(String.init) ?? "nothing")")
        }
        let tested = try await load.send(.POST, "/v1/connection-tests", json: ["concurrency": 16, "timeout": 60], timeout: 120)
        let lines = tested.text.split(separator: "\n")
        #expect(lines.count == connections.count, "\(tested.text.suffix(300))")
        for line in lines where !line.contains("\"passed\":true") { Issue.record("a stored secret did not sign in: \(line.prefix(300))") }
        let verified = try await HitchBinary.run(["audit", "verify"], environment: server.environment)
        #expect(verified.status == 0, "\(verified.output)")
    }
}

/// What the server acknowledged: each connection's credential version in the last 2xx answer for it.
actor Ledger {
    private(set) var acknowledged: [String: Int] = [:]
    private(set) var serverErrors: [String] = []
    private var waiters: [(Int, CheckedContinuation<Void, Never>)] = []
    private var count = 0

    func acknowledge(_ name: String, version: Int) {
        acknowledged[name] = max(acknowledged[name] ?? 0, version)
        count += 1
        waiters.removeAll { limit, continuation in
            guard count >= limit else { return false }
            continuation.resume()
            return true
        }
    }

    func serverError(_ text: String) { serverErrors.append(text) }

    func waitForAcknowledged(atLeast limit: Int) async {
        if count >= limit { return }
        await withCheckedContinuation { waiters.append((limit, $0)) }
    }

    var names: [String] { Array(acknowledged.keys) }
}

/// Clients that create vSphere connections to the simulator and rotate them, until the server stops answering.
struct Load: Sendable {
    let address: String
    let token: String
    let peer: VCSimPeer
    let ledger: Ledger
    let round: Int

    func run(clients: Int) async {
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask { await run(client: client) }
            }
        }
    }

    private func run(client: Int) async {
        var mine: [String] = []
        for step in 0..<400 {
            do {
                let name = "r\(round)-c\(client)-\(step)"
                let created = try await send(.POST, "/v1/connections", json: [
                    "kind": "vsphere", "name": name,
                    "fields": ["vcenter": peer.hostPort, "username": peer.username, "datacenter": "DC0", "thumbprint": peer.thumbprint],
                    "secrets": ["password": peer.password],
                ])
                try await record(created, name: name)
                mine.append(name)
                if let earlier = mine.dropLast().randomElement() {
                    let rotated = try await send(.PATCH, "/v1/connections/\(earlier)", json: ["secrets": ["password": peer.password]])
                    try await record(rotated, name: earlier)
                }
            } catch {
                return  // the server is gone
            }
        }
    }

    private func record(_ answer: (status: HTTPResponseStatus, text: String), name: String) async throws {
        if answer.status.code >= 500 { await ledger.serverError("\(answer.status): \(answer.text.prefix(200))") }
        guard answer.status == .created || answer.status == .ok else { return }
        let object = try JSONSerialization.jsonObject(with: Data(answer.text.utf8)) as? [String: Any]
        let connection = (object?["connection"] as? [String: Any]) ?? object
        await ledger.acknowledge(name, version: connection?["credentialVersion"] as? Int ?? 1)
    }

    /// One request, with a `timeout`: a killed server's connections are refused or reset at once, and the bound
    /// only ends a request that hangs. It is long enough for a loaded machine, where a durable create has taken over
    /// 10 s; a client that timed out against a live server stopped, and the test then waited for writes that never came.
    func send(
        _ method: HTTPMethod, _ path: String, json: [String: Any]? = nil, timeout: Int64 = 30
    ) async throws -> (status: HTTPResponseStatus, text: String) {
        var request = HTTPClientRequest(url: address + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeout))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (response.status, String(buffer: body))
    }
}

