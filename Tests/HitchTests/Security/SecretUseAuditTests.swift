import Foundation
import HTTPTypes
@testable import HitchServices
import HitchStorage
import HummingbirdTesting
import SQLKit
import Testing

/// S4: every use of a secret is audited before the secret is opened, naming each connection whose secret is
/// opened (a `via` key too); when that event cannot be written, the use does not happen.
@Suite struct SecretUseAuditTests {
    static func setUp(_ client: some TestClientProtocol, sts: String) async throws {
        #expect(try await client.call(.post, "/v1/connections", json: DestinationBindingTests.accessKey(
            "key", keyId: "AKIAUSEAUDIT00000001", secret: DestinationBindingTests.victimKey, sts: sts)).status == .created)
        #expect(try await client.call(.post, "/v1/connections", json: [
            "kind": "aws-cross-account", "name": "partner",
            "fields": ["roleArn": "arn:aws:iam::210987654321:role/hitch", "via": "key"],
            "secrets": ["externalId": "use-audit-external-id"],
        ]).status == .created)
    }

    @Test(arguments: TestBackend.all)
    func theUseIsAuditedBeforeTheTest(backend: TestBackend) async throws {
        try await DestinationCaptureTests.withCaptureServers { capture, _, plain in
            try await withAPI(backend) { client, _ in
                try await Self.setUp(client, sts: "http://127.0.0.1:\(plain.port)")
                _ = try await client.call(.post, "/v1/connections/partner/test?timeout=5", json: [String: Any]())
                #expect(!capture.requests.isEmpty, "the test reached the key's endpoint")
                let events = try await client.call(.get, "/v1/audit?action=connection").json["events"] as? [[String: Any]] ?? []
                let ordered = events.reversed().map { event in
                    "\(event["action"]!) \((event["target"] as? [String: Any])?["name"] ?? "-")"
                }.filter { !$0.hasPrefix("connection.create") }
                #expect(ordered == ["connection.use partner", "connection.use key", "connection.test partner"], "\(ordered)")
            }
        }
    }

    /// With the audit log refusing writes, a test, a candidate test through a `via` key, and a bulk test refuse to
    /// run: 503 (or an error line), and the platform is never reached.
    @Test(arguments: TestBackend.all)
    func noAuditNoUse(backend: TestBackend) async throws {
        try await DestinationCaptureTests.withCaptureServers { capture, _, plain in
            try await withAPI(backend) { client, runtime in
                try await Self.setUp(client, sts: "http://127.0.0.1:\(plain.port)")
                try await Self.refuseAuditWrites(runtime.store.backend)
                let saved = try await client.call(.post, "/v1/connections/partner/test", json: [String: Any]())
                #expect(saved.status == .serviceUnavailable, "\(saved.text)")
                let candidate = try await client.call(.post, "/v1/connections/test", json: [
                    "kind": "aws-assume-role", "name": "probe", "fields": ["roleArn": "arn:aws:iam::210987654321:role/x", "via": "key"],
                ])
                #expect(candidate.status == .serviceUnavailable, "\(candidate.text)")
                let many = try await client.call(.post, "/v1/connection-tests", json: ["timeout": 5])
                #expect(many.status == .serviceUnavailable, "\(many.text)")
                #expect(capture.requests.isEmpty, "\(capture.requests)")
            }
        }
    }

    /// A trigger that fails every insert into the audit log, as a full disk or a broken database would.
    static func refuseAuditWrites(_ backend: any SQLBackend) async throws {
        try await backend.transaction(logger: TestBackend.logger) { database in
            if database.dialect.name == "sqlite" {
                try await database.raw("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit refused'); END").run()
            } else {
                try await database.raw("CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql").run()
                try await database.raw("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit()").run()
            }
        }
    }
}
