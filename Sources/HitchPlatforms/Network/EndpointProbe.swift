import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// The first three stages against a host and port: resolve the name, open TCP, and shake hands over TLS, keeping
/// the certificates the server presents so that the result can name its thumbprint whatever the policy says.
struct EndpointProbe: Sendable {
    let host: String
    let port: Int
    let policy: TLSPolicy
    let timeout: TimeAmount

    /// Resolve and connect only, for a local emulator spoken to in plain HTTP; the TLS stage says so.
    func runWithoutTLS(into stages: inout [StageResult]) async throws(StageFailure) {
        let address = try await resolve()
        stages.append(.ok(.resolve, "\(host) resolved to \(address.ipAddress ?? host)"))
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout).connect(to: address).get()
            channel.close(promise: nil)
        } catch {
            throw StageFailure(.connect, .unreachable, "cannot connect to \(host):\(port)")
        }
        stages.append(.ok(.connect, "connected to \(address.ipAddress ?? host):\(port)"))
        stages.append(.ok(.tls, "plain HTTP to a local endpoint: no TLS"))
    }

    /// Appends each stage that passes to `stages`; throws the one that fails.
    func run(into stages: inout [StageResult]) async throws(StageFailure) {
        let address = try await resolve()
        stages.append(.ok(.resolve, "\(host) resolved to \(address.ipAddress ?? host)"))
        let chain = try await handshake(with: address)
        stages.append(.ok(.connect, "connected to \(address.ipAddress ?? host):\(port)"))
        guard let leaf = chain.first, let presented = Self.summary(of: leaf) else {
            throw StageFailure(.tls, .tlsUntrusted, "the server presented no certificate")
        }
        switch policy {
        case .insecure:
            stages.append(.ok(.tls, "not verified (insecure is on)", certificate: presented))
        case .pinned(let thumbprint):
            guard presented.thumbprint == thumbprint else {
                throw StageFailure(
                    .tls, .tlsUntrusted, "the certificate does not match the pinned thumbprint", certificate: presented)
            }
            stages.append(.ok(.tls, "the certificate matches the pinned thumbprint", certificate: presented))
        case .systemTrust:
            try await verifyWithSystemTrust(address: address, presented: presented)
            stages.append(.ok(.tls, "the certificate is trusted for \(host)", certificate: presented))
        }
    }

    private func resolve() async throws(StageFailure) -> SocketAddress {
        let (host, port) = (self.host, self.port)
        do {
            return try await NIOThreadPool.singleton.runIfActive { try SocketAddress.makeAddressResolvingHost(host, port: port) }
        } catch {
            throw StageFailure(.resolve, .unreachable, "cannot resolve \(host)")
        }
    }

    /// A handshake that accepts any certificate and keeps the chain; the policy is applied afterwards.
    private func handshake(with address: SocketAddress) async throws(StageFailure) -> [NIOSSLCertificate] {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        let collected = NIOLockedValueBox<[NIOSSLCertificate]>([])
        let channel: any Channel
        do {
            let context = try NIOSSLContext(configuration: configuration)
            let serverName = Self.isIPAddress(host) ? nil : host
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = try NIOSSLClientHandler(context: context, serverHostname: serverName) { chain, promise in
                            collected.withLockedValue { $0 = chain }
                            promise.succeed(.certificateVerified)
                        }
                        try channel.pipeline.syncOperations.addHandler(handler)
                        try channel.pipeline.syncOperations.addHandler(HandshakeWaiter())
                    }
                }
                .connect(to: address).get()
        } catch let error as ChannelError where error == .connectTimeout(timeout) {
            throw StageFailure(.connect, .timeout, "no answer from \(host):\(port) within \(timeout.nanoseconds / 1_000_000_000) s")
        } catch {
            throw StageFailure(.connect, .unreachable, "cannot connect to \(host):\(port)")
        }
        defer { channel.close(promise: nil) }
        do {
            try await channel.pipeline.handler(type: HandshakeWaiter.self).get().done.futureResult
                .flatMap { channel.eventLoop.makeSucceededVoidFuture() }.get()
        } catch {
            throw StageFailure(.tls, .error, "the TLS handshake with \(host):\(port) failed")
        }
        return collected.withLockedValue { $0 }
    }

    /// A second handshake with full verification: the chain against the system's roots, and the host name.
    private func verifyWithSystemTrust(address: SocketAddress, presented: PresentedCertificate) async throws(StageFailure) {
        let configuration = TLSConfiguration.makeClientConfiguration()
        do {
            let context = try NIOSSLContext(configuration: configuration)
            let serverName = Self.isIPAddress(host) ? nil : host
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: context, serverHostname: serverName))
                        try channel.pipeline.syncOperations.addHandler(HandshakeWaiter())
                    }
                }
                .connect(to: address).get()
            defer { channel.close(promise: nil) }
            try await channel.pipeline.handler(type: HandshakeWaiter.self).get().done.futureResult.get()
        } catch {
            throw StageFailure(
                .tls, .tlsUntrusted,
                "the certificate is not trusted for \(host); pin its thumbprint if it is the right one",
                certificate: presented)
        }
    }

    static func summary(of certificate: NIOSSLCertificate) -> PresentedCertificate? {
        guard let der = try? certificate.toDERBytes() else { return nil }
        let thumbprint = SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
        let subject = commonName(of: certificate).map { "CN=" + $0 } ?? "(no common name)"
        return PresentedCertificate(
            thumbprint: thumbprint, subject: subject,
            notAfter: Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter)))
    }

    /// NIOSSL keeps the subject's common name internal but prints it in its description
    /// (`<NIOSSLCertificate;serial_number=…;common_name=…;alternative_names=…>`).
    private static func commonName(of certificate: NIOSSLCertificate) -> String? {
        let description = certificate.description
        guard let start = description.range(of: ";common_name=") else { return nil }
        let rest = description[start.upperBound...]
        return String(rest.prefix { $0 != ";" && $0 != ">" })
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}

/// Completes when the TLS handshake does, or fails with the first error.
private final class HandshakeWaiter: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Any
    private var promise: EventLoopPromise<Void>?
    private(set) var done: EventLoopPromise<Void>!

    func handlerAdded(context: ChannelHandlerContext) {
        done = context.eventLoop.makePromise()
        promise = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            promise?.succeed()
            promise = nil
        }
        context.fireUserInboundEventTriggered(event)
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

    /// A channel that never became active (a refused connection) still completes the promise.
    func handlerRemoved(context: ChannelHandlerContext) {
        promise?.fail(ChannelError.ioOnClosedChannel)
        promise = nil
    }
}
