/// `host[:port]` where host is a DNS name, an IPv4 address or a bracketed IPv6 address.
enum HostPortRule {
    static func problem(with text: String) -> String? {
        guard let (host, port) = split(text) else {
            return "must be a host name or IP address with an optional :port, without a scheme or path"
        }
        if let port, !(1...65535).contains(port) { return "port must be between 1 and 65535" }
        if host.hasPrefix("[") {
            return host.hasSuffix("]") && host.dropFirst().dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" })
                ? nil : "is not a valid IPv6 address"
        }
        return isHostName(host) ? nil : "is not a valid host name or IPv4 address"
    }

    static func isHostName(_ host: String) -> Bool {
        guard !host.isEmpty, host.count <= 253 else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy(Patterns.isHostLabel)
    }

    private static func split(_ text: String) -> (host: String, port: Int?)? {
        if text.isEmpty || text.contains("/") || text.contains(" ") { return nil }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[...close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, nil) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()) else { return nil }
            return (host, port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return (text, nil)
        case 2:
            guard let port = Int(parts[1]) else { return nil }
            return (String(parts[0]), port)
        default: return nil
        }
    }
}
