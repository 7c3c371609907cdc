import Foundation
import HTTPTypes
import HitchAudit
import HitchPlatforms
import HitchServices
import Hummingbird

/// Where each request comes from, for its audit events and the sign-in throttle: the peer's address, or, when the
/// peer is a trusted proxy, the nearest address in `X-Forwarded-For` that is not one (a header from anyone else is
/// ignored); and a request id, taken from `X-Request-Id` when it is a plain token, else made here, and echoed back.
package struct RequestOriginMiddleware: RouterMiddleware {
    package typealias Context = HitchRequestContext

    static let requestIdHeader = HTTPField.Name("X-Request-Id")!
    static let forwardedForHeader = HTTPField.Name("X-Forwarded-For")!

    let trustedProxies: [IPRange]

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requestId = request.headers[Self.requestIdHeader].flatMap(Self.acceptable) ?? UUID().uuidString.lowercased()
        let client = clientAddress(peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[values: Self.forwardedForHeader])
        let origin = AuditOrigin(clientAddress: client, requestId: requestId)
        var response = try await RequestOrigin.$current.withValue(origin) { try await next(request, context) }
        response.headers[Self.requestIdHeader] = requestId
        return response
    }

    /// Walks `X-Forwarded-For` from the right (the hop nearest to Hitch) past every trusted proxy.
    func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, isTrusted(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peer
        for hop in hops.reversed() {
            guard IPRange.isLiteral(hop) else { break }
            client = hop
            if !isTrusted(hop) { break }
        }
        return client
    }

    private func isTrusted(_ address: String) -> Bool {
        trustedProxies.contains { $0.contains(literal: address) }
    }

    /// 1 to 64 letters, digits, `-`, `_`, `.` or `:`; anything else is replaced, never logged as given.
    static func acceptable(_ value: String) -> String? {
        guard (1...64).contains(value.utf8.count),
            value.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") })
        else { return nil }
        return value
    }

    package init(trustedProxies: [IPRange]) {
        self.trustedProxies = trustedProxies
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
