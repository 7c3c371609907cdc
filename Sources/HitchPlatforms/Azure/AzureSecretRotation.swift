import Foundation
import HitchDomain
import NIOCore
import NIOHTTP1

/// An azure client secret rotated in Entra ID itself through Microsoft Graph, in two phases around Hitch's save:
/// `prepare` finds the application by its client id (`GET /v1.0/applications(appId='...')`), adds a password
/// (`addPassword`, ending after the connection's maximum secret age) and checks that Entra ID takes it (retrying
/// while it propagates); if anything after the addition fails, the new password is removed again. `finish` then
/// removes the old password (`removePassword` of its key id, found by the hint Graph keeps: the secret's first
/// three characters), with a token of the new one. Every Graph call carries a token for `{graph}/.default`.
public enum AzureSecretRotation {
    public struct Prepared: Sendable {
        public let applicationId: String
        /// The old password's key id, when exactly one password's hint matches the old secret.
        public let oldKeyId: String?
        public let newKeyId: String
        public let newSecret: SecretValue
        public let newEndsAt: Date?

        public func target(from old: AzureTarget) -> AzureTarget {
            var target = old
            target.clientSecret = newSecret
            return target
        }
    }

    public static func prepare(
        _ target: AzureTarget, lifetimeDays: Int, propagation: Duration = .seconds(60),
        afterCreate: @Sendable () async throws -> Void = {}
    ) async throws(RotationFailure) -> Prepared {
        let graph = try await step("graph-token") { try await Graph(target: target) }
        let application = try await step("find-application") { try await graph.application() }
        let hint = String(target.clientSecret.exposedValue.prefix(3))
        let matching = application.passwords.filter { $0.hint == hint }
        let ends = Date().addingTimeInterval(TimeInterval(lifetimeDays) * 86_400)
        let added = try await step("add-password") { try await graph.addPassword(applicationId: application.id, endsAt: ends) }
        let prepared = Prepared(
            applicationId: application.id, oldKeyId: matching.count == 1 ? matching[0].keyId : nil, newKeyId: added.keyId,
            newSecret: added.secret, newEndsAt: added.endsAt)
        do {
            try await step("after-create") { try await afterCreate() }
            try await verify(prepared.target(from: target), within: propagation)
            return prepared
        } catch {
            try? await abandon(prepared, target: target)
            throw error
        }
    }

    /// Removes the new password, with a token of the old one.
    public static func abandon(_ prepared: Prepared, target: AzureTarget) async throws(RotationFailure) {
        try await step("remove-new-password") {
            try await Graph(target: target).removePassword(applicationId: prepared.applicationId, keyId: prepared.newKeyId)
        }
    }

    /// Removes the old password, with a token of the new one; a password Hitch could not tell apart is left, said.
    public static func finish(_ prepared: Prepared, target: AzureTarget) async throws(RotationFailure) {
        guard let oldKeyId = prepared.oldKeyId else {
            throw RotationFailure(step: "remove-old-password", message: "no single password of the application matches the old secret's hint")
        }
        try await step("remove-old-password") {
            try await Graph(target: prepared.target(from: target)).removePassword(applicationId: prepared.applicationId, keyId: oldKeyId)
        }
    }

    /// The current secret's end (its password's `endDateTime`), for a test's expiries; nil when Graph will not say.
    public static func secretEnd(_ target: AzureTarget) async -> Date? {
        guard let graph = try? await Graph(target: target), let application = try? await graph.application() else { return nil }
        let hint = String(target.clientSecret.exposedValue.prefix(3))
        let matching = application.passwords.filter { $0.hint == hint }
        return matching.count == 1 ? matching[0].endsAt : nil
    }

    static func verify(_ target: AzureTarget, within: Duration) async throws(RotationFailure) {
        try await RotationStep.test("test-new-secret", within: within, every: .seconds(2), refused: "Entra ID did not take the new secret") {
            await AzureTester.test(target)
        }
    }

