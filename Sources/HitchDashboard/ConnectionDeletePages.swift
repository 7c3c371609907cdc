import Foundation
import HitchAPI
import HitchDomain
import HitchHTTP
import HitchServices
import Hummingbird

/// Delete, from a connection's action menu: a confirmation, then the delete; when Hitch refuses because the
/// connection is in use, the page lists what uses it.
struct ConnectionDeletePages: Sendable {
    let dashboard: Dashboard

    struct View: Sendable {
        let chrome: PageChrome
        let name: String
        let action: String
        let cancelHref: String
        let refusal: String?
        let blockers: [String]
    }

    func register(on router: Router<HitchRequestContext>) {
        router.get("/ui/connections/:name/delete") { request, context in
            try await dashboard.page(request, context: context) { visitor in
                let name = try context.parameters.require("name")
                guard visitor.may(Operations.DeleteConnection.id) else {
                    throw HitchError(.forbidden, "the role \(visitor.principal.role.rawValue) may not delete connections")
                }
                _ = try await visitor.call(Operations.GetConnection.id, target: name) {
                    try await $0.getConnection(path: .init(name: name)).ok
                }
                return try page(name: name, visitor: visitor, refusal: nil)
            }
        }
        router.post("/ui/connections/:name/delete") { request, context in
            try await dashboard.post(request, context: context) { visitor, _ in
                let name = try context.parameters.require("name")
                do {
                    _ = try await visitor.call(Operations.DeleteConnection.id, target: name) {
                        try await $0.deleteConnection(path: .init(name: name)).noContent
                    }
                    return DashboardRenderer.redirect("/ui/connections?notice=deleted")
                } catch let error as HitchError where error.code == .conflict {
                    return try page(name: name, visitor: visitor, refusal: error, status: .conflict)
                }
            }
        }
    }

    private func page(
        name: String, visitor: DashboardVisitor, refusal: HitchError?, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let view = View(
            chrome: visitor.chrome(title: "Delete \(name)"), name: name, action: "/ui/connections/\(name)/delete",
            cancelHref: "/ui/connections/" + name, refusal: refusal?.message, blockers: refusal?.blockers ?? [])
        return try dashboard.renderer.page("delete", view, status: status)
    }
}
