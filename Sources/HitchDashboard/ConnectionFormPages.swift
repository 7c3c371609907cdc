import Foundation
import HitchAPI
import HitchDomain
import HitchHTTP
import HitchServices
import Hummingbird

/// "+ New Connection" (category, then kind, then the kind's form) and Edit. Both forms can test their values
/// before saving; a save that fails shows the API's field errors beside the fields; an edit carries the ETag it
/// was opened with, so a save made in between is reported instead of overwritten.
struct ConnectionFormPages: Sendable {
    let dashboard: Dashboard

    struct ChooserView: Sendable {
        struct Category: Sendable {
            let label: String
            let summary: String
            let href: String
            let selected: Bool
        }

        struct Kind: Sendable {
            let title: String
            let name: String
            let href: String
        }

        let chrome: PageChrome
        let categories: [Category]
        let kinds: [Kind]
    }

    struct IssuedView: Sendable {
        struct Secret: Sendable {
            let label: String
            let id: String
            let value: String
        }

        let chrome: PageChrome
        let name: String
        let href: String
        let secrets: [Secret]
    }

    func register(on router: Router<HitchRequestContext>) {
        router.get("/ui/new") { request, context in
            try await dashboard.page(request, context: context) { visitor in
                guard visitor.may(Operations.CreateConnection.id) else {
                    throw HitchError(.forbidden, "the role \(visitor.principal.role.rawValue) may not create connections")
                }
                let query = request.uri.queryParameters
                if let kind = query["kind"].flatMap({ ConnectionKind(rawValue: String($0)) }) {
                    return try await form(kind: kind, existing: nil, values: .init(), visitor: visitor)
                }
                return try chooser(category: query["category"].map(String.init), visitor: visitor)
            }
        }
        router.post("/ui/new") { request, context in
            try await dashboard.post(request, context: context) { visitor, form in
                guard let kind = form["kind"].flatMap(ConnectionKind.init(rawValue:)) else {
                    throw HitchError(.badRequest, "choose a kind of connection first")
                }
                return try await submit(form, kind: kind, existing: nil, visitor: visitor)
            }
        }
        router.get("/ui/connections/:name/edit") { request, context in
            try await dashboard.page(request, context: context) { visitor in
                let connection = try await load(try context.parameters.require("name"), visitor: visitor)
                guard visitor.may(Operations.UpdateConnection.id) else {
                    throw HitchError(.forbidden, "the role \(visitor.principal.role.rawValue) may not change connections")
                }
                return try await form(
                    kind: try kind(of: connection), existing: connection, values: .init(saved: connection), visitor: visitor)
            }
        }
        router.post("/ui/connections/:name/edit") { request, context in
            try await dashboard.post(request, context: context) { visitor, form in
                let connection = try await load(try context.parameters.require("name"), visitor: visitor)
                return try await submit(form, kind: try kind(of: connection), existing: connection, visitor: visitor)
            }
        }
    }

    private func load(_ name: String, visitor: DashboardVisitor) async throws -> Components.Schemas.Connection {
        try await visitor.call(Operations.GetConnection.id, target: name) {
            try await $0.getConnection(path: .init(name: name)).ok.body.json
        }
    }

    private func kind(of connection: Components.Schemas.Connection) throws -> ConnectionKind {
        guard let kind = ConnectionKind(rawValue: connection.kind) else {
            throw HitchError(.internal, "connection \(connection.name) has an unknown kind")
        }
        return kind
    }

    private func chooser(category: String?, visitor: DashboardVisitor) throws -> Response {
        let categories: [(ConnectionKind.Category, String, String)] = [
            (.cloudProvider, "Cloud provider", "Azure, AWS and Google Cloud accounts"),
            (.onPremises, "On-Premises", "VMware vCenter and Nutanix Prism Central"),
            (.apiKey, "API key", "A key that agents enroll with, made by Hitch"),
        ]
        let chosen = category.flatMap(ConnectionKind.Category.init(rawValue:))
        let view = ChooserView(
            chrome: visitor.chrome(title: "New connection"),
            categories: categories.map { category, label, summary in
                ChooserView.Category(
                    label: label, summary: summary, href: "/ui/new?category=" + category.rawValue,
                    selected: category == chosen)
            },
            kinds: ConnectionKind.allCases.filter { $0.category == chosen }.map {
                ChooserView.Kind(title: $0.title, name: $0.rawValue, href: "/ui/new?kind=" + $0.rawValue)
            })
        return try dashboard.renderer.page("new-connection", view)
    }

