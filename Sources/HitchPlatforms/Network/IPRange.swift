import NIOCore

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `fd00::/8`); a bare address is a network of one.
public struct IPRange: Sendable, Equatable, CustomStringConvertible {
    let network: [UInt8]
    let prefixLength: Int
    public let description: String

    static let loopback: [IPRange] = [IPRange("127.0.0.0/8")!, IPRange("::1/128")!]

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let bytes = Self.bytes(ofLiteral: parts[0]) else { return nil }
        let length: Int
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...bytes.count * 8).contains(parsed), parts[1].allSatisfy(\.isASCII)
            else { return nil }
            length = parsed
        } else {
            length = bytes.count * 8
        }
        network = bytes
        prefixLength = length
        description = text
    }

    /// Whether an address (4 or 16 bytes, network order) is in this network. An IPv4-mapped IPv6 address
    /// (`::ffff:a.b.c.d`) counts as its IPv4 address.
    func contains(_ address: [UInt8]) -> Bool {
        let address = Self.unmapped(address)
        guard address.count == network.count else { return false }
        var remaining = prefixLength
        for index in network.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address[index] & mask != network[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// Whether an IP literal is in this network; a host name never is.
    public func contains(literal: String) -> Bool {
        Self.bytes(ofLiteral: literal).map(contains) ?? false
    }

    /// Whether the text is an IPv4 or IPv6 address literal.
    public static func isLiteral(_ text: String) -> Bool { bytes(ofLiteral: text) != nil }

    /// The bytes of an IP literal, or nil when the text is not one (a host name).
    static func bytes(ofLiteral text: String) -> [UInt8]? {
        guard let address = try? SocketAddress(ipAddress: text, port: 0) else { return nil }
        return address.ipBytes.map(unmapped)
    }

    private static func unmapped(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else {
            return bytes
        }
        return Array(bytes[12..<16])
    }

    /// Whether `host` is an IP literal of a loopback address (127.0.0.0/8 or ::1); a name never is.
    public static func isLoopbackLiteral(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        guard let bytes = bytes(ofLiteral: bare) else { return false }
        return loopback.contains { $0.contains(bytes) }
    }
}
