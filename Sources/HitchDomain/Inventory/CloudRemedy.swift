import Foundation

/// What to run when a cloud preflight finds privileges missing: a role made of exactly the scope's entries, and
/// its grant to the connection's identity, in each platform's own tool (or, for AWS, the policy document).
public enum CloudRemedy {
    static func roleName(_ scope: PreflightScope) -> String {
        scope == .images ? "Hitch Images" : "Hitch Scripted Actions"
    }

    public static func azure(scope: PreflightScope, subscriptionId: String, clientId: String) -> [String] {
        let role = roleName(scope)
        let actions = CloudPermissions.required(of: .azure, for: scope).map(\.id)
        let definition: [String: Any] = [
            "Name": role, "IsCustom": true, "Description": "Hitch's least privileges for \(scope.rawValue)",
            "Actions": actions, "NotActions": [String](), "AssignableScopes": ["/subscriptions/\(subscriptionId)"],
        ]
        return [
            "az role definition create --role-definition '\(json(definition))'",
            "az role assignment create --assignee \(clientId) --role '\(role)' --scope /subscriptions/\(subscriptionId)",
        ]
    }

    public static func gcp(scope: PreflightScope, projectId: String, clientEmail: String) -> [String] {
        let roleId = scope == .images ? "hitchImages" : "hitchScriptedActions"
        let permissions = CloudPermissions.required(of: .gcp, for: scope).map(\.id).joined(separator: ",")
        return [
            "gcloud iam roles create \(roleId) --project=\(projectId) --title='\(roleName(scope))' --permissions=\(permissions)",
            "gcloud projects add-iam-policy-binding \(projectId) --member=serviceAccount:\(clientEmail) --role=projects/\(projectId)/roles/\(roleId)",
        ]
    }

    /// The identity policy to attach to the key's user or the role (`aws iam put-user-policy` / `put-role-policy`).
    public static func aws(scope: PreflightScope) -> [String] {
        let actions = CloudPermissions.required(of: .awsAccessKey, for: scope).map(\.id)
        let policy: [String: Any] = [
            "Version": "2012-10-17",
            "Statement": [["Sid": roleName(scope).replacingOccurrences(of: " ", with: ""), "Effect": "Allow", "Action": actions, "Resource": "*"]],
        ]
        return ["attach this policy to the key's IAM user or to the role:", json(policy)]
    }

    private static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
