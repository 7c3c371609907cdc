import HitchServices

/// Who may call each operation of openapi.yaml, and the audit action of those that change something. An operation
/// missing from the table is refused to everyone, and a test walks every operation of the document against it.
enum AccessPolicy {
    enum Access: Sendable, Equatable {
        /// No token needed: health, readiness, sign-in.
        case open
        /// Any signed-in actor; the service narrows what it may see (its own tokens).
        case signedIn
        case permission(Role.Permission)
    }

    struct Rule: Sendable {
        let access: Access
        /// Written as `failed` or `denied` when the operation does not succeed; the service writes `ok` itself.
        let auditAction: String?
        /// What the `name` or `id` path parameter names, for those events.
        let targetKind: String?

        init(_ access: Access, audit auditAction: String? = nil, target targetKind: String? = nil) {
            self.access = access
            self.auditAction = auditAction
            self.targetKind = targetKind
        }
    }

    static let rules: [String: Rule] = [
        "getHealth": Rule(.open),
        "getReadiness": Rule(.open),
        "login": Rule(.open),
        "logout": Rule(.signedIn),
        "whoami": Rule(.signedIn),
        "listConnectionKinds": Rule(.permission(.readConnections)),
        "listConnections": Rule(.permission(.readConnections)),
        "getConnection": Rule(.permission(.readConnections)),
        "listConnectionVersions": Rule(.permission(.readConnections)),
        "createConnection": Rule(.permission(.changeConnections), audit: "connection.create", target: "connection"),
        "updateConnection": Rule(.permission(.changeConnections), audit: "connection.update", target: "connection"),
        "rotateOnPlatform": Rule(.permission(.changeConnections), audit: "connection.rotate", target: "connection"),
        "deleteConnection": Rule(.permission(.changeConnections), audit: "connection.delete", target: "connection"),
        "testConnection": Rule(.permission(.changeConnections), audit: "connection.test", target: "connection"),
        "testCandidateConnection": Rule(.permission(.changeConnections), audit: "connection.test"),
        "testConnections": Rule(.permission(.changeConnections), audit: "connection.test"),
        "getConnectionReferences": Rule(.permission(.readConnections)),
        "listConnectionTests": Rule(.permission(.readConnections)),
        "trustCertificate": Rule(.permission(.changeConnections), audit: "connection.trust-certificate", target: "connection"),
        "listWebhooks": Rule(.permission(.administer)),
        "createWebhook": Rule(.permission(.administer), audit: "webhook.add"),
        "deleteWebhook": Rule(.permission(.administer), audit: "webhook.remove", target: "webhook"),
        "listWebhookDeliveries": Rule(.permission(.administer)),
        "listJobs": Rule(.permission(.readConnections)),
        "getJob": Rule(.permission(.readConnections)),
        "startJob": Rule(.permission(.changeConnections), audit: "job.start"),
        "finishJob": Rule(.permission(.changeConnections), audit: "job.finish", target: "job"),
        "cancelJob": Rule(.permission(.changeConnections), audit: "job.cancel", target: "job"),
        "startDiscovery": Rule(.permission(.changeConnections), audit: "job.start", target: "connection"),
        "getInventory": Rule(.permission(.readConnections)),
        "getPreflight": Rule(.permission(.readConnections)),
        "runPreflight": Rule(.permission(.changeConnections), audit: "preflight.run", target: "connection"),
        "listAssignments": Rule(.permission(.readConnections)),
        "addAssignment": Rule(.permission(.changeConnections), audit: "assignment.add"),
        "removeAssignment": Rule(.permission(.changeConnections), audit: "assignment.remove", target: "assignment"),
        "listUsers": Rule(.permission(.administer)),
        "getUser": Rule(.permission(.administer)),
        "createUser": Rule(.permission(.administer), audit: "user.create", target: "user"),
        "updateUser": Rule(.permission(.administer), audit: "user.update", target: "user"),
        "listTokens": Rule(.signedIn),
        "createToken": Rule(.signedIn, audit: "token.create", target: "token"),
        "revokeToken": Rule(.signedIn, audit: "token.revoke", target: "token"),
        "listAuditEvents": Rule(.permission(.readAudit)),
        "exportAuditEvents": Rule(.permission(.readAudit)),
        "verifyAuditLog": Rule(.permission(.readAudit)),
        "takeBackup": Rule(.permission(.administer), audit: "backup.take"),
        "getKeyStatus": Rule(.permission(.administer)),
        "rotateMasterKey": Rule(.permission(.administer), audit: "key.rotate"),
        "retireMasterKey": Rule(.permission(.administer), audit: "key.retire"),
        "rekeyKeyring": Rule(.permission(.administer), audit: "key.rekey"),
        "createLease": Rule(.permission(.useConnections), audit: "lease.issue", target: "connection"),
        "verifyAPIKey": Rule(.permission(.useConnections), audit: "api-key.verify"),
        // A consumer lists and ends its own leases; operators and admins any (LeaseService narrows it).
        "listLeases": Rule(.signedIn),
        "getLease": Rule(.signedIn),
        "revokeLease": Rule(.signedIn, audit: "lease.end", target: "lease"),
    ]
}
