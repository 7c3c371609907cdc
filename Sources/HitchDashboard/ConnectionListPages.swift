import Foundation
import HitchAPI
import HitchDomain
import HitchHTTP
import Hummingbird

/// The connections table, with its filters, search and sorting, and the details drawer of one connection.
struct ConnectionListPages: Sendable {
    let dashboard: Dashboard

    struct View: Sendable {
        let chrome: PageChrome
        let filter: FilterView
        let columns: [ColumnView]
        let rows: [RowView]
        let isEmpty: Bool
        let mayChange: Bool
        let drawer: DrawerView?
        let notice: String?
    }

    struct FilterView: Sendable {
        let q: String
        let tag: String
        let kinds: [OptionView]
        let statuses: [OptionView]
        let sort: String
        let direction: String
    }

    struct ColumnView: Sendable {
        let label: String
        let href: String
        /// `ascending`, `descending` or `none`, for aria-sort.
        let order: String
    }

    struct RowView: Sendable {
        let name: String
        let displayName: String?
        let href: String
        let kind: String
        let endpoint: String?
        let tags: [String]
        let state: String
        let badge: String
        let testedAt: String?
        let age: String?
        let rotationDue: Bool
        let editHref: String
        let deleteHref: String
    }

    func register(on router: Router<HitchRequestContext>) {
        router.get("/ui/connections") { request, context in
            try await dashboard.page(request, context: context) { visitor in
                try await render(request, visitor: visitor, drawer: nil)
            }
        }
        router.get("/ui/connections/:name") { request, context in
            try await dashboard.page(request, context: context) { visitor in
                let name = try context.parameters.require("name")
                let drawer = try await DrawerView.load(name: name, visitor: visitor, test: nil)
                return try await render(request, visitor: visitor, drawer: drawer)
            }
        }
        router.post("/ui/connections/:name/test") { request, context in
            try await dashboard.post(request, context: context) { visitor, _ in
                let name = try context.parameters.require("name")
                let result = try await visitor.call(Operations.TestConnection.id, target: name) {
                    try await $0.testConnection(path: .init(name: name), body: .json(.init())).ok.body.json
                }
                let drawer = try await DrawerView.load(name: name, visitor: visitor, test: result)
                return try await render(request, visitor: visitor, drawer: drawer)
            }
        }
    }

    private func render(_ request: Request, visitor: DashboardVisitor, drawer: DrawerView?) async throws -> Response {
        let query = request.uri.queryParameters
        let q = query["q"].map(String.init) ?? ""
        let tag = query["tag"].map(String.init) ?? ""
        let kind = query["kind"].map(String.init) ?? ""
        let status = query["status"].map(String.init) ?? ""
        let sort = query["sort"].map(String.init) ?? "name"
        let direction = query["dir"] == "desc" ? "desc" : "asc"
        let tags = tag.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        let statusFilter = Operations.ListConnections.Input.Query.StatusPayload(rawValue: status)
        let kindFilter = Components.Schemas.ConnectionKindName(rawValue: kind)
        if !kind.isEmpty, kindFilter == nil { throw HitchError(.badRequest, "unknown kind '\(kind)'") }
        let connections = try await visitor.call(Operations.ListConnections.id) {
            try await $0.listConnections(query: .init(
                kind: kindFilter, tag: tags.isEmpty ? nil : tags, q: q.isEmpty ? nil : q,
                status: statusFilter)).ok.body.json.connections
        }
        let sorted = Self.sorted(connections, by: sort, descending: direction == "desc")
        let base: [(String, String)] = [("q", q), ("tag", tag), ("kind", kind), ("status", status)]
        let columns = [("Name", "name"), ("Kind", "kind"), ("Status", "status"), ("Secret age", "age")].map { label, key in
            let isCurrent = key == sort
            let nextDirection = isCurrent && direction == "asc" ? "desc" : "asc"
            return ColumnView(
                label: label, href: Self.href(base + [("sort", key), ("dir", nextDirection)]),
                order: isCurrent ? (direction == "asc" ? "ascending" : "descending") : "none")
        }
        let view = View(
            chrome: visitor.chrome(title: drawer.map { $0.name } ?? "Connections"),
            filter: FilterView(
                q: q, tag: tag,
                kinds: [OptionView(value: "", label: "Any kind", selected: kind.isEmpty)]
                    + ConnectionKind.allCases.map { OptionView(value: $0.rawValue, label: $0.title, selected: $0.rawValue == kind) },
                statuses: [("", "Any status"), ("ok", "OK"), ("failed", "Failing"), ("untested", "Untested"), ("due", "Rotation due"), ("expiring", "Expiring")]
                    .map { OptionView(value: $0.0, label: $0.1, selected: $0.0 == status) },
                sort: sort, direction: direction),
            columns: columns, rows: sorted.map(Self.row), isEmpty: sorted.isEmpty,
            mayChange: visitor.may(Operations.CreateConnection.id), drawer: drawer,
            notice: DashboardFormat.notice(request.uri.queryParameters["notice"]))
        return try dashboard.renderer.page("connections", view)
    }

    static func sorted(
        _ connections: [Components.Schemas.Connection], by key: String, descending: Bool
    ) -> [Components.Schemas.Connection] {
        let ascending = connections.sorted { left, right in
            switch key {
            case "kind": (left.kind, left.name) < (right.kind, right.name)
            case "status": (left.status.state, left.name) < (right.status.state, right.name)
            case "age": (left.rotation?.ageDays ?? -1, left.name) < (right.rotation?.ageDays ?? -1, right.name)
            default: left.name < right.name
            }
        }
        return descending ? ascending.reversed() : ascending
    }

    static func row(_ connection: Components.Schemas.Connection) -> RowView {
        let path = "/ui/connections/" + connection.name
        return RowView(
            name: connection.name, displayName: connection.displayName, href: path, kind: connection.kind, endpoint: connection.endpoint, tags: connection.tags,
            state: connection.status.state, badge: DashboardFormat.badge(connection.status.state),
            testedAt: DashboardFormat.time(connection.status.at),
            age: connection.rotation.map { "\($0.ageDays) of \($0.maxAgeDays) days" },
            rotationDue: connection.rotation?.due ?? false, editHref: path + "/edit", deleteHref: path + "/delete")
    }

    static func href(_ pairs: [(String, String)]) -> String { DashboardFormat.href("/ui/connections", pairs) }
}

struct OptionView: Sendable {
    let value: String
    let label: String
    let selected: Bool
}
