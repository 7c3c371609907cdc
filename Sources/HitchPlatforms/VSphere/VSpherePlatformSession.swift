import Foundation
import HitchDomain
import NIOCore

/// A logged-in vSphere session that Hitch keeps open on behalf of jobs, for one connection's credential version.
/// It is closed on the platform (SessionManager.Logout) when that version is rotated away, so a copy of the old
/// session key stops working there too.
public final class VSpherePlatformSession: Sendable {
    let session: VSphereSession
    let content: VSphereSession.ServiceContent

    private init(session: VSphereSession, content: VSphereSession.ServiceContent) {
        self.session = session
        self.content = content
    }

    /// Connects under the target's TLS policy and logs in; the error names the stage that failed. Each stage of
    /// connecting gets `timeout`, as in a connection test; each request, the login's included, gets
    /// `requestTimeout`: a page of a large inventory from a busy vCenter takes longer, and the job reading it has its
    /// own deadline.
    public static func open(
        _ target: VSphereTarget, timeout: TimeAmount = .seconds(15), requestTimeout: TimeAmount = .seconds(60)
    ) async throws(PlatformSessionError) -> VSpherePlatformSession {
        do {
            return try await login(target, timeout: timeout, requestTimeout: requestTimeout)
        } catch {
            throw PlatformSessionError(error)
        }
    }

    private static func login(
        _ target: VSphereTarget, timeout: TimeAmount, requestTimeout: TimeAmount
    ) async throws(StageFailure) -> VSpherePlatformSession {
        let (host, port) = Endpoint.split(target.vcenter, defaultPort: 443)
        var stages: [StageResult] = []
        let connection = try await EndpointProbe(
            host: host, port: port, policy: TLSPolicy.of(insecure: target.insecure, thumbprint: target.thumbprint),
            timeout: timeout, requestTimeout: requestTimeout, maximumResponseBytes: PolicyHTTPSConnection.jobResponseLimit,
            remembered: target.rememberedThumbprint
        ).open(into: &stages)
        let session = VSphereSession(connection: connection)
        do {
            let content = try await session.retrieveServiceContent()
            try await session.login(content, username: target.username, password: target.password.exposedValue)
            return VSpherePlatformSession(session: session, content: content)
        } catch let fault as VSphereFault where fault.type == "InvalidLogin" {
            session.shutdown()
            throw StageFailure(.authenticate, .authFailed, "vCenter refused the username or password (not retried)")
        } catch {
            session.shutdown()
            throw StageFailure(.authenticate, .error, "could not log in to vCenter")
        }
    }

    /// The session still answers as logged in (vCenter ends idle sessions on its own).
    public func isAlive() async -> Bool {
        (try? await session.names(of: "Datacenter", under: content.rootFolder, content)) != nil
    }

    /// The `vmware_soap_session` cookie that identifies the session on the platform; for tests that check it has
    /// been closed there. It is a secret: never log it.
    public var sessionCookie: SecretValue? { session.currentCookie.map(SecretValue.init) }

    /// Logs out on the platform and closes the connection.
    public func close() async {
        await session.logout(content)
        session.shutdown()
    }
}

/// Why a platform session could not be opened, in a test's terms; never quotes the platform's answer.
public struct PlatformSessionError: Error, Sendable, CustomStringConvertible {
    public let code: TestFailureCode
    public let message: String

    init(_ failure: StageFailure) {
        code = failure.code
        message = failure.message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Runs `body`, passing its session error on, making a stage's failure one, and any other error `fallback`.
    static func mapping<T>(
        otherwise fallback: @autoclosure () -> StageFailure, _ body: () async throws -> T
    ) async throws(PlatformSessionError) -> T {
        do {
            return try await body()
        } catch let error as PlatformSessionError {
            throw error
        } catch let failure as StageFailure {
            throw PlatformSessionError(failure)
        } catch {
            throw PlatformSessionError(fallback())
        }
    }
}
