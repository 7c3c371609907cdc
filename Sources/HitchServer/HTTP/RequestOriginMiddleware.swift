import Foundation
import HTTPTypes
import HitchAudit
import Hummingbird

/// Where each request comes from, for its audit events: the peer's address (forwarding headers are not trusted)
/// and a request id, taken from `X-Request-Id` when it is a plain token, else made here, and echoed back.
struct RequestOriginMiddleware: RouterMiddleware {
    typealias Context = HitchRequestContext

    static let requestIdHeader = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requestId = request.headers[Self.requestIdHeader].flatMap(Self.acceptable) ?? UUID().uuidString.lowercased()
        let origin = AuditOrigin(clientAddress: context.remoteAddress?.ipAddress, requestId: requestId)
        var response = try await RequestOrigin.$current.withValue(origin) { try await next(request, context) }
        response.headers[Self.requestIdHeader] = requestId
        return response
    }

    /// 1 to 64 letters, digits, `-`, `_`, `.` or `:`; anything else is replaced, never logged as given.
    static func acceptable(_ value: String) -> String? {
        guard (1...64).contains(value.utf8.count),
            value.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") })
        else { return nil }
        return value
    }
}

enum RequestOrigin {
    @TaskLocal static var current = AuditOrigin.local
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
