import Foundation
import HitchDomain
import NIOCore
import NIOHTTP1

/// What a Nutanix test needs from a connection.
public struct NutanixTarget: Sendable {
    public var endpoint: String
    public var username: String
    public var password: SecretValue
    public var clusterName: String?
    public var insecure: Bool
    public var thumbprint: String?
    /// The certificate this connection first passed with, when it has no pin (see `EndpointProbe.remembered`).
    public var rememberedThumbprint: String?

    public init(
        endpoint: String, username: String, password: SecretValue, clusterName: String?, insecure: Bool,
        thumbprint: String?
    ) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.clusterName = clusterName
        self.insecure = insecure
        self.thumbprint = thumbprint
    }
}

/// Tests a Prism Central connection on its v3 API with basic authentication: `POST /api/nutanix/v3/clusters/list`
/// authenticates, authorizes and lists the clusters, in which `clusterName` must be found exactly.
public enum NutanixTester {
    static let defaultPort = 9440

    public static func test(_ target: NutanixTarget, timeout: TimeAmount = .seconds(15)) async -> TestReport {
        await TestReport.run { report in
            let policy = TLSPolicy.of(insecure: target.insecure, thumbprint: target.thumbprint)
            if policy == .insecure { report.warnings.append("insecure is on: the server's certificate was not verified") }
            let (host, port) = Endpoint.split(target.endpoint, defaultPort: defaultPort)
            let connection = try await EndpointProbe(
                host: host, port: port, policy: policy, timeout: timeout, remembered: target.rememberedThumbprint)
                .open(into: &report.stages)
            defer { connection.close() }
            try await clusterStages(target, connection: connection, into: &report.stages)
        }
    }

    private static func clusterStages(
        _ target: NutanixTarget, connection: PolicyHTTPSConnection, into stages: inout [StageResult]
    ) async throws {
        var headers = HTTPHeaders()
        let credentials = Data("\(target.username):\(target.password.exposedValue)".utf8).base64EncodedString()
        headers.add(name: "Authorization", value: "Basic \(credentials)")
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Accept", value: "application/json")
        var names: [String] = []
        var offset = 0
        // Prism Central answers pages of at most 500; a large estate takes several.
        for page in 0..<Self.maximumPages {
            let response: PolicyHTTPSConnection.Response
            do {
                response = try await connection.send(
                    .POST, path: "/api/nutanix/v3/clusters/list", headers: headers,
                    body: ByteBuffer(string: #"{"kind":"cluster","length":\#(Self.pageLength),"offset":\#(offset)}"#))
            } catch {
                throw StageFailure(.authenticate, .timeout, "no answer from Prism's v3 API")
            }
            switch response.status.code {
            case 200: break
            case 401: throw StageFailure(.authenticate, .authFailed, "Prism refused the username or password (not retried)")
            case 403: throw StageFailure(.authorize, .insufficientPrivileges, "the account may not list clusters")
            case 404: throw await Self.notPrismCentral(connection: connection, headers: headers)
            default: throw StageFailure(.authenticate, .error, "Prism answered \(response.status.code)")
            }
            if page == 0 { stages.append(.ok(.authenticate, "signed in to Prism as \(target.username)")) }
            guard let listed = Self.clusterPage(response.body) else {
                throw StageFailure(.authorize, .error, "Prism's cluster list could not be read")
            }
            names += listed.names
            offset += listed.count
            if listed.count == 0 || offset >= listed.total { break }
        }
        stages.append(.ok(.authorize, "listed \(names.count) cluster(s)"))
        guard let wanted = target.clusterName, !wanted.isEmpty else {
            return stages.append(.ok(.objects, "no cluster named"))
        }
        if names.contains(wanted) { return stages.append(.ok(.objects, "found cluster '\(wanted)'")) }
        var message = "cluster '\(wanted)' not found"
        if let near = names.first(where: { $0.lowercased() == wanted.lowercased() }) { message += "; did you mean '\(near)'?" }
        throw StageFailure(.objects, .notFound, message)
    }

    static let pageLength = 500
    static let maximumPages = 40

    /// One page of a v3 list answer: the clusters' names (`entities[].status.name`, or `spec.name`) without Prism
    /// Central's own entry (its service list names PRISM_CENTRAL), how many entities the page held, and the total.
    static func clusterPage(_ body: ByteBuffer) -> (names: [String], count: Int, total: Int)? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let entities = object["entities"] as? [[String: Any]]
        else { return nil }
        let names = entities.compactMap { entity -> String? in
            let status = entity["status"] as? [String: Any]
            let services = ((status?["resources"] as? [String: Any])?["config"] as? [String: Any])?["service_list"] as? [String]
            if services?.contains("PRISM_CENTRAL") == true { return nil }
            return (status?["name"] ?? (entity["spec"] as? [String: Any])?["name"]) as? String
        }
        let total = ((object["metadata"] as? [String: Any])?["total_matches"] as? Int) ?? entities.count
        return (names, entities.count, total)
    }

    /// The endpoint answers no v3 API. A Prism Element answers its own v2 API: say so, since v3 is Prism Central's.
    private static func notPrismCentral(connection: PolicyHTTPSConnection, headers: HTTPHeaders) async -> StageFailure {
        let element = try? await connection.send(.GET, path: "/api/nutanix/v2.0/cluster", headers: headers, body: nil)
        if let element, element.status.code != 404 {
            return StageFailure(
                .authenticate, .error,
                "this endpoint is a Prism Element, not Prism Central: Hitch speaks Prism Central's v3 API; point the connection at Prism Central")
        }
        return StageFailure(.authenticate, .error, "no Prism v3 API at this endpoint (404)")
    }
}