    private func submit(
        _ form: FormBody, kind: ConnectionKind, existing: Components.Schemas.Connection?, visitor: DashboardVisitor
    ) async throws -> Response {
        let input = ConnectionFormInput(form: form, kind: kind)
        let values = ConnectionFormView.Values(posted: input, storedSecrets: ConnectionFormView.Values.storedSecrets(of: existing))
        do {
            if form["intent"] == "test" {
                let result = try await test(input, existing: existing, visitor: visitor)
                return try await self.form(kind: kind, existing: existing, values: values, visitor: visitor, test: result)
            }
            if let existing {
                let change = input.updateBody(from: existing)
                let saved = try await visitor.call(Operations.UpdateConnection.id, target: existing.name) {
                    try await $0.updateConnection(
                        path: .init(name: existing.name), headers: .init(ifMatch: form["etag"] ?? existing.etag),
                        body: .json(change)
                    ).ok.body.json
                }
                if form["tested"] == "1" { await recordTest(of: existing.name, visitor: visitor) }
                // A regenerated key or external ID is shown once, here, as after a create.
                return try issuedOrRedirect(saved, notice: "saved", visitor: visitor)
            }
            let saved = try await visitor.call(Operations.CreateConnection.id, target: input.name) {
                try await $0.createConnection(body: .json(input.createBody)).created.body.json
            }
            if form["tested"] == "1" { await recordTest(of: saved.connection.name, visitor: visitor) }
            return try issuedOrRedirect(saved, notice: "created", visitor: visitor)
        } catch let error as HitchError
            where [.validation, .secretRequired, .stale, .conflict, .destinationMismatch, .badRequest].contains(error.code)
        {
            let message = error.code == .stale
                ? "Someone saved this connection after you opened it, so your changes were not saved. "
                    + "Open it again to see their changes, then make yours."
                : error.fieldErrors.isEmpty ? error.message : "Correct the fields marked below."
            return try await self.form(
                kind: kind, existing: existing, values: values, visitor: visitor, errors: error.fieldErrors, message: message,
                status: ErrorBody.status(for: error.code))
        }
    }

    private func test(
        _ input: ConnectionFormInput, existing: Components.Schemas.Connection?, visitor: DashboardVisitor
    ) async throws -> Components.Schemas.TestResult {
        if let existing {
            let change = input.updateBody(from: existing)
            return try await visitor.call(Operations.TestConnection.id, target: existing.name) {
                try await $0.testConnection(path: .init(name: existing.name), body: .json(change)).ok.body.json
            }
        }
        return try await visitor.call(Operations.TestCandidateConnection.id) {
            try await $0.testCandidateConnection(body: .json(input.createBody)).ok.body.json
        }
    }

    /// A form that was tested before its save gets the saved values tested once more, so that the connection's
    /// status shows the result rather than "untested". The save has succeeded either way: a test that cannot run
    /// leaves the status as it was, for the drawer's Test Connection.
    private func recordTest(of name: String, visitor: DashboardVisitor) async {
        _ = try? await visitor.call(Operations.TestConnection.id, target: name) {
            try await $0.testConnection(path: .init(name: name), body: .json(.init())).ok
        }
    }

    /// A value Hitch generated (an API key) is shown on this page once; nothing else ever shows it again.
    private func issuedOrRedirect(
        _ saved: Components.Schemas.ConnectionSaved, notice: String, visitor: DashboardVisitor
    ) throws -> Response {
        let path = "/ui/connections/" + saved.connection.name
        guard let issued = saved.issuedSecrets?.additionalProperties, !issued.isEmpty else {
            return DashboardRenderer.redirect(path + "?notice=" + notice)
        }
        let schema = ConnectionKind(rawValue: saved.connection.kind)?.schema
        let view = IssuedView(
            chrome: visitor.chrome(title: "Copy the new secret"), name: saved.connection.name, href: path,
            secrets: issued.sorted { $0.key < $1.key }.map { name, value in
                IssuedView.Secret(label: schema?.field(named: name)?.label ?? name, id: "issued-" + name, value: value)
            })
        return try dashboard.renderer.page("issued", view, status: notice == "created" ? .created : .ok)
    }

    private func form(
        kind: ConnectionKind, existing: Components.Schemas.Connection?, values: ConnectionFormView.Values,
        visitor: DashboardVisitor, test: Components.Schemas.TestResult? = nil, errors: [String: String] = [:],
        message: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var references: [String: [String]] = [:]
        for field in kind.schema.fields {
            guard case .connectionReference(let target) = field.type else { continue }
            references[field.name] = try await visitor.call(Operations.ListConnections.id) {
                try await $0.listConnections(query: .init(kind: .init(rawValue: target.rawValue))).ok.body.json.connections.map(\.name)
            }
        }
        let isNew = existing == nil
        let view = ConnectionFormView(
            chrome: visitor.chrome(title: isNew ? "New \(kind.title)" : "Edit \(existing?.name ?? "")"), isNew: isNew,
            heading: isNew ? "New connection: \(kind.title)" : "Edit \(existing?.name ?? "")",
            action: existing.map { "/ui/connections/\($0.name)/edit" } ?? "/ui/new",
            cancelHref: existing.map { "/ui/connections/\($0.name)" } ?? "/ui/new?category=\(kind.category.rawValue)",
            kind: kind.rawValue, kindTitle: kind.title, name: values.name, nameError: errors["name"],
            description: values.description, descriptionError: errors["description"],
            displayName: values.displayName, displayNameError: errors["displayName"],
            tags: values.tags.joined(separator: ", "), tagsError: errors["tags"], etag: existing?.etag ?? "",
            fields: ConnectionFormView.fields(
                of: kind, values: values, isNew: isNew, errors: errors, references: references),
            message: message, test: test.map(ConnectionFormView.test))
        return try dashboard.renderer.page("connection-form", view, status: status)
    }
}
