import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One keep-alive HTTP/1.1 connection over a channel that `EndpointProbe` opened and, unless it is a local
/// emulator's plain HTTP, secured under the connection's TLS policy. AsyncHTTPClient cannot take a verification
/// callback, and trusting a pinned leaf as a root fails in BoringSSL unless the leaf is a CA.
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

    /// The most a test reads of one answer: tests run up to 64 at once, so their worst case stays small.
    static let testResponseLimit = 4 << 20
    /// The most a job's session reads of one answer (a discovery page of 500 VMs).
    static let jobResponseLimit = 64 << 20

    init(channel: any Channel, host: String, timeout: TimeAmount, maximumResponseBytes: Int = testResponseLimit) async throws {
        let collector = ResponseCollector(maximumBody: maximumResponseBytes)
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            try channel.pipeline.syncOperations.addHandler(collector)
        }.get()
        self.channel = channel
        self.collector = collector
        self.host = host
        self.timeout = timeout
    }

    /// A connection whose failure to open is reported as `stage`'s, keeping the code (unreachable, tls-untrusted,
    /// timeout) and the presented certificate: for a test's second host, whose stages are not reported one by one.
    static func connect(
        host: String, port: Int, policy: TLSPolicy, timeout: TimeAmount, plainHTTP: Bool = false, remembered: String? = nil,
        stage: TestStage
    ) async throws(StageFailure) -> PolicyHTTPSConnection {
        var stages: [StageResult] = []
        do {
            return try await EndpointProbe(
                host: host, port: port, policy: policy, timeout: timeout, plainHTTP: plainHTTP, remembered: remembered
            ).open(into: &stages)
        } catch {
            throw StageFailure(stage, error.code, error.message, certificate: error.certificate)
        }
    }

    /// One request and its whole response (up to the connection's limit: 4 MiB for a test, 64 MiB for a job),
    /// within the timeout. Requests from concurrent callers
    /// go out one after another: each is written once the answer to the one before has arrived.
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
            let previous = collector.queue(promise.futureResult.map { _ in () })
            previous.whenComplete { _ in
                // A connection closed meanwhile (a logout shuts it) answers nothing: fail now, not at the timeout.
                guard channel.isActive else {
                    promise.fail(ChannelError.ioOnClosedChannel)
                    return
                }
                collector.expect(promise)
                let deadline = channel.eventLoop.scheduleTask(in: timeout) {
                    promise.fail(ChannelError.connectTimeout(timeout))
                    channel.close(promise: nil)
                }
                promise.futureResult.whenComplete { _ in deadline.cancel() }
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
                channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { collector.abandon(promise, $0) }
            }
            return promise.futureResult
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
    /// Completes when the last request queued has its answer (or failed).
    private var tail: EventLoopFuture<Void>?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    private let maximumBody: Int

    init(maximumBody: Int) {
        self.maximumBody = maximumBody
    }

    /// Makes `request` the last in line; returns what it must wait for.
    func queue(_ request: EventLoopFuture<Void>) -> EventLoopFuture<Void> {
        let previous = tail ?? request.eventLoop.makeSucceededVoidFuture()
        tail = request.recover { _ in () }
        return previous
    }

    func expect(_ promise: EventLoopPromise<PolicyHTTPSConnection.Response>) {
        self.promise = promise
        head = nil
        body.clear()
    }

    /// Fails `promise` if it is still the one waiting: its request could not be written.
    func abandon(_ promise: EventLoopPromise<PolicyHTTPSConnection.Response>, _ error: any Error) {
        guard self.promise?.futureResult === promise.futureResult else { return }
        finish()?.fail(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body(var buffer):
            if body.readableBytes + buffer.readableBytes > maximumBody {
                finish()?.fail(ChannelError.inputClosed)
                context.close(promise: nil)
            } else {
                body.writeBuffer(&buffer)
            }
        case .end:
            let response = head.map { PolicyHTTPSConnection.Response(status: $0.status, headers: $0.headers, body: body) }
            if let response { finish()?.succeed(response) } else { finish()?.fail(ChannelError.inputClosed) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish()?.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()?.fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()?.fail(ChannelError.ioOnClosedChannel)
    }

    /// Takes the promise of the request being answered, before it is completed: completing it writes the next
    /// request in line at once, which sets the promise that request's answer completes.
    private func finish() -> EventLoopPromise<PolicyHTTPSConnection.Response>? {
        defer { promise = nil }
        return promise
    }
}
