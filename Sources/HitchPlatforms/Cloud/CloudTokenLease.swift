import Foundation
import HitchDomain
import NIOCore

/// Leases on Azure and Google Cloud: an OAuth access token from the stored credential, for a scope. Tokens cannot
/// be recalled; their own expiry (about an hour) bounds the lease.
public enum CloudTokenLease {
    public struct Token: Sendable {
        public let accessToken: SecretValue
        public let scope: String
        public let expiresAt: Date
    }

    /// Entra ID's client-credentials grant, for `scope` (Resource Manager's `.default` unless given).
    public static func azure(_ target: AzureTarget, scope: String?, timeout: TimeAmount = .seconds(15), now: Date = Date()) async throws(PlatformSessionError) -> Token {
        do {
            let endpoints = AzureTester.clouds[target.cloud] ?? AzureTester.clouds["public"]!
            let authority = try HTTPSLocation(target.authorityHost ?? URL(string: endpoints.authority)!)
            let arm = target.armEndpoint ?? URL(string: endpoints.arm)!
            let scope = scope ?? AzureTester.defaultScope(arm: arm)
            var stages: [StageResult] = []
            let connection = try await EndpointProbe(host: authority.host, port: authority.port, policy: target.tlsPolicy, timeout: timeout)
                .open(into: &stages)
            defer { connection.close() }
            let token = try await AzureTester.requestToken(target, at: authority, over: connection, scope: scope, timeout: timeout)
            return Token(accessToken: token, scope: scope, expiresAt: now.addingTimeInterval(3600))
        } catch let failure as StageFailure {
            throw PlatformSessionError(failure)
        } catch {
            throw PlatformSessionError(StageFailure(.authenticate, .error, "Entra ID could not be asked"))
        }
    }

    /// Google's JWT bearer grant, for `scope` (cloud-platform unless given).
    public static func gcp(_ target: GCPTarget, scope: String?, timeout: TimeAmount = .seconds(15), now: Date = Date()) async throws(PlatformSessionError) -> Token {
        do {
            let key = try ServiceAccountKey(target.serviceAccountKey)
            let scope = scope ?? GCPTester.scope
            let location = try HTTPSLocation(key.tokenURI)
            var stages: [StageResult] = []
            let connection = try await EndpointProbe(host: location.host, port: location.port, policy: target.tlsPolicy, timeout: timeout)
                .open(into: &stages)
            defer { connection.close() }
            let token = try await GCPTester.exchange(
                try key.assertion(now: now, scope: scope), at: location, over: connection, policy: target.tlsPolicy, timeout: timeout)
            return Token(accessToken: token, scope: scope, expiresAt: now.addingTimeInterval(3600))
        } catch let failure as StageFailure {
            throw PlatformSessionError(failure)
        } catch {
            throw PlatformSessionError(StageFailure(.authenticate, .error, "Google's token endpoint could not be asked"))
        }
    }
}
