import Foundation
import HTTPTypes
@testable import HitchServices
import HitchStorage
import Testing

/// `GET /v1/connections/{name}` keeps its encoded answer (`ConnectionAnswers`); these try to make it give one that
/// is out of date, or to a reader who may not read it.
@Suite struct ConnectionAnswersTests {
    @Test(arguments: TestBackend.all)
    func aKeptAnswerFollowsEveryChangeOfTheConnection(backend: TestBackend) async throws {
        let clock = TestClock()
        try await withAPI(backend, clock: clock) { client, runtime in
            #expect(try await client.call(.post, "/v1/connections", json: Sample.vsphere()).status == .created)
            let first = try await client.call(.get, "/v1/connections/prod-vcenter")
            let again = try await client.call(.get, "/v1/connections/prod-vcenter")
            #expect(first.status == .ok && again.status == .ok)
            #expect(again.text == first.text)
            // The header is HTTP's entity tag, the same as the body's, on a kept answer as on a made one.
            let etag = try #require(first.json["etag"] as? String)
            #expect(etag.hasPrefix("\"") && etag.hasSuffix(":1\""))
            #expect(first.headers[.eTag] == etag && again.headers[.eTag] == etag)

            // A change of the record (a new revision).
            let changed = try await client.call(
                .patch, "/v1/connections/prod-vcenter", json: ["description": "changed"], headers: [.ifMatch: etag])
            #expect(changed.status == .ok, "\(changed.text)")
            #expect(changed.headers[.eTag] == (changed.json["connection"] as? [String: Any])?["etag"] as? String)
            let afterChange = try await client.call(.get, "/v1/connections/prod-vcenter")
            #expect(afterChange.json["description"] as? String == "changed")
            #expect(afterChange.headers[.eTag] != etag)

            // A test's result, which leaves the revision as it was.
            let record = try #require(try await runtime.connections.find(name: "prod-vcenter", logger: TestBackend.logger))
            let saved = try await runtime.store.write(logger: TestBackend.logger) { session in
                try await session.connections.saveStatus(
                    ConnectionStatus(state: "auth-failed", stage: "auth", message: "wrong password", at: clock.now),
                    certificates: nil, connectionId: record.id, testedVersion: record.credentialVersion)
            }
            #expect(saved)
            let afterTest = try await client.call(.get, "/v1/connections/prod-vcenter")
            #expect((afterTest.json["status"] as? [String: Any])?["state"] as? String == "auth-failed", "\(afterTest.text)")
            #expect(afterTest.headers[.eTag] == afterChange.headers[.eTag])

            // The passing of time: the secret's age in days.
            #expect((afterTest.json["rotation"] as? [String: Any])?["ageDays"] as? Int == 0)
            clock.advance(by: 3.5 * 86_400)
            let later = try await client.call(.get, "/v1/connections/prod-vcenter")
            #expect((later.json["rotation"] as? [String: Any])?["ageDays"] as? Int == 3, "\(later.text)")

            // A rotation, then the connection's removal.
            let rotated = try await client.call(
                .patch, "/v1/connections/prod-vcenter", json: ["secrets": ["password": "canary-rotated-pw"]])
            #expect(rotated.status == .ok)
            let afterRotation = try await client.call(.get, "/v1/connections/prod-vcenter")
            #expect(afterRotation.json["credentialVersion"] as? Int == 2)
            #expect((afterRotation.json["rotation"] as? [String: Any])?["ageDays"] as? Int == 0)
            #expect(!afterRotation.text.contains("canary"))
            #expect(try await client.call(.delete, "/v1/connections/prod-vcenter").status == .noContent)
            #expect(try await client.call(.get, "/v1/connections/prod-vcenter").status == .notFound)
        }
    }

