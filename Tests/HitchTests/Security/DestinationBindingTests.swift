import Crypto
import Foundation
import HTTPTypes
import HitchDomain
@testable import HitchSecrets
@testable import HitchServices
@testable import HitchStorage
import HummingbirdTesting
import SQLKit
import Testing

/// S9 beyond the plain capture: connections that go through another (`via`), a destination changed in the database
/// by hand, the dashboard's edit form, and the migration that binds the secrets of an existing database.
@Suite struct DestinationBindingTests {
    static let victimKey = "VICTIMawsSecretKey0000000000000000000000"
    static let attackerKey = "attackersOwnSecretKey0000000000000000000"
    static let victimExternalId = "VICTIM-external-id-77"

    static func accessKey(_ name: String, keyId: String, secret: String, sts: String? = nil) -> [String: Any] {
        var fields: [String: Any] = ["accountId": "123456789012", "accessKeyId": keyId]
        if let sts { fields["stsEndpoint"] = sts }
        return ["kind": "aws-access-key", "name": name, "fields": fields, "secrets": ["secretAccessKey": secret]]
    }

    /// A cross-account connection's external id goes to its `via` key's STS endpoint: repointing `via` at an
    /// attacker's key needs the external id; the attacker moving their own key, which a victim goes through, leaves
    /// the victim's external id sealed for the old destination, so it is not opened and not sent.
    @Test(arguments: TestBackend.all)
    func viaIsPartOfTheDestination(backend: TestBackend) async throws {
        try await DestinationCaptureTests.withCaptureServers { capture, _, plain in
            try await withAPI(backend) { client, runtime in
                let attacker = try await TestIdentities.token(role: "operator", in: runtime).token
                let sts = "https://sts.eu-west-1.amazonaws.com"
                #expect(try await client.call(.post, "/v1/connections", json: Self.accessKey("victim-key", keyId: "AKIAVICTIM0000000001", secret: Self.victimKey, sts: sts)).status == .created)
                #expect(try await client.call(.post, "/v1/connections", json: Self.accessKey("shared-key", keyId: "AKIASHARED0000000001", secret: Self.attackerKey, sts: sts)).status == .created)
                for (name, via) in [("victim-xa", "victim-key"), ("shared-xa", "shared-key")] {
                    let created = try await client.call(.post, "/v1/connections", json: [
                        "kind": "aws-cross-account", "name": name,
                        "fields": ["roleArn": "arn:aws:iam::210987654321:role/hitch", "via": via],
                        "secrets": ["externalId": Self.victimExternalId],
                    ])
                    #expect(created.status == .created, "\(created.text)")
                }
                let own = Self.accessKey("attacker-key", keyId: "AKIAATTACK0000000001", secret: Self.attackerKey, sts: "http://127.0.0.1:\(plain.port)")
                #expect(try await client.call(.post, "/v1/connections", json: own, token: attacker).status == .created)
                capture.forget()

                // Repointing the victim's via at the attacker's key: refused, the external id is named.
                let repointed = try await client.call(.patch, "/v1/connections/victim-xa", json: ["fields": ["via": "attacker-key"]], token: attacker)
                #expect(repointed.status == .badRequest && repointed.text.contains("externalId"), "\(repointed.text)")
                let candidate = try await client.call(.post, "/v1/connections/victim-xa/test", json: ["fields": ["via": "attacker-key"]], token: attacker)
                #expect(candidate.status == .badRequest)

                // The key a victim goes through is moved with its own secret re-entered: allowed, with a warning.
                let moved = try await client.call(.patch, "/v1/connections/shared-key", json: [
                    "fields": ["stsEndpoint": "http://127.0.0.1:\(plain.port)"], "secrets": ["secretAccessKey": Self.attackerKey],
                ], token: attacker)
                #expect(moved.status == .ok, "\(moved.text)")
                #expect((moved.json["warnings"] as? [String] ?? []).contains { $0.contains("shared-xa") }, "\(moved.text)")
                capture.forget()
                let used = try await client.call(.post, "/v1/connections/shared-xa/test", json: [String: Any](), token: attacker)
                #expect(used.status == .conflict, "\(used.text)")
                #expect((used.json["error"] as? [String: Any])?["code"] as? String == "destination-mismatch")
                #expect(capture.requests.isEmpty, "nothing is sent: \(capture.requests)")
                #expect(!capture.received(Self.victimExternalId) && !capture.received(Self.victimKey))

                // Re-entered, the external id is bound to the new destination and opens again.
                let reentered = try await client.call(.patch, "/v1/connections/shared-xa", json: ["secrets": ["externalId": "new-external-id"]])
                #expect(reentered.status == .ok, "\(reentered.text)")
                _ = try await client.call(.post, "/v1/connections/shared-xa/test?timeout=5", json: [String: Any]())
                #expect(capture.received("new-external-id") && !capture.received(Self.victimExternalId))
            }
        }
    }

