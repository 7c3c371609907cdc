import Foundation

/// Why a rotation on the platform failed: the step, and what the platform said (never a secret).
public struct RotationFailure: Error, Sendable {
    public let step: String
    public let message: String

    public init(step: String, message: String) {
        self.step = step
        self.message = message
    }
}

/// The steps of a rotation on a platform, each named in the failure it ends with.
enum RotationStep {
    /// Runs `body` as the step `name`: a platform's refusal becomes that step's failure.
    static func run<Result>(_ name: String, _ body: () async throws -> Result) async throws(RotationFailure) -> Result {
        do {
            return try await body()
        } catch let failure as RotationFailure {
            throw failure
        } catch let failure as StageFailure {
            throw RotationFailure(step: name, message: failure.message)
        } catch {
            throw RotationFailure(step: name, message: "\(type(of: error))")
        }
    }

    /// Tests a new secret again every `interval` until it passes or `within` has passed: a platform takes a while
    /// to make a new secret known everywhere.
    static func test(
        _ name: String, within: Duration, every interval: Duration, refused: String, _ test: () async -> TestReport
    ) async throws(RotationFailure) {
        let deadline = ContinuousClock.now + within
        while true {
            let report = await test()
            if report.passed { return }
            guard ContinuousClock.now < deadline else {
                throw RotationFailure(step: name, message: report.failedStage?.message ?? refused)
            }
            try? await Task.sleep(for: interval)
        }
    }
}
