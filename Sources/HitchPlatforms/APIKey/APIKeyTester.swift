import Foundation
import HitchDomain

/// An api-key is Hitch's own: no platform to reach. Its test checks that the stored key opens (the keyring opened
/// it to get here), has the form Hitch issues, has a known token type, and has not expired.
public enum APIKeyTester {
    static let prefix = "hitch_ak_"
    /// The prefix and 256 bits in unpadded base64url.
    static let length = prefix.count + 43

    public static func test(tokenType: String?, key: SecretValue?, expiresAt: Date? = nil, now: Date = Date()) -> TestReport {
        var report = TestReport()
        guard let key, !key.exposedValue.isEmpty else {
            report.stages = [StageResult(stage: .authenticate, failure: .authFailed, message: "no key is stored", certificate: nil)]
            return report
        }
        let value = key.exposedValue
        guard value.hasPrefix(prefix), value.count == length,
            value.dropFirst(prefix.count).allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        else {
            report.stages = [StageResult(stage: .authenticate, failure: .authFailed, message: "the stored key is not one Hitch issued", certificate: nil)]
            return report
        }
        report.stages.append(.ok(.authenticate, "the stored key opens and has Hitch's form"))
        guard let tokenType, ["admin", "connector"].contains(tokenType) else {
            report.stages.append(StageResult(stage: .authorize, failure: .error, message: "unknown token type", certificate: nil))
            return report
        }
        report.stages.append(.ok(.authorize, "token type \(tokenType)"))
        if let expiresAt {
            guard now < expiresAt else {
                report.stages.append(StageResult(
                    stage: .objects, failure: .authFailed, message: "the key expired at \(Timestamps.text(expiresAt))",
                    certificate: nil))
                return report
            }
            report.stages.append(.ok(.objects, "valid until \(Timestamps.text(expiresAt))"))
        }
        return report
    }
}
