import Foundation
import HitchAPI
import HitchDomain
import HitchHTTP
import Hummingbird

/// The audit log for auditors and administrators: events newest first, filtered by connection, actor, action
/// and day, one page at a time; and, when asked (it reads the whole log), whether the hash chain verifies.
struct AuditPages: Sendable {
    let dashboard: Dashboard

    struct View: Sendable {
        struct Row: Sendable {
            let sequence: Int64
            let time: String
            let actor: String
            let action: String
            let target: String
            let outcome: String
            let badge: String
            let changed: String
            let detail: String
        }

        let chrome: PageChrome
        let connection: String
        let actor: String
        let action: String
        let since: String
        let until: String
        let verified: Bool
        let intact: Bool
        let verification: String
        let verifyHref: String
        let rows: [Row]
        let isEmpty: Bool
        let olderHref: String?
    }

    func register(on router: Router<HitchRequestContext>) {
        router.get("/ui/audit") { request, context in
            try await dashboard.page(request, context: context) { visitor in try await page(request, visitor: visitor) }
        }
    }

    private func page(_ request: Request, visitor: DashboardVisitor) async throws -> Response {
        let query = request.uri.queryParameters
        func text(_ name: String) -> String {
            guard let value = query[Substring(name)] else { return "" }
            return String(value).trimmingCharacters(in: .whitespaces)
        }
        let (connection, actor, action, since, until) = (text("connection"), text("actor"), text("action"), text("since"), text("until"))
        let sinceDate = try Self.day(since, field: "since")
        let untilDate = try Self.day(until, field: "until").map { $0.addingTimeInterval(86_400) }
        let before = query["before"].flatMap { Int64(String($0)) }
        let page = try await visitor.call(Operations.ListAuditEvents.id) {
            try await $0.listAuditEvents(query: .init(
                connection: connection.isEmpty ? nil : connection, actor: actor.isEmpty ? nil : actor,
                action: action.isEmpty ? nil : action, since: sinceDate, until: untilDate, before: before, limit: 100
            )).ok.body.json
        }
        let verification = query["verify"] == "1"
            ? try await visitor.call(Operations.VerifyAuditLog.id) { try await $0.verifyAuditLog().ok.body.json }
            : nil
        let rows = page.events.map { event in
            View.Row(
                sequence: event.sequence, time: DashboardFormat.time(event.time) ?? "",
                actor: event.actor.name + (event.actor.tokenName.map { " (\($0))" } ?? ""), action: event.action,
                target: event.target.map { "\($0.kind) \($0.name)" } ?? "", outcome: event.outcome.rawValue,
                badge: DashboardFormat.badge(event.outcome == .ok ? "ok" : "failed"),
                changed: event.changedFields.joined(separator: ", "),
                detail: [event.failureCode, event.detail].compactMap { $0 }.joined(separator: ": "))
        }
        let summary = verification.map { verification in
            verification.intact
                ? "Intact: \(verification.verified) events verified"
                : "Broken at event \(verification.failure.map { "\($0.sequence): \($0.reason)" } ?? "?")"
        } ?? ""
        let filters = [("connection", connection), ("actor", actor), ("action", action), ("since", since), ("until", until)]
        let view = View(
            chrome: visitor.chrome(title: "Audit log"), connection: connection, actor: actor, action: action,
            since: since, until: until, verified: verification != nil, intact: verification?.intact ?? false,
            verification: summary, verifyHref: DashboardFormat.href("/ui/audit", filters + [("verify", "1")]), rows: rows, isEmpty: rows.isEmpty,
            olderHref: page.next.map { DashboardFormat.href("/ui/audit", filters + [("before", String($0))]) })
        return try dashboard.renderer.page("audit", view)
    }

    /// A day as the date input sends it (`2026-11-30`), at midnight UTC.
    static func day(_ text: String, field: String) throws -> Date? {
        guard !text.isEmpty else { return nil }
        let parts = text.split(separator: "-").compactMap { Int($0) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard parts.count == 3,
            let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
        else { throw HitchError.validation([field: "must be a day such as 2026-11-30"]) }
        return date
    }
}
