import Foundation
import NIOCore

/// Where Test Connection, discovery and platform sessions may connect, checked against the resolved address before
/// any connection is opened: otherwise Test Connection is a port scanner and a certificate harvester for anyone who
/// may test, the cloud's instance metadata service included. Link-local and cloud metadata addresses are denied
/// unless an allow entry names them; plain HTTP goes only to a loopback address, and only when the server runs
/// with the developer setting.
public struct EgressPolicy: Sendable, Equatable {
    /// When not empty, only these addresses may be reached (besides loopback for plain HTTP).
    public var allow: [IPRange]
    /// Never reached, even when `allow` holds them; checked first.
    public var deny: [IPRange]
    /// Plain HTTP to a loopback IP address (a local emulator such as moto): a developer setting.
    public var allowsLoopbackHTTP: Bool
    /// The outbound HTTPS proxy that connections tunnel through, when one is configured.
    public var proxy: OutboundProxy?

    public init(allow: [IPRange] = [], deny: [IPRange] = [], allowsLoopbackHTTP: Bool = false, proxy: OutboundProxy? = nil) {
        self.allow = allow
        self.deny = deny
        self.allowsLoopbackHTTP = allowsLoopbackHTTP
        self.proxy = proxy
    }

    /// Link-local networks (the cloud metadata services live there: 169.254.169.254, fd00:ec2::254 sits beside
    /// them) and other clouds' well-known metadata and host addresses.
    public static let deniedByDefault: [IPRange] = [
        "169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32", "168.63.129.16/32",
    ].map { IPRange($0)! }

    /// The policy that platform code reads, bound by the server around every use of a platform.
    @TaskLocal public static var current = EgressPolicy()

    /// Throws the `connect` stage's `egress-denied` failure when `address` may not be reached.
    func check(_ address: SocketAddress, host: String, port: Int, plainHTTP: Bool) throws(StageFailure) {
        let shown = address.ipAddress ?? host
        guard let bytes = address.ipBytes else {
            throw StageFailure(.connect, .egressDenied, "\(host) resolved to an address that is not IP")
        }
        if deny.contains(where: { $0.contains(bytes) }) {
            throw StageFailure(.connect, .egressDenied, "the egress policy does not allow \(shown):\(port)")
        }
        if plainHTTP {
            guard IPRange.loopback.contains(where: { $0.contains(bytes) }) else {
                throw StageFailure(.connect, .egressDenied, "plain HTTP goes to loopback addresses only, not \(shown)")
            }
            guard allowsLoopbackHTTP else {
                throw StageFailure(
                    .connect, .egressDenied,
                    "plain HTTP to \(shown) needs the server's developer setting HITCH_ALLOW_LOOPBACK_HTTP=1")
            }
            return
        }
        let allowedExplicitly = allow.contains { $0.contains(bytes) }
        if !allowedExplicitly && Self.deniedByDefault.contains(where: { $0.contains(bytes) }) {
            throw StageFailure(.connect, .egressDenied, "the egress policy does not allow \(shown):\(port)")
        }
        if !allow.isEmpty && !allowedExplicitly {
            throw StageFailure(.connect, .egressDenied, "\(shown):\(port) is not in the egress policy's allow list")
        }
    }
}

extension SocketAddress {
    /// The address's bytes in network order: 4 for IPv4, 16 for IPv6.
    var ipBytes: [UInt8]? {
        switch self {
        case .v4(let address):
            return withUnsafeBytes(of: address.address.sin_addr) { Array($0) }
        case .v6(let address):
            return withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
        default:
            return nil
        }
    }
}
