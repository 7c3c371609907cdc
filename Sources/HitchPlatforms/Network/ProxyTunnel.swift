import Foundation
import NIOCore
import NIOPosix

/// A TCP tunnel to `host:port` through an outbound proxy (HTTP `CONNECT`), over which `EndpointProbe` then shakes
/// hands with the destination itself. The proxy's failures are the `proxy` stage's (`proxy-failed`); a destination
/// the proxy cannot reach is the `connect` stage's, as it would be without a proxy.
struct ProxyTunnel {
    let proxy: OutboundProxy
    let host: String
    let port: Int
    let timeout: TimeAmount
    /// The most of the proxy's answer to CONNECT that is read: a status line and a few headers.
    static let maximumAnswerBytes = 8192

    /// The egress policy holds for the destination wherever Hitch can resolve it; a name only the proxy resolves
    /// (an enterprise network's usual case) is the proxy's to police.
    func checkDestination(into stages: inout [StageResult]) async throws(StageFailure) {
        let probe = EndpointProbe(host: host, port: port, policy: .systemTrust, timeout: timeout)
        if let address = try? await probe.resolve() {
            try EgressPolicy.current.check(address, host: host, port: port, plainHTTP: false)
            stages.append(.ok(.resolve, "\(host) resolved to \(address.ipAddress ?? host); the proxy connects to it"))
        } else {
            stages.append(.ok(.resolve, "\(host) is resolved by the proxy"))
        }
    }

    func open(into stages: inout [StageResult]) async throws(StageFailure) -> any Channel {
        let proxyAddress: SocketAddress
        do {
            proxyAddress = try await EndpointProbe(host: proxy.host, port: proxy.port, policy: .systemTrust, timeout: timeout).resolve()
        } catch {
            throw StageFailure(.proxy, .proxyFailed, "cannot resolve the proxy \(proxy.description)")
        }
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout).connect(to: proxyAddress).get()
        } catch {
            throw StageFailure(.proxy, .proxyFailed, "cannot connect to the proxy \(proxy.description)")
        }
        let status: Int
        do {
            status = try await connect(over: channel)
        } catch let failure as StageFailure {
            channel.close(promise: nil)
            throw failure
        } catch {
            channel.close(promise: nil)
            throw StageFailure(.proxy, .proxyFailed, "the proxy \(proxy.description) closed the connection before answering CONNECT")
        }
        switch status {
        case 200..<300:
            stages.append(.ok(.proxy, "a tunnel to \(host):\(port) through the proxy \(proxy.description)"))
            stages.append(.ok(.connect, "connected to \(host):\(port) through the proxy"))
            return channel
        case 502, 503, 504:
            channel.close(promise: nil)
            stages.append(.ok(.proxy, "the proxy \(proxy.description) answered"))
            throw StageFailure(.connect, .unreachable, "the proxy could not reach \(host):\(port) (\(status))")
        case 407:
            channel.close(promise: nil)
            throw StageFailure(.proxy, .proxyFailed, "the proxy \(proxy.description) requires authentication (407): put user:password in the proxy URL")
        default:
            channel.close(promise: nil)
            throw StageFailure(.proxy, .proxyFailed, "the proxy \(proxy.description) refused the tunnel to \(host):\(port) (\(status))")
        }
    }

    /// Sends CONNECT and reads the answer's status code; the handler that read it is gone when this returns.
    private func connect(over channel: any Channel) async throws -> Int {
        let promise = channel.eventLoop.makePromise(of: String.self)
        let request = proxy.connectRequest(to: host, port: port)
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(ConnectAnswerReader(answer: promise))
        }.get()
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(StageFailure(.proxy, .timeout, "no answer from the proxy \(proxy.description) within \(timeout.nanoseconds / 1_000_000_000) s"))
        }
        defer { deadline.cancel() }
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let head = try await promise.futureResult.get()
        let statusLine = head.split(separator: "\r\n", maxSplits: 1).first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw StageFailure(.proxy, .proxyFailed, "the proxy \(proxy.description) answered CONNECT with something that is not HTTP")
        }
        return status
    }
}

/// Reads the answer to CONNECT up to its blank line, hands over its head, and leaves the pipeline to TLS.
private final class ConnectAnswerReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let answer: EventLoopPromise<String>
    private var buffer = ByteBuffer()
    private var done = false

    init(answer: EventLoopPromise<String>) {
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return context.fireChannelRead(data) }
        var chunk = unwrapInboundIn(data)
        buffer.writeBuffer(&chunk)
        let bytes = Array(buffer.readableBytesView)
        if let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) {
            done = true
            answer.succeed(String(decoding: bytes[..<end.lowerBound], as: UTF8.self))
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        } else if bytes.count > ProxyTunnel.maximumAnswerBytes {
            done = true
            answer.fail(StageFailure(.proxy, .proxyFailed, "the proxy's answer to CONNECT is too long"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done { answer.fail(ChannelError.eof) }
        done = true
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done { answer.fail(error) }
        done = true
        context.close(promise: nil)
    }
}
