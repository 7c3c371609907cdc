import Foundation
import Logging
import Prometheus

/// How a server runs: read from flags, then the environment, then defaults.
public struct HitchConfiguration: Sendable {
    public var dataDirectory: String
    public var host: String
    public var port: Int
    /// A `postgres://` URL; nil for SQLite in the data directory.
    public var databaseURL: String?
    public var logLevel: Logger.Level
    /// The dashboard's cookies carry `Secure`: browsers reach Hitch through TLS (a proxy in front), and send the
    /// session cookie over TLS only. Always so when Hitch serves TLS itself.
    public var secureCookies: Bool
    /// Serve HTTPS with these PEM files (reloaded on SIGHUP); plain HTTP when nil.
    public var tls: TLSFiles?
    /// Serve plain HTTP on an address beyond loopback (a TLS proxy in front); refused otherwise.
    public var allowPlainHTTP = false
    /// `/metrics` needs no token (a scraper on a trusted network).
    public var metricsPublic = false
    /// Where the process's metrics are kept (`ServerMetrics.bootstrap()`); a server without one exports only what
    /// it reads at each scrape.
    public var metricsRegistry: PrometheusCollectorRegistry?
    /// The process environment, for the master key and the bootstrap token.
    public var environment: [String: String]

    public init(
        dataDirectory: String = "./hitch-data", host: String = "127.0.0.1", port: Int = 8750,
        databaseURL: String? = nil, logLevel: Logger.Level = .info, secureCookies: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.databaseURL = databaseURL
        self.logLevel = logLevel
        self.secureCookies = secureCookies
        self.environment = environment
    }

    /// Whether browsers are told to send the dashboard's cookies over TLS only.
    public var cookiesAreSecure: Bool { secureCookies || tls != nil }

    public var sqlitePath: String { (dataDirectory as NSString).appendingPathComponent("hitch.sqlite") }
}
