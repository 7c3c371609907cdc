import Foundation
import HitchDomain
import Hummingbird

/// An `application/x-www-form-urlencoded` body: each name with its values, in order.
struct FormBody: Sendable {
    /// A connection form with a service account key pasted in stays well below this.
    static let maximumSize = 256 * 1024

    private var pairs: [(name: String, value: String)]

    init(encoded: String) {
        pairs = encoded.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(parts[0]), parts.count > 1 ? Self.decode(parts[1]) : "")
        }
    }

    static func read(_ request: Request) async throws -> FormBody {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maximumSize)
        } catch {
            throw HitchError(.badRequest, "the form is larger than \(maximumSize / 1024) KiB")
        }
        return FormBody(encoded: String(buffer: buffer))
    }

    subscript(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    func values(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    /// The value with surrounding white space removed; nil when that leaves nothing.
    func trimmed(_ name: String) -> String? {
        guard let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    private static func decode(_ part: Substring) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
