/// The value of a non-secret field.
public enum FieldValue: Sendable, Equatable, Codable, CustomStringConvertible {
    case string(String)
    case boolean(Bool)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .boolean(flag)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .boolean(let flag): try container.encode(flag)
        }
    }

    public var description: String {
        switch self {
        case .string(let text): text
        case .boolean(let flag): flag ? "true" : "false"
        }
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}
