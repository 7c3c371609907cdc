import Foundation

/// A Google service account JSON key: it parses, is of type service_account and names its account, key and token URI.
enum GCPKeyRule {
    static func problem(with text: String) -> String? {
        guard let key = parse(text) else { return "must be a JSON object: a service account key file" }
        if key["type"] as? String != "service_account" { return "must be a key of type service_account" }
        for member in ["client_email", "private_key", "token_uri"] {
            guard let value = key[member] as? String, !value.isEmpty else { return "must have \(member)" }
        }
        if !(key["private_key"] as? String ?? "").contains("PRIVATE KEY-----") {
            return "private_key must be a PEM private key"
        }
        return nil
    }

    /// Warns when the key was made in another project than the connection names.
    static func checkProject(in draft: ConnectionDraft, into report: inout ValidationReport) {
        guard let text = draft.secrets["serviceAccountKey"]?.exposedValue, let key = parse(text),
            let keyProject = key["project_id"] as? String,
            let projectId = draft.fields["projectId"]?.stringValue, keyProject != projectId
        else { return }
        report.warnings.append(
            "the service account key belongs to project '\(keyProject)', not '\(projectId)'; "
                + "it works only if the account is granted access to '\(projectId)'")
    }

    private static func parse(_ text: String) -> [String: Any]? {
        guard let data = text.data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
