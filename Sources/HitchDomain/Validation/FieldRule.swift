/// A format rule for one field's text. Messages describe the rule and never repeat the value.
enum FieldRule: Sendable, Equatable {
    case none
    case nonEmpty(Int)
    case hostPort
    case inventoryName
    case sha256Thumbprint
    case guid
    case azureTenant
    case awsAccountId
    case awsAccessKeyId
    case awsSecretAccessKey
    case awsRegion
    case awsRoleArn
    case awsSessionName
    case awsExternalId
    case connectionName
    case gcpProjectId
    case gcpServiceAccountKey
    case httpsURL
    /// An instant in UTC, ISO 8601: `2027-03-01T00:00:00Z`.
    case timestamp

    func problem(with text: String) -> String? {
        switch self {
        case .none:
            nil
        case .nonEmpty(let limit):
            text.count > limit ? "must be at most \(limit) characters" : nil
        case .hostPort:
            HostPortRule.problem(with: text)
        case .inventoryName:
            Self.inventoryNameProblem(text)
        case .sha256Thumbprint:
            Thumbprint.normalized(text) == nil
                ? "must be a SHA-256 thumbprint: 64 hexadecimal digits, optionally in pairs separated by colons" : nil
        case .guid:
            Patterns.isGUID(text) ? nil : "must be a GUID such as 00000000-0000-0000-0000-000000000000"
        case .azureTenant:
            Patterns.isGUID(text) || HostPortRule.isHostName(text) && text.contains(".")
                ? nil : "must be a GUID or a domain such as contoso.onmicrosoft.com"
        case .awsAccountId:
            ASCIISet.digits.matches(text, length: 12...12) ? nil : "must be exactly 12 digits"
        case .awsAccessKeyId:
            (text.hasPrefix("AKIA") || text.hasPrefix("ASIA")) && ASCIISet.uppercaseDigits.matches(text, length: 20...20)
                ? nil : "must be 20 characters: AKIA or ASIA followed by 16 capital letters or digits"
        case .awsSecretAccessKey:
            ASCIISet.awsSecretKey.matches(text, length: 40...40) ? nil : "must be 40 characters of [A-Za-z0-9/+=]"
        case .awsRegion:
            Patterns.isAWSRegion(text)
                ? nil : "must be an AWS region such as eu-west-1"
        case .awsRoleArn:
            Patterns.isAWSRoleArn(text)
                ? nil : "must be a role ARN such as arn:aws:iam::123456789012:role/NAME"
        case .awsSessionName:
            ASCIISet.awsSessionName.matches(text, length: 2...64) ? nil : "must be 2-64 of [A-Za-z0-9+=,.@_-]"
        case .awsExternalId:
            ASCIISet.awsExternalId.matches(text, length: 2...1224) ? nil : "must be 2-1224 of [A-Za-z0-9+=,.@:/_-]"
        case .connectionName:
            NameRule.problem(with: text)
        case .gcpProjectId:
            Patterns.isGCPProjectId(text)
                ? nil : "must be 6-30 lowercase letters, digits or hyphens, starting with a letter"
        case .gcpServiceAccountKey:
            GCPKeyRule.problem(with: text)
        case .httpsURL:
            Self.httpsURLProblem(text)
        case .timestamp:
            Timestamps.date(text) == nil ? "must be a UTC time such as 2027-03-01T00:00:00Z" : nil
        }
    }

    /// Whether a URL's authority names a loopback IP literal (`127.x.y.z[:port]` or `[::1][:port]`); a host name
    /// never does, so `http://127.attacker.example` is not one.
    static func isLoopbackLiteral(authority: String) -> Bool {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            let rest = authority[authority.index(after: close)...]
            return authority[authority.index(after: authority.startIndex)..<close] == "::1"
                && (rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isASCII) && Int(rest.dropFirst()) != nil))
        }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.count == 1 || Int(parts[1]) != nil else { return false }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4,
            octets.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) && Int($0)! <= 255 })
        else { return false }
        return octets[0] == "127"
    }

    /// `https://host[:port][/path]`: an endpoint override, never with credentials, a query or a fragment. Plain
    /// `http://` only on a loopback host, for a local emulator.
    private static func httpsURLProblem(_ text: String) -> String? {
        let message = "must be an https URL such as https://login.example.com (http only to a loopback IP address such as 127.0.0.1), without a user, query or fragment"
        guard text.count <= 512, let scheme = ["https://", "http://"].first(where: text.hasPrefix) else { return message }
        let rest = text.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" }
        if scheme == "http://" && !Self.isLoopbackLiteral(authority: String(authority)) { return message }
        guard !authority.isEmpty, !rest.contains("?"), !rest.contains("#"), !authority.contains("@"),
            HostPortRule.problem(with: String(authority)) == nil,
            rest.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f })
        else { return message }
        return nil
    }

    private static func inventoryNameProblem(_ text: String) -> String? {
        if text.count > 255 { return "must be at most 255 characters" }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "must not contain control characters"
        }
        if text.first?.isWhitespace == true || text.last?.isWhitespace == true {
            return "must not start or end with a space"
        }
        return nil
    }
}

