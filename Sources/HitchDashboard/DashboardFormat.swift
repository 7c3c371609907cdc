import Foundation
import HitchAPI

/// How the dashboard writes times, field values and test stages.
enum DashboardFormat {
    static func time(_ date: Date?) -> String? {
        guard let date else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)) UTC"
    }

    static func text(_ value: Components.Schemas.FieldValue?) -> String? {
        switch value {
        case .case1(let text)?: text
        case .case2(let flag)?: flag ? "yes" : "no"
        case nil: nil
        }
    }

    /// What a page says after a redirect, by the code in its `notice` parameter. Only these texts are shown, so
    /// a link cannot put words of its own on a Hitch page.
    static func notice(_ code: Substring?) -> String? {
        switch code {
        case "created": "Connection created."
        case "saved": "Saved."
        case "deleted": "Connection deleted."
        case "lease-revoked": "Lease revoked: its session is logged out."
        case "discovery-started": "Discovery started: reload the page to see its result."
        default: nil
        }
    }

    /// A dashboard link: the path and the non-empty pairs as its query, each value percent-encoded.
    static func href(_ path: String, _ pairs: [(String, String)]) -> String {
        let query = pairs.filter { !$0.1.isEmpty }.map { name, value in
            name + "=" + (value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        }
        return path + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    /// A badge's CSS class for a status word.
    static func badge(_ state: String) -> String {
        switch state {
        case "ok", "succeeded", "granted": "good"
        case "untested", "queued", "running", "cancelled": "neutral"
        default: "bad"
        }
    }
}

/// One row of a test's stages: passed, failed with its message, or not reached.
struct StageView: Sendable {
    let stage: String
    let outcome: String
    let badge: String
    /// Not `message`: a template looks a missing name up in the enclosing views, which have a `message`.
    let note: String?

    /// The stages of a fresh test, as it reported them.
    static func from(_ result: Components.Schemas.TestResult) -> [StageView] {
        result.stages.map { stage in
            StageView(
                stage: stage.stage.rawValue, outcome: stage.ok ? "ok" : (stage.code?.rawValue ?? "failed"),
                badge: stage.ok ? "good" : "bad", note: stage.message)
        }
    }

    /// The stages of the saved status: those before the failed stage passed, those after it did not run.
    static func from(_ status: Components.Schemas.Status) -> [StageView] {
        guard status.state != "untested" else { return [] }
        let order = Components.Schemas.TestStage.StagePayload.allCases.map(\.rawValue)
        guard status.state != "ok", let failed = status.stage, let index = order.firstIndex(of: failed) else {
            return [StageView(stage: "all stages", outcome: status.state, badge: DashboardFormat.badge(status.state), note: status.message)]
        }
        return order.enumerated().map { position, stage in
            if position < index { return StageView(stage: stage, outcome: "ok", badge: "good", note: nil) }
            if position == index { return StageView(stage: stage, outcome: status.state, badge: "bad", note: status.message) }
            return StageView(stage: stage, outcome: "not run", badge: "neutral", note: nil)
        }
    }
}
