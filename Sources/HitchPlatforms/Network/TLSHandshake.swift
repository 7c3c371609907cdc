import Crypto
import Foundation
import HitchSecrets
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// A client TLS handshake on an open channel under a `TLSPolicy`: the system's trust and host name, a pinned leaf
/// thumbprint (which replaces chain validation), or none. The two client contexts are made once: a context loads
/// the system's roots, which costs more than the handshake.
enum TLSHandshake {
    enum Failure: Error {
        case timedOut
    }

    private static let verifying = Result { try NIOSSLContext(configuration: .makeClientConfiguration()) }
    /// For a handshake whose callback alone decides (pinned, insecure, fetching the presented leaf). Verification
    /// stays on: with it off, BoringSSL ignores a callback that fails the certificate. The host name is not
    /// checked: the pin is the server's identity, and a vCenter reached by its IP commonly presents a certificate
    /// for its host name only.
    private static let callbackVerified = Result { () throws -> NIOSSLContext in
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .certificates([])
        return try NIOSSLContext(configuration: configuration)
    }

    /// Adds the TLS handler to `channel` and waits for the handshake. `presented` sees the peer's chain when the
    /// policy verifies it itself (pinned, insecure).
    static func perform(
        on channel: any Channel, host: String, policy: TLSPolicy, timeout: TimeAmount,
        presented: @escaping @Sendable ([NIOSSLCertificate]) -> Void = { _ in }
    ) async throws {
        let serverName = EndpointProbe.isIPAddress(host) ? nil : host
        try await wait(on: channel, timeout: timeout) {
            switch policy {
            case .systemTrust:
                return try NIOSSLClientHandler(context: verifying.get(), serverHostname: serverName)
            case .insecure:
                return try NIOSSLClientHandler(context: callbackVerified.get(), serverHostname: serverName) { chain, promise in
                    presented(chain)
                    promise.succeed(.certificateVerified)
                }
            case .pinned(let thumbprint):
                return try NIOSSLClientHandler(context: callbackVerified.get(), serverHostname: serverName) { chain, promise in
                    presented(chain)
                    let leaf = chain.first.flatMap(PresentedCertificate.init)
                    promise.succeed(leaf?.thumbprint == thumbprint ? .certificateVerified : .failed)
                }
            }
        }
    }

    /// The leaf a server presents, from a handshake that trusts nothing and is dropped after the certificate.
    static func presentedLeaf(at address: SocketAddress, host: String, timeout: TimeAmount) async -> PresentedCertificate? {
        let leaf = NIOLockedValueBox<PresentedCertificate?>(nil)
        guard let context = try? callbackVerified.get(),
            let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout).connect(to: address).get()
        else { return nil }
        defer { channel.close(promise: nil) }
        let serverName = EndpointProbe.isIPAddress(host) ? nil : host
        try? await wait(on: channel, timeout: timeout) {
            try NIOSSLClientHandler(context: context, serverHostname: serverName) { chain, promise in
                leaf.withLockedValue { $0 = chain.first.flatMap(PresentedCertificate.init) }
                promise.succeed(NIOSSLVerificationResult.failed)
            }
        }
        return leaf.withLockedValue { $0 }
    }

    /// Adds the handler `makeHandler` builds (on the channel's event loop) and waits for its handshake.
    private static func wait(
        on channel: any Channel, timeout: TimeAmount, _ makeHandler: @escaping @Sendable () throws -> NIOSSLClientHandler
    ) async throws {
        try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            let waiter = HandshakeWaiter(timeout: timeout)
            do {
                try channel.pipeline.syncOperations.addHandlers([try makeHandler(), waiter])
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
            return waiter.done.futureResult
        }.get()
    }
}

extension PresentedCertificate {
    init?(_ certificate: NIOSSLCertificate) {
        guard let der = try? certificate.toDERBytes() else { return nil }
        self.init(
            thumbprint: SecretGenerator.hex(SHA256.hash(data: der)), subject: Self.commonName(of: certificate).map { "CN=" + $0 } ?? "(no common name)",
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
}

/// Completes when the TLS handshake does, or fails with the first error, or with `timedOut`.
private final class HandshakeWaiter: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Any
    private let timeout: TimeAmount
    private var promise: EventLoopPromise<Void>?
    private var deadline: Scheduled<Void>?
    private(set) var done: EventLoopPromise<Void>!

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        done = context.eventLoop.makePromise()
        promise = done
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { [weak self] in
            self?.finish(.failure(TLSHandshake.Failure.timedOut))
            channel.close(promise: nil)
        }
    }

    private func finish(_ result: Result<Void, any Error>) {
        deadline?.cancel()
        deadline = nil
        promise?.completeWith(result)
        promise = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { finish(.success(())) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(ChannelError.eof))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish(.failure(ChannelError.ioOnClosedChannel))
    }
}
