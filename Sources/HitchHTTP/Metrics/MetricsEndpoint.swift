import Foundation
import HTTPTypes
import HitchDomain
import HitchServices
import HitchStorage
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// `GET /metrics` in the Prometheus text format, for a bearer token of an admin or an auditor (Prometheus sends one
/// with its `authorization` setting), or for anyone with `--metrics-public`. Job counts are read from the database
/// at each scrape, so every server sharing it reports the same.
package struct MetricsEndpoint {
    let runtime: HitchRuntime
    let registry: PrometheusCollectorRegistry
    let isPublic: Bool
    let logger: Logger

    package func register(on router: Router<HitchRequestContext>) {
        registry.makeGauge(
            descriptor: Self.buildInfo, labels: [("version", ServerMetrics.version), ("backend", runtime.backendName)]
        ).set(to: 1)
        router.get("/metrics") { request, _ in try await respond(to: request) }
    }

    private func respond(to request: Request) async throws -> Response {
        if !isPublic { try await authorize(request) }
        let counts = try await runtime.jobs.counts(logger: logger)
        for kind in JobKind.allCases {
            for state in JobState.allCases {
                let count = counts.first { $0.kind == kind.rawValue && $0.state == state.rawValue }?.count ?? 0
                registry.makeGauge(descriptor: Self.jobs, labels: [("kind", kind.rawValue), ("state", state.rawValue)])
                    .set(to: Double(count))
            }
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }

    private static var buildInfo: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "hitch", metricName: "build", unitName: "info", helpText: "The running version and its storage backend.")
    }

    private static var jobs: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "hitch", metricName: "jobs", unitName: "", helpText: "Jobs by kind and state, read from the database.")
    }

    private func authorize(_ request: Request) async throws {
        guard let header = request.headers[.authorization], let token = BearerToken.parse(header) else {
            throw HitchError(.unauthenticated, "/metrics needs the bearer token of an admin or an auditor")
        }
        let principal = try await runtime.authenticator.principal(bearer: token, logger: logger)
        AccessRecord.current?.actor = principal.name
        guard principal.role == .admin || principal.role == .auditor else {
            throw HitchError(.forbidden, "/metrics is for admins and auditors")
        }
    }

    package init(runtime: HitchRuntime, registry: PrometheusCollectorRegistry, isPublic: Bool, logger: Logger) {
        self.runtime = runtime
        self.registry = registry
        self.isPublic = isPublic
        self.logger = logger
    }
}
