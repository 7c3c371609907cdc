/// A secret in plain text, held only as long as it is needed. Printing it never shows the value.
public struct SecretValue: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public static let placeholder = "********"

    public let exposedValue: String

    public init(_ value: String) { self.exposedValue = value }

    public var description: String { Self.placeholder }
    public var debugDescription: String { Self.placeholder }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
