import Foundation
import HitchAPI
import HitchDomain
import HitchHTTP
import Hummingbird

/// Revoke, beside each active lease in a connection's drawer: the same API operation and role rules as
/// `DELETE /v1/leases/{id}`; back to the drawer with a notice.
struct LeasePages: Sendable {
    let dashboard: Dashboard

    func register(on router: Router<HitchRequestContext>) {
        router.post("/ui/leases/:id/revoke") { request, context in
            try await dashboard.post(request, context: context) { visitor, _ in
                let id = try context.parameters.require("id")
                _ = try await visitor.call(Operations.RevokeLease.id, target: id) {
                    try await $0.revokeLease(path: .init(id: id)).noContent
                }
                let connection = request.uri.queryParameters["connection"].map(String.init) ?? ""
                let valid = NameRule.problem(with: connection) == nil
                return DashboardRenderer.redirect(valid ? "/ui/connections/\(connection)?notice=lease-revoked" : "/ui/connections")
            }
        }
    }
}