    /// An assume-role connection has no secret of its own: repointing its `via` is allowed and sends only the
    /// signature of the key it now names, never the victim key's.
    @Test(arguments: TestBackend.all)
    func assumeRoleViaSendsOnlyTheNewKeysSignature(backend: TestBackend) async throws {
        try await DestinationCaptureTests.withCaptureServers { capture, _, plain in
            try await withAPI(backend) { client, runtime in
                let attacker = try await TestIdentities.token(role: "operator", in: runtime).token
                #expect(try await client.call(.post, "/v1/connections", json: Self.accessKey("victim-key", keyId: "AKIAVICTIM0000000001", secret: Self.victimKey)).status == .created)
                #expect(try await client.call(.post, "/v1/connections", json: [
                    "kind": "aws-assume-role", "name": "victim-role",
                    "fields": ["roleArn": "arn:aws:iam::210987654321:role/hitch", "via": "victim-key"],
                ]).status == .created)
                let own = Self.accessKey("attacker-key", keyId: "AKIAATTACK0000000001", secret: Self.attackerKey, sts: "http://127.0.0.1:\(plain.port)")
                #expect(try await client.call(.post, "/v1/connections", json: own, token: attacker).status == .created)
                #expect(try await client.call(.patch, "/v1/connections/victim-role", json: ["fields": ["via": "attacker-key"]], token: attacker).status == .ok)
                _ = try await client.call(.post, "/v1/connections/victim-role/test?timeout=5", json: [String: Any](), token: attacker)
                #expect(capture.received("AKIAATTACK0000000001"), "the test went through the attacker's own key")
                #expect(!capture.received("AKIAVICTIM0000000001") && !capture.received(Self.victimKey))
            }
        }
    }

    /// A destination changed in the database by hand (or by a bug) does not open the secret: the next test fails
    /// with the binding error and sends nothing.
    @Test(arguments: TestBackend.all)
    func aDestinationEditedInTheDatabaseFailsClosed(backend: TestBackend) async throws {
        try await DestinationCaptureTests.withCaptureServers { capture, _, plain in
            try await withAPI(backend) { client, runtime in
                let sts = "https://sts.eu-west-1.amazonaws.com"
                #expect(try await client.call(.post, "/v1/connections", json: Self.accessKey("victim", keyId: "AKIAVICTIM0000000001", secret: Self.victimKey, sts: sts)).status == .created)
                let capturing = "http://127.0.0.1:\(plain.port)"
                try await runtime.store.backend.transaction(logger: TestBackend.logger) { database in
                    let row = try #require(try await database.select().column("fields").from("connections").where("name", .equal, "victim").first())
                    var fields = try JSONDecoder().decode([String: FieldValue].self, from: Data(try row.decode(column: "fields", as: String.self).utf8))
                    fields["stsEndpoint"] = .string(capturing)
                    let text = String(decoding: try JSONEncoder().encode(fields), as: UTF8.self)
                    try await database.update("connections").set("fields", to: text).where("name", .equal, "victim").run()
                }
                // Any write empties the read cache, as the next change through Hitch would.
                try await runtime.store.write(logger: TestBackend.logger) { _ in }
                let shown = try await client.call(.get, "/v1/connections/victim")
                #expect((shown.json["fields"] as? [String: Any])?["stsEndpoint"] as? String == capturing, "the edit is in place")

                let tested = try await client.call(.post, "/v1/connections/victim/test", json: [String: Any]())
                #expect(tested.status == .conflict, "\(tested.text)")
                #expect((tested.json["error"] as? [String: Any])?["code"] as? String == "destination-mismatch")
                let many = try await client.call(.post, "/v1/connection-tests", json: ["timeout": 5])
                #expect(many.text.contains("destination"), "\(many.text)")
                #expect(capture.requests.isEmpty, "\(capture.requests)")
                #expect(!tested.text.contains(Self.victimKey) && !many.text.contains(Self.victimKey))
            }
        }
    }

    /// The dashboard's edit form says which fields are destinations, and a change of one without the secret is
    /// refused with the error beside the secret's input; nothing reaches the attacker's endpoint.
    @Test(arguments: TestBackend.all)
    func theEditFormRefusesADestinationChangeWithoutTheSecret(backend: TestBackend) async throws {
        try await DestinationCaptureTests.withCaptureServers { capture, tls, _ in
            try await withAPI(backend) { client, _ in
                let password = "operator-password-2718"
                #expect(try await client.call(.post, "/v1/users", json: ["name": "otto", "role": "operator", "password": password]).status == .created)
                #expect(try await client.call(.post, "/v1/connections", json: Sample.vsphere(name: "victim", password: DestinationCaptureTests.victimPassword)).status == .created)
                let session = try #require(try await client.signIn("otto", password).session)
                let page = try await client.page("/ui/connections/victim/edit", cookie: session)
                #expect(page.text.contains("changes where the secret is sent"), "each destination field says so")
                let csrf = try #require(DashboardAccessTests.formToken(in: page.text))
                let etag = try #require(page.text.range(of: "name=\"etag\" value=\"").map { String(page.text[$0.upperBound...].prefix { $0 != "\"" }) })
                var form = [
                    "csrf": csrf, "kind": "vsphere", "etag": etag.replacingOccurrences(of: "&quot;", with: "\""),
                    "field.vcenter": "127.0.0.1:\(tls.port)", "field.thumbprint": tls.thumbprint,
                    "field.username": "svc-hitch@vsphere.local", "field.datacenter": "DC1", "field.cluster": "Prod",
                    "description": "prod vCenter", "tags": "prod, migration",
                ]
                for intent in ["save", "test"] {
                    form["intent"] = intent
                    let answer = try await client.form("/ui/connections/victim/edit", form, cookie: session)
                    #expect(answer.status == .badRequest, "\(intent): \(answer.status)")
                    #expect(answer.text.contains("id=\"e-f-password\" data-region>re-enter the password"), "\(intent)")
                    #expect(!answer.text.contains(DestinationCaptureTests.victimPassword))
                }
                #expect(capture.requests.isEmpty, "\(capture.requests)")
                let saved = try await client.call(.get, "/v1/connections/victim")
                #expect((saved.json["fields"] as? [String: Any])?["vcenter"] as? String == "vc01.corp.example")
                let events = try await client.call(.get, "/v1/audit?connection=victim&actor=otto").json["events"] as? [[String: Any]] ?? []
                #expect(events.filter { $0["outcome"] as? String == "denied" }.count == 2)
            }
        }
    }

    /// A database at the landed schema (version 5) with secrets sealed before they were bound to a destination:
    /// the next start seals them again under their destination in one transaction, audited once, and every one
    /// opens as before; a second start does nothing more.
    @Test(arguments: TestBackend.all)
    func theMigrationKeepsEveryExistingSecretUsable(backend: TestBackend) async throws {
        let master = MasterKey.generate()
        let keyText = master.key.withUnsafeBytes { Data($0).base64EncodedString() }
        let environment = TestBackend.environment.merging(["HITCH_MASTER_KEY": keyText]) { $1 }
        let secrets: [(name: String, kind: ConnectionKind, fields: [String: FieldValue], field: String, value: String)] = [
            ("old-vcenter", .vsphere, ["vcenter": .string("vc01.corp.example"), "username": .string("svc"), "insecure": .boolean(false)], "password", "old-vsphere-pw"),
            ("old-key", .awsAccessKey, ["accountId": .string("123456789012"), "accessKeyId": .string("AKIAOLDKEY0000000001")], "secretAccessKey", Self.victimKey),
            ("old-xa", .awsCrossAccount, ["roleArn": .string("arn:aws:iam::210987654321:role/hitch"), "via": .string("old-key")], "externalId", "old-external-id"),
        ]
        try await backend.withConfiguration(environment: environment) { configuration in
            try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { sql in
                try await Migrator(backend: sql, upTo: 5).migrate(logger: TestBackend.logger)
                let store = Store(backend: sql)
                try await store.write(logger: TestBackend.logger) { session in
                    try await session.keyCheck.save(masterKeyVersion: master.version, value: try KeyCheck.make(for: master))
                }
                // Rows as schema version 5 holds them: the current repository writes columns added since.
                try await sql.transaction(logger: TestBackend.logger) { database in
                    for (index, secret) in secrets.enumerated() {
                        let id = "c\(index)"
                        let fields = String(decoding: try JSONEncoder().encode(secret.fields), as: UTF8.self)
                        try await database.insert(into: "connections")
                            .columns(
                                "id", "name", "kind", "description", "tags", "fields", "credential_version", "revision", "status",
                                "created_at", "created_by", "updated_at", "updated_by")
                            .values(
                                SQLBind(id), SQLBind(secret.name), SQLBind(secret.kind.rawValue), SQLBind(""), SQLBind("[]"), SQLBind(fields),
                                SQLBind(2), SQLBind(3), SQLBind("untested"), SQLBind(Int64(1000)), SQLBind("admin"), SQLBind(Int64(1000)),
                                SQLBind("admin"))
                            .run()
                        let sealed = try Self.sealedUnbound(secret.value, id: id, field: secret.field, version: 2, master: master)
                        try await database.insert(into: "connection_secrets")
                            .columns("connection_id", "field", "credential_version", "master_key_version", "wrapped_key", "ciphertext")
                            .values(
                                SQLBind(id), SQLBind(secret.field), SQLBind(2), SQLBind(sealed.masterKeyVersion),
                                SQLBind(sealed.wrappedKey.base64EncodedString()), SQLBind(sealed.ciphertext.base64EncodedString()))
                            .run()
                    }
                }
            }
            for _ in 0..<2 {
                try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { sql in
                    let runtime = try await HitchRuntime.start(backend: sql, configuration: configuration, logger: TestBackend.logger)
                    for secret in secrets {
                        let record = try #require(try await runtime.store.connection(named: secret.name, logger: TestBackend.logger))
                        let opened = try await runtime.connections.openSecrets(of: record, logger: TestBackend.logger)
                        #expect(opened[secret.field]?.exposedValue == secret.value, "\(secret.name)")
                    }
                    let events = try await runtime.store.read(logger: TestBackend.logger) {
                        try await $0.audit.list(AuditFilter(action: "secrets.bind-destination"), before: nil, limit: 10)
                    }
                    #expect(events.count == 1, "audited once, at the start that migrated")
                    #expect(events.first?.detail?.hasPrefix("3 secrets of 3 connections") == true, "\(events.first?.detail ?? "")")
                }
            }
        }
    }

    /// A secret as the landed code sealed it: associated data without a destination (format v1).
    static func sealedUnbound(_ value: String, id: String, field: String, version: Int, master: MasterKey) throws -> StoredSecret {
        func data(_ purpose: String) -> Data { Data("hitch/\(purpose)/v1\u{0}\(id)\u{0}\(field)\u{0}\(version)".utf8) }
        let dataKey = SymmetricKey(size: .bits256)
        let secret = try AES.GCM.seal(Data(value.utf8), using: dataKey, authenticating: data("secret"))
        let wrapped = try dataKey.withUnsafeBytes { bytes in
            try AES.GCM.seal(Data(bytes), using: master.key, authenticating: data("data-key"))
        }
        return StoredSecret(
            field: field, credentialVersion: version, masterKeyVersion: master.version, wrappedKey: wrapped.combined!,
            ciphertext: secret.combined!)
    }
}
