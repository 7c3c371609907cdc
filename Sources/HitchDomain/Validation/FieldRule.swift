/// A format rule for one field's text. Messages describe the rule and never repeat the value.
enum FieldRule: Sendable {
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
            Patterns.matches(text, #"[0-9]{12}"#) ? nil : "must be exactly 12 digits"
        case .awsAccessKeyId:
            Patterns.matches(text, #"(AKIA|ASIA)[A-Z0-9]{16}"#)
                ? nil : "must be 20 characters: AKIA or ASIA followed by 16 capital letters or digits"
        case .awsSecretAccessKey:
            Patterns.matches(text, #"[A-Za-z0-9/+=]{40}"#) ? nil : "must be 40 characters of [A-Za-z0-9/+=]"
        case .awsRegion:
            Patterns.matches(text, #"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}"#)
                ? nil : "must be an AWS region such as eu-west-1"
        case .awsRoleArn:
            Patterns.matches(text, #"arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}"#)
                ? nil : "must be a role ARN such as arn:aws:iam::123456789012:role/NAME"
        case .awsSessionName:
            Patterns.matches(text, #"[A-Za-z0-9+=,.@_-]{2,64}"#) ? nil : "must be 2-64 of [A-Za-z0-9+=,.@_-]"
        case .awsExternalId:
            Patterns.matches(text, #"[A-Za-z0-9+=,.@:/_-]{2,1224}"#) ? nil : "must be 2-1224 of [A-Za-z0-9+=,.@:/_-]"
        case .connectionName:
            NameRule.problem(with: text)
        case .gcpProjectId:
            Patterns.matches(text, #"[a-z][a-z0-9-]{4,28}[a-z0-9]"#)
                ? nil : "must be 6-30 lowercase letters, digits or hyphens, starting with a letter"
        case .gcpServiceAccountKey:
            GCPKeyRule.problem(with: text)
        }
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

enum Patterns {
    static func matches(_ text: String, _ pattern: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return (try? regex.wholeMatch(in: text)) != nil
    }

    static func isGUID(_ text: String) -> Bool {
        matches(text, #"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"#)
    }
}
