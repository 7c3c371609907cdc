import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// An attacker's endpoint on 127.0.0.1: it records every request (method, path, every header and the body) and
/// answers enough of each platform's protocol for Hitch to go on and send what it would send next: a vSphere
/// service content (so that a Login follows), an OAuth token for any path that ends in `token`, `{}` otherwise.
final class CaptureServer: Sendable {
    private let recorded = Mutex<[String]>([])

    /// Every request so far, each as one text: the request line, the headers, then the body.
    var requests: [String] { recorded.withLock { $0 } }

    /// Whether any request carried `text` anywhere (a header or the body), plain or percent-encoded.
    func received(_ text: String) -> Bool {
        let encoded = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
        return requests.contains { $0.contains(text) || $0.contains(encoded) }
    }

    func forget() { recorded.withLock { $0.removeAll() } }

    static let issuedToken = "capture-server-issued-token"

    var router: Router<BasicRequestContext> {
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { [self] request, _ in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
            let headers = request.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
            recorded.withLock { $0.append("\(request.method) \(request.uri)\n\(headers)\n\n\(body)") }
            return Self.answer(path: request.uri.path, body: body)
        }
        for path in ["/", "/**"] {
            router.get(RouterPath(path), use: handler)
            router.post(RouterPath(path), use: handler)
        }
        return router
    }

    private static func answer(path: String, body: String) -> Response {
        if path == "/sdk" && body.contains("RetrieveServiceContent") {
            return Response(
                status: .ok, headers: [.contentType: "text/xml"],
                body: .init(byteBuffer: ByteBuffer(string: serviceContent)))
        }
        let json = path.hasSuffix("token")
            ? #"{"token_type":"Bearer","expires_in":3599,"access_token":"\#(issuedToken)"}"# : "{}"
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    private static let serviceContent = """
        <?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">\
        <soapenv:Body><RetrieveServiceContentResponse xmlns="urn:vim25"><returnval>\
        <rootFolder type="Folder">group-d1</rootFolder><propertyCollector type="PropertyCollector">propertyCollector\
        </propertyCollector><viewManager type="ViewManager">ViewManager</viewManager><about><apiVersion>8.0</apiVersion>\
        </about><sessionManager type="SessionManager">SessionManager</sessionManager></returnval>\
        </RetrieveServiceContentResponse></soapenv:Body></soapenv:Envelope>
        """
}
