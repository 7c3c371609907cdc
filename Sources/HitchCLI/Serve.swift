import ArgumentParser
import Foundation
import HitchDomain
import HitchPlatforms
import HitchServer
import HitchServices
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Hitch server.",
        discussion: """
            With no database URL, Hitch keeps its data in SQLite in the data directory. The keyring that seals every \
            secret is kept in the database, sealed by the key-encryption key: an AWS KMS key when --kms-key-id names \
            one, else HITCH_MASTER_KEY (base64 of 32 bytes), else <data-dir>/master.key (created on first start, \
            mode 0600). A key that does not open the keyring, or a KMS that cannot be reached, stops the start with \
            nothing changed. On first start it creates the admin identity and writes its token to <data-dir>/bootstrap-token, \
            or takes it from HITCH_BOOTSTRAP_TOKEN.

            The web dashboard is served at /ui on the same address; users sign in with a password.

            TLS: with --tls-cert and --tls-key (PEM), Hitch serves HTTPS only, TLS 1.2 and 1.3, and marks the \
            dashboard's cookies Secure. SIGHUP reads both files again: the next connection gets the new certificate \
            and open ones keep theirs; files that do not load keep the old certificate, and the log says why. On an \
            address that is not loopback, serve refuses plain HTTP unless --allow-plain-http says that a TLS proxy \
            in front is the only way in (and then warns at every start). Pass --secure-cookies when browsers reach \
            Hitch through such a proxy.

            Watching: every connection is tested every HITCH_CHECK_EVERY (6h; 30m, 1d, or never), or its own \
            --check-every, at most HITCH_CHECK_CONCURRENCY (4) at once, once across servers sharing PostgreSQL. \
            Webhooks (`hitch webhook add`) are sent from a queue in the database, retried after \
            HITCH_WEBHOOK_RETRY_SECONDS (30), doubling, for a day.
            """)

    @Option(help: "The data directory (env HITCH_DATA_DIR).") var dataDir: String?
    @Option(help: "HOST:PORT to listen on (env HITCH_BIND).") var bind: String?
    @Option(help: "postgres://user:password@host:port/database (env HITCH_DATABASE_URL); SQLite when not given.")
    var databaseUrl: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (env HITCH_LOG_LEVEL).") var logLevel: String?
    @Option(help: "text (default) or json: one JSON object per line, with time, level, message and metadata (env HITCH_LOG_FORMAT).")
    var logFormat: String?
    @Flag(help: "Mark the dashboard's cookies Secure, for browsers that reach Hitch through TLS (env HITCH_DASHBOARD_SECURE_COOKIES=1).")
    var secureCookies = false
    @Option(help: "The PEM certificate chain to serve HTTPS with, leaf first (env HITCH_TLS_CERT); with --tls-key.")
    var tlsCert: String?
    @Option(help: "The PEM private key of --tls-cert, unencrypted (env HITCH_TLS_KEY); a key others may read is warned of at each load.")
    var tlsKey: String?
    @Flag(help: "Serve plain HTTP on an address that is not loopback, behind a TLS proxy (env HITCH_ALLOW_PLAIN_HTTP=1).")
    var allowPlainHttp = false
    @Flag(help: "Serve /metrics without a token, for a scraper on a trusted network (env HITCH_METRICS_PUBLIC=1).")
    var metricsPublic = false
    @Option(help: "An AWS KMS key (ARN) as the key-encryption key, reached with the server's AWS identity (env HITCH_KMS_KEY_ID).")
    var kmsKeyId: String?
    @Option(help: "A private or test KMS endpoint (env HITCH_KMS_ENDPOINT); https://kms.REGION.amazonaws.com by default.")
    var kmsEndpoint: String?
    @Option(help: "http://host:port of an outbound proxy that platform connections tunnel through with CONNECT (env HTTPS_PROXY, which may carry user:password; NO_PROXY lists hosts reached directly).")
    var httpsProxy: String?

    func validate() throws {
        _ = try makeConfiguration(ProcessInfo.processInfo.environment)
        _ = try Self.jsonLogs(logFormat ?? ProcessInfo.processInfo.environment["HITCH_LOG_FORMAT"])
    }

    private static func flag(_ environment: [String: String], _ name: String) throws -> Bool {
        switch environment[name] {
        case nil, "", "0", "false": return false
        case "1", "true": return true
        case let other?: throw ValidationError("\(name) must be 1, 0, true or false, not '\(other)'")
        }
    }

    /// Whether `--log-format` (or HITCH_LOG_FORMAT) asks for JSON lines.
    static func jsonLogs(_ format: String?) throws -> Bool {
        switch format {
        case nil, "", "text": return false
        case "json": return true
        case let other?: throw ValidationError("--log-format must be text or json, not '\(other)'")
        }
    }

    func run() async throws {
        // The database, its WAL and every file the server writes are for its owner only.
        umask(0o077)
        var configuration = try makeConfiguration(ProcessInfo.processInfo.environment)
        let json = try Self.jsonLogs(logFormat ?? ProcessInfo.processInfo.environment["HITCH_LOG_FORMAT"])
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            if json { return JSONLogHandler(label: label, level: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "hitch")
        configuration.metricsRegistry = ServerMetrics.bootstrap()
        do {
            try await runServer(configuration: configuration, logger: logger)
        } catch {
            throw CLIError("cannot start: \((error as? HitchError)?.message ?? String(describing: error))")
        }
    }

    func makeConfiguration(_ environment: [String: String]) throws -> HitchConfiguration {
        var configuration = HitchConfiguration(environment: environment)
        if let dataDir = dataDir ?? environment["HITCH_DATA_DIR"] { configuration.dataDirectory = dataDir }
        configuration.databaseURL = databaseUrl ?? environment["HITCH_DATABASE_URL"]
        if let bind = bind ?? environment["HITCH_BIND"] {
            guard let colon = bind.lastIndex(of: ":"), let port = Int(bind[bind.index(after: colon)...]),
                (0...65535).contains(port)
            else { throw ValidationError("--bind must be HOST:PORT, e.g. 127.0.0.1:8750") }
            configuration.host = String(bind[..<colon])
            configuration.port = port
        }
        configuration.secureCookies = try secureCookies || Self.flag(environment, "HITCH_DASHBOARD_SECURE_COOKIES")
        configuration.allowPlainHTTP = try allowPlainHttp || Self.flag(environment, "HITCH_ALLOW_PLAIN_HTTP")
        configuration.metricsPublic = try metricsPublic || Self.flag(environment, "HITCH_METRICS_PUBLIC")
        switch (tlsCert ?? environment["HITCH_TLS_CERT"], tlsKey ?? environment["HITCH_TLS_KEY"]) {
        case (nil, nil): break
        case (let certificate?, let key?): configuration.tls = TLSFiles(certificatePath: certificate, keyPath: key)
        default: throw ValidationError("--tls-cert and --tls-key go together")
        }
        if let httpsProxy {
            guard OutboundProxy(url: httpsProxy) != nil else {
                throw ValidationError("--https-proxy must be http://host[:port]")
            }
            // Arguments are visible to every user of the machine (ps, /proc): a proxy password goes in HTTPS_PROXY.
            guard URL(string: httpsProxy)?.user == nil else {
                throw ValidationError("--https-proxy takes no user:password (arguments are visible to other users): put the credentials in HTTPS_PROXY")
            }
            configuration.environment["HTTPS_PROXY"] = httpsProxy
            configuration.environment["https_proxy"] = nil
        }
        if let kmsKeyId { configuration.environment["HITCH_KMS_KEY_ID"] = kmsKeyId }
        if let kmsEndpoint { configuration.environment["HITCH_KMS_ENDPOINT"] = kmsEndpoint }
        if configuration.environment["HITCH_KMS_ENDPOINT"] != nil, configuration.environment["HITCH_KMS_KEY_ID"] == nil {
            throw ValidationError("--kms-endpoint goes with --kms-key-id")
        }
        if let level = logLevel ?? environment["HITCH_LOG_LEVEL"] {
            guard let parsed = Logger.Level(rawValue: level) else {
                throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
            }
            configuration.logLevel = parsed
        }
        return configuration
    }
}
