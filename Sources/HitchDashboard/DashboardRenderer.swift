import Foundation
import HTTPTypes
import HitchDomain
import Hummingbird
import Mustache

/// The dashboard's templates, style sheet and script, read once at start from the module's resources, and the
/// headers every page carries: no caching (a page may show a key once), no framing, scripts from Hitch only.
package struct DashboardRenderer: Sendable {
    let library: MustacheLibrary
    let assets: [String: (contentType: String, body: String)]

    static let securityHeaders: HTTPFields = [
        .cacheControl: "no-store",
        .contentSecurityPolicy:
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
    ]

    package static func load() throws -> DashboardRenderer {
        guard let root = Bundle.module.url(forResource: "Assets", withExtension: nil) else {
            throw HitchError(.internal, "the dashboard's assets are missing from the build")
        }
        var library = MustacheLibrary()
        let templates = root.appendingPathComponent("templates")
        for file in try FileManager.default.contentsOfDirectory(atPath: templates.path) where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: templates.appendingPathComponent(file), encoding: .utf8)
            try library.register(text, named: String(file.dropLast(".mustache".count)))
        }
        var assets: [String: (String, String)] = [:]
        for (file, type) in [("dashboard.css", "text/css; charset=utf-8"), ("dashboard.js", "text/javascript; charset=utf-8")] {
            assets[file] = (type, try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8))
        }
        return DashboardRenderer(library: library, assets: assets)
    }

    func page(_ template: String, _ view: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        guard let html = library.render(view, withTemplate: template) else {
            throw HitchError(.internal, "the dashboard has no template \(template)")
        }
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func asset(_ name: String) -> Response {
        guard let asset = assets[name] else { return Response(status: .notFound) }
        var headers = Self.securityHeaders
        headers[.contentType] = asset.contentType
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: asset.body)))
    }

    static func redirect(_ location: String) -> Response {
        var headers = securityHeaders
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }
}
