import HitchAPI
import HitchAPIDocument
import HitchDashboard
import HitchHTTP
import HitchServices
import Hummingbird
import HummingbirdCore
import Logging
import OpenAPIHummingbird
import Prometheus

/// Builds the HTTP application on a started runtime. The CLI's `serve` and the tests both call this.
/// With a serving certificate, it serves HTTPS with it.
public func buildApplication(
    runtime: HitchRuntime, configuration: HitchConfiguration, logger: Logger, certificate: ServingCertificate? = nil
) throws -> some ApplicationProtocol {
    let router = try buildRouter(runtime: runtime, configuration: configuration, logger: logger)
    let http = runtime.http
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [HeaderDeadlineHandler(seconds: http.headerSeconds)],
        idleTimeout: .seconds(Int64(http.idleSeconds)))
    let server: HTTPServerBuilder
    if let certificate {
        server = HTTPServerBuilder { responder in
            ReloadingTLSChannel(base: HTTP1Channel(responder: responder, configuration: http1), certificate: certificate)
        }
    } else {
        server = .http1(configuration: http1)
    }
    return Application(
        router: router, server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "hitch"),
        logger: logger)
}

func buildRouter(runtime: HitchRuntime, configuration: HitchConfiguration, logger: Logger) throws -> Router<HitchRequestContext> {
    let router = Router(context: HitchRequestContext.self)
    router.add(middleware: RequestOriginMiddleware(trustedProxies: runtime.http.trustedProxies))
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: ErrorMiddleware())
    let routes = RouteMethods()
    router.add(middleware: MethodNotAllowedMiddleware(routes: routes))
    router.add(middleware: RequestBodyLimitMiddleware(maximumBytes: runtime.http.maximumBodyBytes))
    router.add(middleware: JSONNullRefusalMiddleware())
    router.add(middleware: AuthMiddleware(authenticator: runtime.authenticator))
    let document = try OpenAPIDocument.text()
    router.get("/openapi.yaml") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/yaml"],
            body: .init(byteBuffer: ByteBuffer(string: document)))
    }
    MetricsEndpoint(
        runtime: runtime, registry: configuration.metricsRegistry ?? PrometheusCollectorRegistry(),
        isPublic: configuration.metricsPublic, logger: logger
    ).register(on: router)
    let handlers = APIHandlers(runtime: runtime, logger: logger)
    let gate = AccessGate(runtime: runtime, logger: logger)
    try handlers.registerHandlers(on: router, configuration: .hitchServer, middlewares: [
        AccessMiddleware(gate: gate), ConnectionAnswers(runtime: runtime, logger: logger), EntityTagMiddleware(),
    ])
    Dashboard(
        runtime: runtime, handlers: handlers, gate: gate, renderer: try DashboardRenderer.load(),
        secureCookies: configuration.cookiesAreSecure, logger: logger
    ).register(on: router)
    routes.record(router)
    return router
}

/// Runs a server until SIGTERM or SIGINT: opens storage, checks the key, migrates, serves.
public func runServer(configuration: HitchConfiguration, logger: Logger) async throws {
    // Where and how it listens is checked before anything on disk is opened.
    try ListenPolicy.check(host: configuration.host, servesTLS: configuration.tls != nil, allowPlainHTTP: configuration.allowPlainHTTP)
    let certificate = try configuration.tls.map { try ServingCertificate(files: $0, logger: logger) }
    if certificate == nil, let warning = ListenPolicy.plainHTTPWarning(host: configuration.host) { logger.warning("\(warning)") }
    try await StorageRuntime.withBackend(configuration, logger: logger) { backend in
        let runtime = try await HitchRuntime.start(backend: backend, configuration: configuration, logger: logger)
        let app = try buildApplication(runtime: runtime, configuration: configuration, logger: logger, certificate: certificate)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                if let certificate { group.addTask { await certificate.reloadOnHangup(logger: logger) } }
                group.addTask { await runtime.followRotations(logger: logger) }
                group.addTask { await runtime.endExpiredLeases(logger: logger) }
                group.addTask { await runtime.maintainKeys(logger: logger) }
                group.addTask { await runtime.rotateAutomatically(logger: logger) }
                group.addTask { await runtime.watchConnections(logger: logger) }
                group.addTask { await runtime.deliverWebhooks(logger: logger) }
                try await app.runService()
                group.cancelAll()
            }
        } catch {
            await runtime.shutDownJobs()
            throw error
        }
        // Running jobs end as stopped, and platform sessions are logged out rather than left to expire.
        await runtime.shutDownJobs()
    }
}
