import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One keep-alive HTTPS connection whose handshake applies Hitch's TLS policy itself: the system's trust and host
/// name, a pinned leaf thumbprint checked on this very connection (no gap between a check and the use), or none.
/// AsyncHTTPClient cannot take a verification callback, and trusting a pinned leaf as a root fails in BoringSSL
/// unless the leaf is a CA.
final class PolicyHTTPSConnection: Sendable {
    struct Response: Sendable {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: ByteBuffer
    }

    private let channel: any Channel
    private let collector: ResponseCollector
    let host: String
    private let timeout: TimeAmount

    private init(channel: any Channel, collector: ResponseCollector, host: String, timeout: TimeAmount) {
        self.channel = channel
        self.collector = collector
        self.host = host
        self.timeout = timeout
    }

    /// `plainHTTP` is for a local emulator on a loopback address only (see `HTTPSLocation`); everything else is
    /// HTTPS.
    static func connect(
        host: String, port: Int, policy: TLSPolicy, timeout: TimeAmount, plainHTTP: Bool = false
    ) async throws -> PolicyHTTPSConnection {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if policy != .systemTrust { configuration.certificateVerification = .none }
        let context = try NIOSSLContext(configuration: configuration)
        let serverName = EndpointProbe.isIPAddress(host) ? nil : host
        let collector = ResponseCollector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if plainHTTP {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(collector)
                        return
                    }
                    let tls: NIOSSLClientHandler
                    switch policy {
                    case .systemTrust:
                        tls = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                    case .insecure:
                        tls = try NIOSSLClientHandler(context: context, serverHostname: serverName) { _, promise in
                            promise.succeed(.certificateVerified)
                        }
                    case .pinned(let thumbprint):
                        tls = try NIOSSLClientHandler(context: context, serverHostname: serverName) { chain, promise in
                            let matches = chain.first.flatMap { try? $0.toDERBytes() }
                                .map { SHA256.hash(data: $0).map { String(format: "%02x", $0) }.joined() == thumbprint }
                            promise.succeed(matches == true ? .certificateVerified : .failed)
                        }
                    }
                    try channel.pipeline.syncOperations.addHandler(tls)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: host, port: port).get()
        return PolicyHTTPSConnection(channel: channel, collector: collector, host: host, timeout: timeout)
    }

    /// One request and its whole response (up to 64 MiB), within the timeout.
    func send(_ method: HTTPMethod, path: String, headers: HTTPHeaders, body: ByteBuffer?) async throws -> Response {
        var headers = headers
        if !headers.contains(name: "Host") { headers.add(name: "Host", value: host) }
        headers.replaceOrAdd(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        let channel = self.channel
        let collector = self.collector
        let timeout = self.timeout
        return try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<Response> in
            let promise = channel.eventLoop.makePromise(of: Response.self)
            collector.expect(promise)
            let deadline = channel.eventLoop.scheduleTask(in: timeout) {
                promise.fail(ChannelError.connectTimeout(timeout))
                channel.close(promise: nil)
            }
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            return promise.futureResult.always { _ in deadline.cancel() }
        }.get()
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// Gathers one response at a time; used on the channel's event loop only.
private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    private var promise: EventLoopPromise<PolicyHTTPSConnection.Response>?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    static let maximumBody = 64 << 20

    func expect(_ promise: EventLoopPromise<PolicyHTTPSConnection.Response>) {
        self.promise = promise
        head = nil
        body.clear()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body(var buffer):
            if body.readableBytes + buffer.readableBytes > Self.maximumBody {
                promise?.fail(ChannelError.inputClosed)
                promise = nil
                context.close(promise: nil)
            } else {
                body.writeBuffer(&buffer)
            }
        case .end:
            if let head { promise?.succeed(.init(status: head.status, headers: head.headers, body: body)) }
            promise = nil
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise?.fail(error)
        promise = nil
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise?.fail(ChannelError.eof)
        promise = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        promise?.fail(ChannelError.ioOnClosedChannel)
        promise = nil
    }
}
