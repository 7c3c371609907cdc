import Foundation
import HitchAPI
import HitchDomain
import HitchHTTP
import Hummingbird

/// A vSphere connection's inventory, as a tree, with a button to discover it again; and its last preflight, as
/// the table of privileges granted and missing, with a button to run it again.
struct InventoryPages: Sendable {
    let dashboard: Dashboard

    /// The tree reads at most this many objects; `hitch inventory show` pages through any number.
    static let maximumObjects = 5000

    struct InventoryView: Sendable {
        let chrome: PageChrome
        let name: String
        let backHref: String
        let takenAt: String?
        let counts: String?
        let tree: [InventoryTree.Node]
        let truncated: Bool
        let mayChange: Bool
        let discoverAction: String
        let notice: String?
    }

    struct PreflightView: Sendable {
        struct Row: Sendable {
            let id: String
            let need: String
            let usedFor: String
            let granted: Bool
            let badge: String
            let outcome: String
        }

        let chrome: PageChrome
        let name: String
        let backHref: String
        let hasReport: Bool
        let scope: String
        let capability: String
        let capabilityBadge: String
        let checkedAt: String?
        let username: String
        let datacenter: String
        let rows: [Row]
        let missing: [String]
        let warnings: [String]
        let remedy: [String]
        /// The scopes the connection's kind checks, its default first.
        let scopes: [String]
        let mayChange: Bool
        let runAction: String
    }

    func register(on router: Router<HitchRequestContext>) {
        router.get("/ui/connections/:name/inventory") { request, context in
            try await dashboard.page(request, context: context) { visitor in
                try await inventory(try context.parameters.require("name"), visitor: visitor,
                    notice: DashboardFormat.notice(request.uri.queryParameters["notice"]))
            }
        }
        router.post("/ui/connections/:name/discovery") { request, context in
            try await dashboard.post(request, context: context) { visitor, _ in
                let name = try context.parameters.require("name")
                _ = try await visitor.call(Operations.StartDiscovery.id, target: name) {
                    try await $0.startDiscovery(path: .init(name: name)).accepted
                }
                return DashboardRenderer.redirect("/ui/connections/\(name)/inventory?notice=discovery-started")
            }
        }
        router.get("/ui/connections/:name/preflight") { request, context in
            try await dashboard.page(request, context: context) { visitor in
                let name = try context.parameters.require("name")
                let report: Components.Schemas.Preflight?
                do {
                    report = try await visitor.call(Operations.GetPreflight.id, target: name) {
                        try await $0.getPreflight(path: .init(name: name)).ok.body.json
                    }
                } catch let error as HitchError where error.code == .notFound && error.message.contains("has no preflight") {
                    report = nil
                }
                return try await preflight(name, report: report, visitor: visitor)
            }
        }
        router.post("/ui/connections/:name/preflight") { request, context in
            try await dashboard.post(request, context: context) { visitor, form in
                let name = try context.parameters.require("name")
                let scope = form["scope"].flatMap(Components.Schemas.PreflightScope.init(rawValue:))
                let report = try await visitor.call(Operations.RunPreflight.id, target: name) {
                    try await $0.runPreflight(path: .init(name: name), query: .init(scope: scope)).ok.body.json
                }
                return try await preflight(name, report: report, visitor: visitor)
            }
        }
    }

    private func inventory(_ name: String, visitor: DashboardVisitor, notice: String?) async throws -> Response {
        var objects: [Components.Schemas.InventoryObject] = []
        var snapshot: Components.Schemas.InventoryPage.SnapshotPayload?
        var truncated = false
        for type in [Components.Schemas.InventoryType.datacenter, .folder, .cluster, .host, .vm] {
            var offset: Int? = 0
            while let start = offset {
                guard objects.count < Self.maximumObjects else {
                    truncated = true
                    break
                }
                let page = try await visitor.call(Operations.GetInventory.id, target: name) {
                    try await $0.getInventory(path: .init(name: name), query: .init(_type: type, offset: start, limit: 1000)).ok.body.json
                }
                snapshot = snapshot ?? page.snapshot
                objects += page.objects
                offset = page.nextOffset
            }
        }
        let counts = snapshot.map { snapshot in
            snapshot.counts.additionalProperties.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        }
        let view = InventoryView(
            chrome: visitor.chrome(title: "Inventory of \(name)"), name: name, backHref: "/ui/connections/" + name,
            takenAt: DashboardFormat.time(snapshot?.takenAt), counts: counts, tree: InventoryTree(objects).roots,
            truncated: truncated, mayChange: visitor.may(Operations.StartDiscovery.id),
            discoverAction: "/ui/connections/\(name)/discovery", notice: notice)
        return try dashboard.renderer.page("inventory", view)
    }

    private func preflight(_ name: String, report: Components.Schemas.Preflight?, visitor: DashboardVisitor) async throws -> Response {
        let connection = try await visitor.call(Operations.GetConnection.id, target: name) {
            try await $0.getConnection(path: .init(name: name)).ok.body.json
        }
        let scopes = ConnectionKind(rawValue: connection.kind).map(PreflightScope.scopes(of:)) ?? []
        let rows = report?.privileges.map { privilege in
            PreflightView.Row(
                id: privilege.id, need: privilege.need.rawValue, usedFor: privilege.usedFor, granted: privilege.granted,
                badge: !privilege.checked ? "neutral" : privilege.granted ? "good" : (privilege.need == .optional ? "neutral" : "bad"),
                outcome: !privilege.checked ? "unknown" : privilege.granted ? "granted" : "missing")
        } ?? []
        let view = PreflightView(
            chrome: visitor.chrome(title: "Preflight of \(name)"), name: name, backHref: "/ui/connections/" + name,
            hasReport: report != nil, scope: report?.scope.rawValue ?? "", capability: report?.capability.rawValue ?? "",
            capabilityBadge: report.map { $0.capability == .migration ? "good" : ($0.capability == .discovery ? "neutral" : "bad") } ?? "neutral",
            checkedAt: DashboardFormat.time(report?.checkedAt), username: report?.username ?? "",
            datacenter: report?.datacenter ?? "", rows: rows, missing: report?.missing ?? [], warnings: report?.warnings ?? [],
            remedy: report?.remedy ?? [], scopes: scopes.map(\.rawValue), mayChange: visitor.may(Operations.RunPreflight.id),
            runAction: "/ui/connections/\(name)/preflight")
        return try dashboard.renderer.page("preflight", view)
    }
}
