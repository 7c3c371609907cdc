import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// The first three stages against a host and port: resolve the name, open TCP, and shake hands over TLS under the
/// connection's policy. It opens the one connection that the test then speaks HTTP over, so each test costs one
/// handshake, and the certificate checked is the certificate of the connection used (no gap between check and use).
struct EndpointProbe: Sendable {
    let host: String
    let port: Int
    let policy: TLSPolicy
    /// How long each stage may take, and each request when `requestTimeout` is nil.
    let timeout: TimeAmount
    /// How long one request over the opened connection may take, when it differs from the stages' `timeout`.
    var requestTimeout: TimeAmount?
    /// Plain HTTP, for a local emulator on a loopback address only (see `HTTPSLocation` and `EgressPolicy`); the TLS
    /// stage says so.
    var plainHTTP = false
    /// The most one answer may hold (`PolicyHTTPSConnection.testResponseLimit` unless a job's session says more).
    var maximumResponseBytes = PolicyHTTPSConnection.testResponseLimit
    /// The thumbprint of the certificate a connection without a pin first passed with: another one fails the TLS
    /// stage with `tls-changed`, before anything is sent over the connection.
    var remembered: String?

    /// Appends each stage that passes to `stages` and returns the open connection; throws the stage that fails.
    func open(into stages: inout [StageResult]) async throws(StageFailure) -> PolicyHTTPSConnection {
        let channel: any Channel
        let address: SocketAddress?
        if !plainHTTP, let proxy = EgressPolicy.current.proxy, proxy.applies(to: host) {
            let tunnel = ProxyTunnel(proxy: proxy, host: host, port: port, timeout: timeout)
            try await tunnel.checkDestination(into: &stages)
            channel = try await tunnel.open(into: &stages)
            address = nil
        } else {
            let resolved = try await resolve()
            stages.append(.ok(.resolve, "\(host) resolved to \(resolved.ipAddress ?? host)"))
            try EgressPolicy.current.check(resolved, host: host, port: port, plainHTTP: plainHTTP)
            channel = try await connect(to: resolved)
            stages.append(.ok(.connect, "connected to \(resolved.ipAddress ?? host):\(port)"))
            address = resolved
        }
        do {
            stages.append(plainHTTP ? .ok(.tls, "plain HTTP to a local endpoint: no TLS") : try requireRemembered(try await handshake(on: channel, address: address)))
        } catch {
            channel.close(promise: nil)
            throw error
        }
        do {
            return try await PolicyHTTPSConnection(
                channel: channel, host: host, timeout: requestTimeout ?? timeout, maximumResponseBytes: maximumResponseBytes)
        } catch {
            channel.close(promise: nil)
            throw StageFailure(.connect, .unreachable, "the connection to \(host):\(port) closed")
        }
    }

    func resolve() async throws(StageFailure) -> SocketAddress {
        if let literal = try? SocketAddress(ipAddress: host, port: port) { return literal }
        let (host, port) = (self.host, self.port)
        do {
            return try await NIOThreadPool.singleton.runIfActive { try SocketAddress.makeAddressResolvingHost(host, port: port) }
        } catch {
            throw StageFailure(.resolve, .unreachable, "cannot resolve \(host)")
        }
    }

    private func connect(to address: SocketAddress) async throws(StageFailure) -> any Channel {
        do {
            return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout).connect(to: address).get()
        } catch let error as ChannelError where error == .connectTimeout(timeout) {
            throw StageFailure(.connect, .timeout, "no answer from \(host):\(port) within \(timeout.nanoseconds / 1_000_000_000) s")
        } catch {
            throw StageFailure(.connect, .unreachable, "cannot connect to \(host):\(port)")
        }
    }

    /// The TLS stage on `channel`: the policy decides inside the handshake, and the presented leaf is reported
    /// either way so that a user can pin it.
    private func handshake(on channel: any Channel, address: SocketAddress?) async throws(StageFailure) -> StageResult {
        let presented = NIOLockedValueBox<NIOSSLCertificate?>(nil)
        do {
            try await TLSHandshake.perform(on: channel, host: host, policy: policy, timeout: timeout) { chain in
                presented.withLockedValue { $0 = chain.first }
            }
        } catch TLSHandshake.Failure.timedOut {
            throw StageFailure(.tls, .timeout, "no TLS handshake from \(host):\(port) within \(timeout.nanoseconds / 1_000_000_000) s")
        } catch {
            throw await refusal(address: address, presented: presented.withLockedValue { $0 })
        }
        switch policy {
        case .insecure:
            return .ok(.tls, "not verified (insecure is on)", certificate: presented.withLockedValue { $0 }.flatMap(PresentedCertificate.init))
        case .pinned:
            return .ok(.tls, "the certificate matches the pinned thumbprint", certificate: presented.withLockedValue { $0 }.flatMap(PresentedCertificate.init))
        case .systemTrust:
            let leaf = try? await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate
            }.get()
            return .ok(.tls, "the certificate is trusted for \(host)", certificate: leaf.flatMap(PresentedCertificate.init))
        }
    }

    /// The TLS stage, unless the connection remembers another certificate than the one presented (a pin decides
    /// alone: it is the certificate the user chose).
    private func requireRemembered(_ passed: StageResult) throws(StageFailure) -> StageResult {
        guard let remembered, !remembered.isEmpty else { return passed }
        if case .pinned = policy { return passed }
        guard let presented = passed.certificate, presented.thumbprint == remembered else {
            throw StageFailure(
                .tls, .tlsChanged,
                "\(host) presents another certificate than the one this connection passed with (SHA-256 \(remembered)); "
                    + "nothing was sent. If the change is expected, accept it with trust-certificate",
                certificate: passed.certificate)
        }
        return passed
    }

    /// Why the handshake failed. Under the system's trust the chain is not handed out, so a second handshake that
    /// verifies nothing fetches the presented leaf for the report (on this failure path only, and not through a
    /// proxy: `address` is nil then).
    private func refusal(address: SocketAddress?, presented: NIOSSLCertificate?) async -> StageFailure {
        var leaf = presented.flatMap(PresentedCertificate.init)
        if policy == .systemTrust, leaf == nil, let address {
            leaf = await TLSHandshake.presentedLeaf(at: address, host: host, timeout: timeout)
        }
        guard let leaf else { return StageFailure(.tls, .error, "the TLS handshake with \(host):\(port) failed") }
        switch policy {
        case .pinned(let thumbprint) where leaf.thumbprint != thumbprint:
            return StageFailure(.tls, .tlsUntrusted, "the certificate does not match the pinned thumbprint", certificate: leaf)
        case .systemTrust:
            return StageFailure(
                .tls, .tlsUntrusted, "the certificate is not trusted for \(host); pin its thumbprint if it is the right one",
                certificate: leaf)
        default:
            return StageFailure(.tls, .error, "the TLS handshake with \(host):\(port) failed", certificate: leaf)
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
