import Foundation

/// Headless Chromium with its driver (Debian's `chromium` and `chromium-driver`) and Python's selenium, which
/// scripts/test installs. Under CI=true their absence fails the browser tests instead of skipping them.
enum BrowserPeer {
    static let chromium = "/usr/bin/chromium"
    static let driver = "/usr/bin/chromedriver"

    static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: chromium) && FileManager.default.isExecutableFile(atPath: driver)
            && (try? HitchBinary.runBlocking("/usr/bin/env", ["python3", "-c", "import selenium"], stdin: nil, environment: nil).status) == 0
    }

    /// Runs the `python3` on the PATH, the one scripts/test installs selenium into.
    static func python(_ arguments: [String], environment: [String: String]? = nil) async throws -> HitchBinary.Result {
        try await HitchBinary.runTool("/usr/bin/env", ["python3"] + arguments, environment: environment)
    }

    static var isAvailable: Bool { isInstalled || ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Where the browser tests save their screenshots: CI keeps `artifacts/`, which git ignores.
    static var screenshots: String {
        if let path = ProcessInfo.processInfo.environment["HITCH_TEST_SCREENSHOTS"] { return path }
        return repositoryRoot.appendingPathComponent("artifacts/screenshots").path
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}
