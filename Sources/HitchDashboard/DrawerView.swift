import Foundation
import HitchAPI
import HitchDomain

/// The details drawer of one connection: its fields, its secrets as placeholders, its status stage by stage, what
/// uses it, and its credential versions.
struct DrawerView: Sendable {
    struct Line: Sendable {
        let label: String
        let value: String
    }

    struct VersionLine: Sendable {
        let version: Int
        let at: String
        let actor: String
        let changed: String
    }

    let name: String
    let displayName: String?
    let kindTitle: String
    let description: String
    let tags: [String]
    let fields: [Line]
    let secrets: [Line]
    let state: String
    let badge: String
    let testedAt: String?
    let stages: [StageView]
    /// A test run from the drawer just now: its stages and warnings.
    let freshTest: Bool
    let warnings: [String]
    /// The seeds' advice about how the connection is used (a shared account, images and scripted actions together).
    let advice: [String]
    let usedBy: [String]
    /// Active leases, each with its Revoke form for operators and admins.
    let leases: [LeaseLine]

    struct LeaseLine: Sendable {
        let id: String
        let summary: String
        let revokeAction: String
    }
    let versions: [VersionLine]
    let rotation: String?
    /// What runs out and when, as the last test was told.
    let expiry: String?
    /// How long the connection has been ok or failing.
    let since: String?
    /// The last test results, oldest first, as a strip of cells.
    let history: [HistoryCell]
    /// The template's section for the strip (a section on the array itself would repeat it).
    let hasHistory: Bool
    /// The certificate the connection remembers, and another that a test met instead.
    let certificate: String?
    let offeredCertificate: String?
    /// How often the schedule tests it.
    let schedule: String

    struct HistoryCell: Sendable {
        let badge: String
        let title: String
    }
    let isVSphere: Bool
    /// Its kind has a least-privilege preflight (every kind but api-key).
    let hasPreflight: Bool
    let mayChange: Bool
    let editHref: String
    let deleteHref: String
    let testAction: String
    let inventoryHref: String
    let preflightHref: String

    static func load(
        name: String, visitor: DashboardVisitor, test: Components.Schemas.TestResult?
    ) async throws -> DrawerView {
        let connection = try await visitor.call(Operations.GetConnection.id, target: name) {
            try await $0.getConnection(path: .init(name: name)).ok.body.json
        }
        let versions = try await visitor.call(Operations.ListConnectionVersions.id, target: name) {
            try await $0.listConnectionVersions(path: .init(name: name)).ok.body.json.versions
        }
        let references = try await visitor.call(Operations.GetConnectionReferences.id, target: name) {
            try await $0.getConnectionReferences(path: .init(name: name)).ok.body.json
        }
        let tests = try await visitor.call(Operations.ListConnectionTests.id, target: name) {
            try await $0.listConnectionTests(path: .init(name: name), query: .init(limit: 30)).ok.body.json.results
        }
        let kind = ConnectionKind(rawValue: connection.kind)
        let schema = kind?.schema
        let fields = (schema?.plainFields ?? []).compactMap { field -> Line? in
            DashboardFormat.text(connection.fields.additionalProperties[field.name]).map { Line(label: field.label, value: $0) }
        }
        let secrets = (schema?.secretFields ?? []).map { field in
            let isSet = connection.secrets.additionalProperties[field.name]?.set ?? false
            return Line(label: field.label, value: isSet ? SecretValue.placeholder : "not set")
        }
        let usedBy =
            references.connections.map { "connection \($0)" }
            + references.jobs.map { "\($0.kind.rawValue) job \($0.id) (\($0.state.rawValue))" }
            + references.assignments.map { "\($0.kind.rawValue) \($0.ref)" }
        let path = "/ui/connections/" + name
        return DrawerView(
            name: connection.name, displayName: connection.displayName, kindTitle: kind?.title ?? connection.kind, description: connection.description,
            tags: connection.tags, fields: fields, secrets: secrets,
            state: test.map { $0.passed ? "ok" : "failed" } ?? connection.status.state,
            badge: DashboardFormat.badge(test.map { $0.passed ? "ok" : "failed" } ?? connection.status.state),
            testedAt: DashboardFormat.time(connection.status.at),
            stages: test.map(StageView.from) ?? StageView.from(connection.status), freshTest: test != nil,
            warnings: test?.warnings ?? [], advice: references.warnings, usedBy: usedBy,
            leases: references.leases.map { lease in
                LeaseLine(
                    id: lease.id,
                    summary: "lease \(lease.id) for \(lease.consumer), until \(DashboardFormat.time(lease.expiresAt) ?? "")",
                    revokeAction: "/ui/leases/\(lease.id)/revoke?connection=\(name)")
            },
            versions: versions.reversed().map {
                VersionLine(
                    version: $0.version, at: DashboardFormat.time($0.createdAt) ?? "", actor: $0.actor,
                    changed: $0.changedFields.joined(separator: ", "))
            },
            rotation: connection.rotation.map {
                $0.due ? "rotation due since \(DashboardFormat.time($0.dueAt) ?? "")" : "\($0.ageDays) of \($0.maxAgeDays) days"
            },
            expiry: connection.status.expiresAt.map { "\(connection.status.expiresWhat ?? "something") until \(DashboardFormat.time($0) ?? "")" },
            since: connection.status.since.flatMap(DashboardFormat.time).map {
                connection.status.state == "ok" ? "ok since \($0)" : "failing since \($0)"
            },
            history: tests.reversed().map {
                HistoryCell(
                    badge: DashboardFormat.badge($0.state),
                    title: "\(DashboardFormat.time($0.at) ?? ""): \($0.state)\($0.message.map { " (\($0))" } ?? "") by \($0.testedBy)")
            },
            hasHistory: !tests.isEmpty,
            certificate: connection.knownCertificate.map(Self.describe),
            offeredCertificate: connection.offeredCertificate.map(Self.describe),
            schedule: connection.checkEvery.map { $0 == "never" ? "never" : "every \($0)" } ?? "the server's interval",
            isVSphere: kind == .vsphere, hasPreflight: kind.map { !PreflightScope.scopes(of: $0).isEmpty } ?? false, mayChange: visitor.may(Operations.UpdateConnection.id),
            editHref: path + "/edit", deleteHref: path + "/delete", testAction: path + "/test",
            inventoryHref: path + "/inventory", preflightHref: path + "/preflight")
    }

    private static func describe(_ certificate: Components.Schemas.Certificate) -> String {
        "SHA-256 \(certificate.thumbprint) (\(certificate.subject), until \(DashboardFormat.time(certificate.notAfter) ?? ""))"
    }
}