    @Test(arguments: TestBackend.all)
    func aKeptAnswerGoesOnlyToReadersWhoMayRead(backend: TestBackend) async throws {
        try await withAPI(backend) { client, _ in
            for (name, tag) in [("vc-a", "team-a"), ("vc-b", "team-b")] {
                var values = Sample.vsphere(name: name)
                values["tags"] = [tag]
                #expect(try await client.call(.post, "/v1/connections", json: values).status == .created)
            }
            #expect(try await client.call(.post, "/v1/users", json: [
                "name": "enroll-a", "role": "consumer", "kind": "service", "allowedTags": ["team-a"],
            ]).status == .created)
            let limited = try #require(
                try await client.call(.post, "/v1/tokens", json: ["user": "enroll-a", "name": "t"]).json["secret"] as? String)
            // The admin's reads leave both answers kept.
            for name in ["vc-a", "vc-b", "vc-a", "vc-b"] {
                #expect(try await client.call(.get, "/v1/connections/\(name)").status == .ok)
            }
            for _ in 0..<2 {
                let refused = try await client.call(.get, "/v1/connections/vc-b", token: limited)
                #expect(refused.status == .forbidden, "\(refused.text)")
                #expect(!refused.text.contains("vc01.corp.example"))
                #expect(try await client.call(.get, "/v1/connections/vc-a", token: limited).status == .ok)
                #expect(try await client.call(.get, "/v1/connections/vc-b", token: nil).status == .unauthorized)
                #expect(try await client.call(.get, "/v1/connections/vc-b", token: "hitch_not-a-token").status == .unauthorized)
            }
            // A percent-encoded name is the same name, and the same scope applies to it.
            #expect(try await client.call(.get, "/v1/connections/vc%2Db", token: limited).status == .forbidden)
            #expect(try await client.call(.get, "/v1/connections/vc%2Da", token: limited).status == .ok)

            // Once its token is revoked, the reader gets nothing, kept or not.
            let tokens = try await client.call(.get, "/v1/tokens?user=enroll-a").json["tokens"] as? [[String: Any]] ?? []
            let tokenId = try #require(tokens.first?["id"] as? String, "\(tokens)")
            #expect(try await client.call(.delete, "/v1/tokens/\(tokenId)").status == .noContent)
            #expect(try await client.call(.get, "/v1/connections/vc-a", token: limited).status == .unauthorized)
        }
    }

    /// A connection that rotates on its own shows its last failures, which are not part of its record: its answer is
    /// made anew on every read.
    @Test(arguments: TestBackend.all)
    func anAutoRotatingConnectionShowsEachNewFailure(backend: TestBackend) async throws {
        try await withAPI(backend) { client, runtime in
            var values = DestinationBindingTests.accessKey(
                "aws-auto", keyId: "AKIAAUTO000000000001", secret: DestinationBindingTests.victimKey, sts: "http://127.0.0.1:9/")
            values["autoRotate"] = true
            values["maxSecretAgeDays"] = 1
            let created = try await client.call(.post, "/v1/connections", json: values)
            #expect(created.status == .created, "\(created.text)")
            for _ in 0..<2 {
                #expect(try await client.call(.get, "/v1/connections/aws-auto").json["autoRotationFailures"] == nil)
            }
            let record = try #require(try await runtime.connections.find(name: "aws-auto", logger: TestBackend.logger))
            _ = try await runtime.store.write(logger: TestBackend.logger) { session in
                #expect(try await session.autoRotations.claim(connectionId: record.id, at: Date(), until: Date().addingTimeInterval(60)))
                return try await session.autoRotations.failed(
                    connectionId: record.id, reason: "the platform refused", nextAttemptAt: Date().addingTimeInterval(3_600))
            }
            let shown = try await client.call(.get, "/v1/connections/aws-auto")
            let failures = try #require(shown.json["autoRotationFailures"] as? [String: Any], "\(shown.text)")
            #expect(failures["failures"] as? Int == 1 && failures["lastError"] as? String == "the platform refused")
        }
    }
}