/// Shapes of ASCII identifiers, checked byte by byte: validation runs on every save, and a `Regex` would be
/// parsed anew each time (it cannot be shared across tasks).
enum Patterns {
    static func isGUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { ASCIISet.hex.containsAll(of: $0) }
    }

    /// `[a-z][a-z0-9-]{4,28}[a-z0-9]`
    static func isGCPProjectId(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (6...30).contains(bytes.count), let first = bytes.first, let last = bytes.last else { return false }
        return ASCIISet.lowercase.contains(first) && ASCIISet.lowercaseDigits.contains(last)
            && ASCIISet.lowercaseDigitsHyphen.containsAll(of: bytes)
    }

    /// `[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}`, e.g. eu-west-1, us-gov-west-1.
    static func isAWSRegion(_ text: String) -> Bool {
        var parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0].utf8.count == 2, ASCIISet.lowercase.containsAll(of: parts[0]) else { return false }
        if parts.count == 4 {
            guard parts[1] == "gov" || parts[1] == "iso" || parts[1].count == 4 && parts[1].hasPrefix("iso") else {
                return false
            }
            parts.remove(at: 1)
        }
        guard parts.count == 3, !parts[1].isEmpty, ASCIISet.lowercase.containsAll(of: parts[1]) else { return false }
        return (1...2).contains(parts[2].utf8.count) && ASCIISet.digits.containsAll(of: parts[2])
    }

    /// `arn:aws(-cn|-us-gov)?:iam::<12 digits>:role/<path and name>`
    static func isAWSRoleArn(_ text: String) -> Bool {
        for prefix in ["arn:aws:iam::", "arn:aws-cn:iam::", "arn:aws-us-gov:iam::"] where text.hasPrefix(prefix) {
            let rest = text.dropFirst(prefix.count)
            let account = rest.prefix(12)
            guard account.count == 12, ASCIISet.digits.containsAll(of: account) else { return false }
            let role = rest.dropFirst(12)
            guard role.hasPrefix(":role/") else { return false }
            let name = role.dropFirst(":role/".count)
            return (1...512).contains(name.utf8.count) && ASCIISet.iamName.containsAll(of: name)
        }
        return false
    }

    /// A DNS label: `[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?`
    static func isHostLabel(_ label: Substring) -> Bool {
        let bytes = Array(label.utf8)
        guard (1...63).contains(bytes.count), let first = bytes.first, let last = bytes.last else { return false }
        return ASCIISet.alphanumerics.contains(first) && ASCIISet.alphanumerics.contains(last)
            && ASCIISet.alphanumericsHyphen.containsAll(of: bytes)
    }
}

/// A set of ASCII bytes, for identifier checks.
struct ASCIISet: Sendable {
    private var bits: (UInt64, UInt64) = (0, 0)

    /// `spec` lists characters and ranges such as `a-z`; a `-` that is first or last stands for itself.
    init(_ spec: String) {
        let bytes = Array(spec.utf8)
        var index = 0
        while index < bytes.count {
            if index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "-") {
                for byte in bytes[index]...bytes[index + 2] { insert(byte) }
                index += 3
            } else {
                insert(bytes[index])
                index += 1
            }
        }
    }

    private mutating func insert(_ byte: UInt8) {
        if byte < 64 { bits.0 |= 1 << UInt64(byte) } else if byte < 128 { bits.1 |= 1 << UInt64(byte - 64) }
    }

    func contains(_ byte: UInt8) -> Bool {
        if byte < 64 { return bits.0 & (1 << UInt64(byte)) != 0 }
        if byte < 128 { return bits.1 & (1 << UInt64(byte - 64)) != 0 }
        return false
    }

    func containsAll(of bytes: some Sequence<UInt8>) -> Bool { bytes.allSatisfy(contains) }
    func containsAll(of text: some StringProtocol) -> Bool { containsAll(of: text.utf8) }

    /// Every byte is in the set and the length is in range.
    func matches(_ text: some StringProtocol, length: ClosedRange<Int>) -> Bool {
        length.contains(text.utf8.count) && containsAll(of: text)
    }

    static let digits = ASCIISet("0-9")
    static let hex = ASCIISet("0-9a-fA-F")
    static let lowercase = ASCIISet("a-z")
    static let lowercaseDigits = ASCIISet("a-z0-9")
    static let lowercaseDigitsHyphen = ASCIISet("a-z0-9-")
    static let alphanumerics = ASCIISet("A-Za-z0-9")
    static let alphanumericsHyphen = ASCIISet("A-Za-z0-9-")
    static let uppercaseDigits = ASCIISet("A-Z0-9")
    static let awsSecretKey = ASCIISet("A-Za-z0-9/+=")
    static let awsSessionName = ASCIISet("A-Za-z0-9+=,.@_-")
    static let awsExternalId = ASCIISet("A-Za-z0-9+=,.@:/_-")
    static let iamName = ASCIISet("A-Za-z0-9+=,.@_/-")
    static let tag = ASCIISet("A-Za-z0-9_.:-")
}
