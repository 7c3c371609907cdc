/// The token in an `Authorization` header value: `Bearer <token>`, the scheme in any case, the spaces and tabs
/// around the token dropped. Parsed on every API request, so it works on the UTF-8 bytes (Foundation's trimming
/// goes through NSString on Linux and was 3% of an authenticated read's time).
enum BearerToken {
    private static let scheme = Array("bearer ".utf8)

    /// The token, or nil when the value names another scheme.
    static func parse(_ header: String) -> String? {
        let bytes = header.utf8
        guard bytes.count >= scheme.count,
            zip(bytes.prefix(scheme.count), scheme).allSatisfy({ lowercased($0) == $1 })
        else { return nil }
        let token = bytes.dropFirst(scheme.count).drop(while: isBlank)
        let end = token.lastIndex { !isBlank($0) }.map { bytes.index(after: $0) } ?? token.startIndex
        return String(header[token.startIndex..<end])
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
}
