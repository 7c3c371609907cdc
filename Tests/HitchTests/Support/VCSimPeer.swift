import Foundation
import Testing

/// VMware's vCenter simulator that scripts/test starts (scripts/vcsim-peer): its SDK URL, certificate thumbprint and
/// the one user it accepts. Under CI=true its absence fails the tests instead of skipping them.
struct VCSimPeer: Sendable {
    let url: URL
    let thumbprint: String
    let username: String
    let password: String

    var hostPort: String { "\(url.host!):\(url.port!)" }

    static let current: VCSimPeer? = {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["HITCH_TEST_VCSIM_URL"].flatMap(URL.init(string:)),
            let thumbprint = environment["HITCH_TEST_VCSIM_THUMBPRINT"],
            let username = environment["HITCH_TEST_VCSIM_USERNAME"],
            let password = environment["HITCH_TEST_VCSIM_PASSWORD"]
        else { return nil }
        return VCSimPeer(url: url, thumbprint: thumbprint, username: username, password: password)
    }()

    static var isAvailable: Bool { current != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    static func required(sourceLocation: SourceLocation = #_sourceLocation) throws -> VCSimPeer {
        try #require(current, "the vCenter simulator is not running: run the tests through scripts/test", sourceLocation: sourceLocation)
    }
}
