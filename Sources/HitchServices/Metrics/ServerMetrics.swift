import HitchDomain
import HitchPlatforms
import Metrics
import Prometheus
import Synchronization

/// The server's metrics, reported through swift-metrics and exported by swift-prometheus at /metrics. No label
/// carries a connection's name, a user's name or a secret: labels are operations, status codes, kinds, inventory
/// types, failure codes and backends, all from fixed sets.
public enum ServerMetrics {
    public static let version = "0.1.0"

    /// Makes swift-prometheus the process's metrics backend (once, at `hitch serve`) and returns its registry.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
            .seconds(30), .seconds(60),
        ]
        factory.valueHistogramBuckets = ["hitch_sqlite_commit_transactions": [1, 2, 4, 8, 16, 32, 64]]
        MetricsSystem.bootstrap(factory)
        return registry
    }

    /// A request, by its operation (an API operation id, or one of a few fixed names) and status.
    package static func request(operation: String?, path: String, status: Int, took duration: Duration) {
        let handles = requestHandles.handles(operation: operationLabel(operation, path: path), status: status)
        handles.count.increment()
        handles.duration.record(duration: duration)
    }

    /// The request metrics' handles, made once per operation and status: making one looks it up in the registry
    /// under a lock, which profiles showed on every request.
    private static let requestHandles = RequestHandles()

    private final class RequestHandles: Sendable {
        private let made = Mutex<[String: (count: Metrics.Counter, duration: Metrics.Timer)]>([:])

        func handles(operation: String, status: Int) -> (count: Metrics.Counter, duration: Metrics.Timer) {
            let key = operation + " " + String(status)
            if let handles = made.withLock({ $0[key] }) { return handles }
            let handles = (
                Counter(label: "hitch_http_requests_total", dimensions: [("operation", operation), ("status", String(status))]),
                Timer(label: "hitch_http_request_duration_seconds", dimensions: [("operation", operation)])
            )
            made.withLock { $0[key] = handles }
            return handles
        }
    }

    /// An operation id names one of the document's operations; a dashboard page, a fixed route or an unknown path
    /// gets a fixed name, so that no path (which may name a connection) becomes a label.
    static func operationLabel(_ operation: String?, path: String) -> String {
        if path == "/ui" || path.hasPrefix("/ui/") { return "dashboard" }
        if let operation { return operation }
        switch path {
        case "/metrics": return "metrics"
        case "/openapi.yaml": return "openapi"
        default: return "unmatched"
        }
    }

    /// A connection test's outcome: ok, or the failing stage's code.
    static func connectionTest(kind: ConnectionKind, report: TestReport) {
        let outcome = report.passed ? "ok" : (report.failedStage?.failure?.rawValue ?? "error")
        Counter(label: "hitch_connection_tests_total", dimensions: [("kind", kind.rawValue), ("outcome", outcome)]).increment()
        Timer(label: "hitch_connection_test_duration_seconds", dimensions: [("kind", kind.rawValue)])
            .recordSeconds(report.duration)
    }

    /// A webhook delivery attempt, by event and outcome (`delivered`, `retry`, `failed`: given up after a day).
    static func webhookAttempt(event: String, outcome: String) {
        Counter(label: "hitch_webhook_attempts_total", dimensions: [("event", event), ("outcome", outcome)]).increment()
    }

    /// The checks the schedule ran on this server.
    static func scheduledChecks(_ count: Int) {
        guard count > 0 else { return }
        Counter(label: "hitch_scheduled_checks_total").increment(by: count)
    }

    /// The objects a finished discovery read, by inventory type.
    static func discovered(_ counts: [InventoryType: Int]) {
        for (type, count) in counts where count > 0 {
            Counter(label: "hitch_discovery_objects_total", dimensions: [("type", type.rawValue)]).increment(by: count)
        }
    }
}
