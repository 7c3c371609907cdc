import Foundation

/// The stages of a connection test, in order (DESIGN.md section 5).
public enum TestStage: String, Sendable, CaseIterable, Codable {
    /// `proxy` is reported only when the connection goes through an outbound proxy.
    case resolve, proxy, connect, tls, authenticate, authorize, objects

    /// The stages of a connection made directly, without a proxy.
    public static let direct: [TestStage] = allCases.filter { $0 != .proxy }
}

/// Why a stage failed.
public enum TestFailureCode: String, Sendable, Codable {
    case unreachable
    /// The server's egress policy does not allow the resolved address (or plain HTTP to it).
    case egressDenied = "egress-denied"
    /// The outbound proxy could not be reached, or refused the tunnel.
    case proxyFailed = "proxy-failed"
    case tlsUntrusted = "tls-untrusted"
    /// The server presents another certificate than the one the connection first passed with; nothing was sent.
    case tlsChanged = "tls-changed"
    case authFailed = "auth-failed"
    case insufficientPrivileges = "insufficient-privileges"
    case notFound = "not-found"
    case timeout
    case error
}

/// The leaf certificate a server presented, so that a user can decide to pin it.
public struct PresentedCertificate: Sendable, Equatable, Codable {
    /// Lowercase hex SHA-256 of the DER bytes.
    public let thumbprint: String
    public let subject: String
    public let notAfter: Date
}

/// One stage's outcome. Messages are Hitch's own: never a secret, a token or a raw response body.
public struct StageResult: Sendable, Equatable, Codable {
    public let stage: TestStage
    public let failure: TestFailureCode?
    public let message: String
    public let certificate: PresentedCertificate?

    public var passed: Bool { failure == nil }

    static func ok(_ stage: TestStage, _ message: String, certificate: PresentedCertificate? = nil) -> StageResult {
        StageResult(stage: stage, failure: nil, message: message, certificate: certificate)
    }
}

/// A whole test: the stages that ran (a failure ends it), and warnings such as `insecure`.
public struct TestReport: Sendable, Equatable, Codable {
    public var stages: [StageResult] = []
    public var warnings: [String] = []
    public var duration: TimeInterval = 0
    /// When something the connection depends on runs out, as the platform said during the test.
    public var expiries: [PlatformExpiry] = []
    /// When the platform made the credential (an AWS access key's CreateDate), when it said.
    public var credentialCreatedAt: Date?

    public var passed: Bool { !stages.isEmpty && stages.allSatisfy(\.passed) }
    public var failedStage: StageResult? { stages.first { !$0.passed } }

    public init() {}
}

/// Something a connection depends on that the platform will let run out: a certificate, a client secret, a key.
public struct PlatformExpiry: Sendable, Equatable, Codable {
    /// What runs out, in a user's words: `TLS certificate`, `client secret`, `access key`.
    public let what: String
    public let at: Date

    public init(what: String, at: Date) {
        self.what = what
        self.at = at
    }
}

/// A stage that failed, thrown inside a tester and recorded as its last stage.
struct StageFailure: Error, Sendable {
    let stage: TestStage
    let code: TestFailureCode
    let message: String
    var certificate: PresentedCertificate?

    init(_ stage: TestStage, _ code: TestFailureCode, _ message: String, certificate: PresentedCertificate? = nil) {
        self.stage = stage
        self.code = code
        self.message = message
        self.certificate = certificate
    }

    var result: StageResult { StageResult(stage: stage, failure: code, message: message, certificate: certificate) }
}

extension TestReport {
    /// Runs a tester's stages and times them: a `StageFailure` thrown by `body` is recorded as the last stage, any
    /// other error as a generic one that quotes nothing.
    static func run(_ body: (inout TestReport) async throws -> Void) async -> TestReport {
        let started = ContinuousClock.now
        var report = TestReport()
        do {
            try await body(&report)
        } catch let failure as StageFailure {
            report.stages.append(failure.result)
        } catch {
            report.stages.append(StageResult(stage: .connect, failure: .error, message: "the test could not run", certificate: nil))
        }
        report.duration = Endpoint.seconds(since: started)
        return report
    }

    /// A test that could not start, failing at `stage`.
    public static func failed(_ stage: TestStage, _ message: String) -> TestReport {
        var report = TestReport()
        report.stages = [StageResult(stage: stage, failure: .error, message: message, certificate: nil)]
        return report
    }
}

extension TestReport {
    /// A test that did not finish in time; the platform's own timeouts name the stage when they fire first.
    public static func timedOut(after deadline: Duration) -> TestReport {
        var report = TestReport()
        report.stages = [
            StageResult(stage: .connect, failure: .timeout, message: "the test did not finish within \(deadline.components.seconds) s", certificate: nil)
        ]
        report.duration = TimeInterval(deadline.components.seconds)
        return report
    }
}
