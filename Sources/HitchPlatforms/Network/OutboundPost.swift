import Foundation
import NIOCore
import NIOHTTP1

/// One POST to a receiver that is not a platform (a webhook's), over the same road as every platform call: the name
/// resolved and the address checked against `EgressPolicy.current` before connecting, the outbound proxy when one
/// applies, the system's trust for TLS, and no redirect followed. Only the answer's status is kept.
public enum OutboundPost {
    public enum Outcome: Sendable, Equatable {
        /// The receiver answered with this HTTP status.
        case answered(status: Int)
        /// It could not be reached or did not answer, in Hitch's own words (the egress policy's refusal included).
        case failed(reason: String)
    }

    /// Plain `http://` goes only to a loopback IP literal, and only where the bound egress policy allows loopback HTTP.
    public static func send(to url: String, headers: [(String, String)], body: String, timeout: TimeAmount) async -> Outcome {
        guard let parsed = URL(string: url), let parts = URLComponents(string: url) else {
            return .failed(reason: "the URL is not valid")
        }
        // The reason is kept with the delivery and logged: it never repeats the URL, whose path may be a credential.
        guard let location = try? HTTPSLocation(parsed, allowLoopbackHTTP: true) else {
            return .failed(reason: "the URL is not https:// (or http:// to a loopback address)")
        }
        let target = (parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath)
            + (parts.percentEncodedQuery.map { "?" + $0 } ?? "")
        do {
            let response = try await location.send(
                .POST, path: target, headers: HTTPHeaders(headers), body: body, policy: .systemTrust, timeout: timeout, stage: .connect)
            return .answered(status: Int(response.status.code))
        } catch {
            return .failed(reason: error.message)
        }
    }
}
