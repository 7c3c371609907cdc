import Foundation
import HitchDomain
import NIOCore

/// A vCenter session opened for a lease: Hitch logs in with the stored password and hands out only the session's
/// cookie; ending the lease logs that session out, from any server, with the cookie alone.
public enum VSphereLeaseSession {
    public struct Opened: Sendable {
        /// `vmware_soap_session=...`: what the consumer presents, and what Hitch keeps (sealed) to end it.
        public let cookie: SecretValue
        /// The SOAP endpoint, `https://HOST:PORT/sdk`.
        public let url: String
        /// The connection's pinned certificate thumbprint, for the consumer to pin too (nil under system trust).
        public let thumbprint: String?
    }

    public static func open(_ target: VSphereTarget, timeout: TimeAmount = .seconds(15)) async throws(PlatformSessionError) -> Opened {
        let session = try await VSpherePlatformSession.open(target, timeout: timeout, requestTimeout: timeout)
        guard let cookie = session.sessionCookie else {
            await session.close()
            throw PlatformSessionError(StageFailure(.authenticate, .error, "vCenter gave the session no cookie"))
        }
        // The connection goes; the session stays logged in on vCenter until the lease ends.
        session.session.shutdown()
        let (host, port) = Endpoint.split(target.vcenter, defaultPort: 443)
        return Opened(cookie: cookie, url: "https://\(host):\(port)/sdk", thumbprint: target.thumbprint.flatMap(Thumbprint.normalized))
    }

    /// Logs out the session that `cookie` names. Returns false when vCenter could not be reached (the session then
    /// ends at vCenter's own idle timeout).
    public static func logout(_ target: VSphereTarget, cookie: SecretValue, timeout: TimeAmount = .seconds(15)) async -> Bool {
        let (host, port) = Endpoint.split(target.vcenter, defaultPort: 443)
        var stages: [StageResult] = []
        guard let connection = try? await EndpointProbe(
            host: host, port: port, policy: TLSPolicy.of(insecure: target.insecure, thumbprint: target.thumbprint), timeout: timeout,
            remembered: target.rememberedThumbprint
        ).open(into: &stages) else { return false }
        let session = VSphereSession(connection: connection, cookie: cookie.exposedValue)
        defer { session.shutdown() }
        guard let content = try? await session.retrieveServiceContent() else { return false }
        await session.logout(content)
        return true
    }
}