    private static func step<Result>(_ name: String, _ body: () async throws -> Result) async throws(RotationFailure) -> Result {
        try await RotationStep.run(name, body)
    }
}

/// Microsoft Graph with an app-only token of the application itself.
private struct Graph {
    struct Password {
        let keyId: String
        let hint: String?
        let endsAt: Date?
    }

    struct Application {
        let id: String
        let passwords: [Password]
    }

    let target: AzureTarget
    let location: HTTPSLocation
    let token: SecretValue
    static let timeout: TimeAmount = .seconds(15)

    init(target: AzureTarget) async throws {
        self.target = target
        let endpoints = AzureTester.clouds[target.cloud] ?? AzureTester.clouds["public"]!
        let graph = target.graphEndpoint ?? URL(string: endpoints.graph)!
        location = try HTTPSLocation(graph)
        let authority = try HTTPSLocation(target.authorityHost ?? URL(string: endpoints.authority)!)
        token = try await AzureTester.requestToken(
            target, at: authority, over: nil, scope: AzureTester.defaultScope(arm: graph), timeout: Self.timeout)
    }

    func application() async throws -> Application {
        let path = location.path + "/v1.0/applications(appId='" + FormEncoding.escape(target.clientId) + "')?$select=id,passwordCredentials"
        let object = try await call(.GET, path: path, body: nil, expecting: 200)
        guard let id = object["id"] as? String else { throw StageFailure(.objects, .error, "Graph's application answer could not be read") }
        let passwords = (object["passwordCredentials"] as? [[String: Any]] ?? []).compactMap { credential -> Password? in
            guard let keyId = credential["keyId"] as? String else { return nil }
            return Password(
                keyId: keyId, hint: credential["hint"] as? String,
                endsAt: (credential["endDateTime"] as? String).flatMap(Self.date))
        }
        return Application(id: id, passwords: passwords)
    }

    func addPassword(applicationId: String, endsAt: Date) async throws -> (keyId: String, secret: SecretValue, endsAt: Date?) {
        let body = try JSONSerialization.data(withJSONObject: [
            "passwordCredential": ["displayName": "hitch", "endDateTime": ISO8601DateFormatter().string(from: endsAt)],
        ])
        let object = try await call(
            .POST, path: location.path + "/v1.0/applications/" + FormEncoding.escape(applicationId) + "/addPassword",
            body: String(decoding: body, as: UTF8.self), expecting: 200)
        guard let keyId = object["keyId"] as? String, let secret = object["secretText"] as? String, !secret.isEmpty else {
            throw StageFailure(.objects, .error, "Graph's addPassword answer could not be read")
        }
        return (keyId, SecretValue(secret), (object["endDateTime"] as? String).flatMap(Self.date))
    }

    func removePassword(applicationId: String, keyId: String) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["keyId": keyId])
        _ = try await call(
            .POST, path: location.path + "/v1.0/applications/" + FormEncoding.escape(applicationId) + "/removePassword",
            body: String(decoding: body, as: UTF8.self), expecting: 204)
    }

    private func call(_ method: HTTPMethod, path: String, body: String?, expecting: Int) async throws -> [String: Any] {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(token.exposedValue)")
        headers.add(name: "Accept", value: "application/json")
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        let response = try await location.send(
            method, path: path, headers: headers, body: body, policy: target.tlsPolicy, timeout: Self.timeout, stage: .authorize)
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
        guard Int(response.status.code) == expecting else {
            let code = (object["error"] as? [String: Any])?["code"] as? String ?? "HTTP \(response.status.code)"
            switch response.status.code {
            case 401: throw StageFailure(.authenticate, .authFailed, "Graph refused the token (\(code))")
            case 403: throw StageFailure(.authorize, .insufficientPrivileges, "Graph denied the call (\(code)): the application needs Application.ReadWrite.OwnedBy and to own itself")
            case 404: throw StageFailure(.objects, .notFound, "Graph found no application with client id \(target.clientId) (\(code))")
            default: throw StageFailure(.authorize, .error, "Graph answered \(code)")
            }
        }
        return object
    }

    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
