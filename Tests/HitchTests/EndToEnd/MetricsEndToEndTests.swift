import AsyncHTTPClient
import Foundation
@testable import HitchServices
import NIOCore
import NIOHTTP1
import Testing

/// `/metrics` of a running `hitch serve`, scraped as Prometheus would: between two scrapes, the counters move by
/// what was done (tests by kind and outcome, requests by operation and status, the objects a discovery read, audit
/// appends, transactions), the job gauge counts the discovery; no connection name, user name or secret is in it;
/// it needs an admin's or an auditor's token.
@Suite(.enabled(if: VCSimPeer.isAvailable, "the vCenter simulator runs under scripts/test"))
struct MetricsEndToEndTests {
    static let account = VCSimInstance.User(
        username: "metrics-ro@vsphere.local", password: "CANARYmetricsPw-41a7", role: "ReadOnly", entity: "datacenter")

    @Test(arguments: TestBackend.all)
    func countersMoveByWhatWasDoneAndNameNoOne(backend: TestBackend) async throws {
        let simulator = try VCSimInstance.start(users: [Self.account], arguments: ["-vms", "2"])
        defer { simulator.stop() }
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        try await backend.withConfiguration { configuration in
            let started = try await SignedInServer(configuration)
            defer { started.server.stop() }
            let cli = CLIRecorder()
            let admin = started.environment
            try await cli.run(
                ["connection", "create", "vsphere", "lab-metrics", "--vcenter", simulator.hostPort, "--username", Self.account.username,
                 "--password-stdin", "--datacenter", "DC0", "--thumbprint", simulator.thumbprint],
                as: admin, stdin: Self.account.password, expect: 0)
            try await cli.run(
                ["connection", "create", "vsphere", "vc-down-metrics", "--vcenter", "127.0.0.1:1", "--username", "nobody-metrics",
                 "--password-stdin"],
                as: admin, stdin: "CANARYdownPw-5", expect: 0)
            let auditor = try await started.environment(ofService: "metrics-auditor", role: "auditor")
            let viewer = try await started.environment(ofService: "metrics-viewer", role: "viewer")

            let metrics = started.server.address + "/metrics"
            #expect(try await Self.scrape(metrics, token: nil).status == 401)
            #expect(try await Self.scrape(metrics, token: viewer["HITCH_TOKEN"]).status == 403)
            let before = try await Self.scrape(metrics, token: auditor["HITCH_TOKEN"])
            #expect(before.status == 200, "\(before.text)")

            try await cli.run(["connection", "test", "lab-metrics"], as: admin, expect: 0)
            try await cli.run(["connection", "test", "vc-down-metrics"], as: admin, expect: 3)
            try await cli.run(["discovery", "run", "lab-metrics", "--wait"], as: admin, expect: 0)

            let after = try await Self.scrape(metrics, token: admin["HITCH_TOKEN"])
            #expect(after.status == 200)
            let a = Self.samples(before.text)
            let b = Self.samples(after.text)
            func moved(_ sample: String) -> Double { (b[sample] ?? 0) - (a[sample] ?? 0) }
            #expect(moved(#"hitch_connection_tests_total{kind="vsphere",outcome="ok"}"#) == 1, "\(after.text)")
            #expect(moved(#"hitch_connection_tests_total{kind="vsphere",outcome="unreachable"}"#) == 1)
            #expect(moved(#"hitch_connection_test_duration_seconds_count{kind="vsphere"}"#) == 2)
            #expect(moved(#"hitch_http_requests_total{operation="testConnection",status="200"}"#) == 2)
            #expect(moved(#"hitch_http_requests_total{operation="startDiscovery",status="202"}"#) == 1, "\(b.keys.filter { $0.contains("Discovery") })")
            let objects = simulator.counts.values.reduce(0, +)
            let discovered = b.filter { $0.key.hasPrefix("hitch_discovery_objects_total{") }.values.reduce(0, +)
                - a.filter { $0.key.hasPrefix("hitch_discovery_objects_total{") }.values.reduce(0, +)
            #expect(discovered == Double(objects), "\(simulator.counts)")
            #expect(moved(#"hitch_discovery_objects_total{type="vm"}"#) == Double(simulator.counts["vm"] ?? -1))
            #expect(b[#"hitch_jobs{kind="discovery",state="succeeded"}"#] == 1)
            #expect(moved("hitch_audit_appends_total") >= 4, "two tests, the discovery's start and finish")
            #expect(moved(#"hitch_db_transaction_duration_seconds_count{backend="\#(configuration.databaseURL == nil ? "sqlite" : "postgres")"}"#) >= 4)
            if configuration.databaseURL == nil { #expect(moved("hitch_sqlite_commit_transactions_count") >= 4) }
            #expect(b.keys.contains { $0.hasPrefix("hitch_build_info{") })

            for private_ in ["lab-metrics", "vc-down-metrics", Self.account.username, "nobody-metrics", "metrics-auditor", "metrics-viewer",
                             Self.account.password, "CANARYdownPw-5", admin["HITCH_TOKEN"]!, auditor["HITCH_TOKEN"]!] {
                #expect(!after.text.contains(private_), "\(private_) is in /metrics")
            }
        }
    }

    /// `--metrics-public` opens /metrics to a scraper without a token; the API still needs one.
    @Test func metricsPublicNeedsNoToken() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try await ServerProcess(
            arguments: ["--data-dir", directory.path + "/data", "--metrics-public"], environment: CanaryEndToEndTests.baseEnvironment,
            logPath: directory.path + "/log")
        defer { server.stop() }
        let open = try await Self.scrape(server.address + "/metrics", token: nil)
        #expect(open.status == 200 && open.text.contains("hitch_build_info"), "\(open.text)")
        #expect(try await Self.scrape(server.address + "/v1/connections", token: nil).status == 401)
    }

    /// GET /metrics with a bearer token (or none).
    static func scrape(_ url: String, token: String?) async throws -> (status: Int, text: String) {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    /// Each sample line, `name{labels} value`, by `name{labels}`.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}
