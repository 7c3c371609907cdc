import Foundation
@testable import HitchServices
import Testing

/// The dashboard in headless Chromium, driven through selenium by Tests/Browser/dashboard_flows.py, against the
/// built server on each backend and a vCenter simulator whose password the flows change: sign-in, a vSphere
/// connection created with Test Connection first, edits that keep and then change the password, a failed test's
/// stage, a stale edit, inventory and preflight, a delete refused by an assignment, an API key shown once, the audit
/// page, a narrow screen, and a viewer without edit controls whose posts are refused. Screenshots of every page go
/// to artifacts/screenshots. No secret used appears in any page, form value or script (checked in the browser),
/// nor in the server's log or data files (checked here). One backend at a time, and scripts/test runs this suite
/// after the others: Chromium is the heaviest peer.
@Suite(.serialized, .enabled(if: VCSimPeer.isAvailable && BrowserPeer.isAvailable, "the browser and simulator peers run under scripts/test"))
struct DashboardBrowserTests {
    @Test(arguments: TestBackend.all)
    func dashboardFlowsInChromium(backend: TestBackend) async throws {
        try #require(BrowserPeer.isInstalled, "headless Chromium, chromedriver and selenium: run the tests through scripts/test")
        try #require(FileManager.default.isExecutableFile(atPath: HitchBinary.path), "build hitch first: \(HitchBinary.path)")
        let suffix = UUID().uuidString.prefix(8)
        let oldPassword = "CANARYdashOld-\(suffix)"
        let newPassword = "CANARYdashNew-\(suffix)"
        let adminPassword = "CANARYdashAdmin-\(suffix)"
        let viewerPassword = "CANARYdashViewer-\(suffix)"
        let username = "svc-hitch@vsphere.local"
        let simulator = try VCSimInstance.start(
            users: [.init(username: username, password: oldPassword, role: "Admin", entity: "datacenter")], arguments: ["-vms", "2"])
        defer { simulator.stop() }
        // On SQLite the dashboard is served over TLS with a certificate from a test CA, which Chromium is told to
        // trust by its key; on PostgreSQL over plain HTTP on loopback.
        let certificates = try TemporaryDirectory()
        defer { certificates.remove() }
        let authority = backend == .sqlite ? try await TestCertificateAuthority(in: certificates.path) : nil
        let issued = try await authority?.issue("hitch-dashboard")
        let tls: (certificate: String, key: String, authority: String)? = authority.flatMap { authority in
            issued.map { ($0.certificate, $0.key, authority.certificatePath) }
        }
        let spki: String? = if let issued, let authority { try await authority.publicKeyHash(of: issued.certificate) } else { nil }
        try await backend.withConfiguration { configuration in
            let signedIn = try await SignedInServer(configuration, tls: tls)
            defer { signedIn.server.stop() }
            // The viewer first: making an admin with a password spends the bootstrap token.
            for (user, role, password) in [("vic", "viewer", viewerPassword), ("ada", "admin", adminPassword)] {
                let created = try await HitchBinary.run(
                    ["user", "create", user, "--role", role, "--password-stdin"], stdin: password, environment: signedIn.environment)
                try #require(created.status == 0, "\(created.output)")
            }
            // The script's API calls go as ada, signed in with her password.
            let configHome = configuration.dataDirectory + ".config"
            defer { try? FileManager.default.removeItem(atPath: configHome) }
            var asAda = signedIn.environment
            asAda["XDG_CONFIG_HOME"] = configHome
            asAda["HITCH_TOKEN"] = nil
            let login = try await HitchBinary.run(["login", "--username", "ada", "--password-stdin"], stdin: adminPassword, environment: asAda)
            try #require(login.status == 0, "\(login.output)")
            let adaToken = try String(contentsOfFile: configHome + "/hitch/token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            var environment = ProcessInfo.processInfo.environment
            environment.merge([
                "HITCH_URL": signedIn.server.address, "HITCH_TOKEN": adaToken,
                "HITCH_SCREENSHOTS": BrowserPeer.screenshots + "/" + backend.rawValue,
                "ADMIN_USER": "ada", "ADMIN_PASSWORD": adminPassword, "VIEWER_USER": "vic", "VIEWER_PASSWORD": viewerPassword,
                "VCSIM_USERNAME": username, "VCSIM_PASSWORD_1": oldPassword, "VCSIM_PASSWORD_2": newPassword,
                "VCSIM_USERS_FILE": simulator.usersPath, "VCSIM_HOSTPORT": simulator.hostPort,
                "VCSIM_THUMBPRINT": simulator.thumbprint,
            ]) { $1 }
            if let tls, let spki {
                environment["HITCH_CA_CERT"] = tls.authority
                environment["HITCH_TLS_SPKI"] = spki
            }
            let script = BrowserPeer.repositoryRoot.appendingPathComponent("Tests/Browser/dashboard_flows.py").path
            let flows = try await BrowserPeer.python([script], environment: environment)
            #expect(flows.status == 0, "\(flows.output)")
            #expect(flows.stdout.contains("dashboard flows passed over \(tls == nil ? "http" : "https")"), "\(flows.output)")

            let files = try CanaryEndToEndTests.filesOf(configuration.dataDirectory)
            signedIn.server.stop()
            let everything = [Data(flows.output.utf8), Data(signedIn.server.log.utf8)] + files.map(\.1)
            for secret in [oldPassword, newPassword, adminPassword, viewerPassword] {
                for bytes in everything {
                    #expect(bytes.range(of: Data(secret.utf8)) == nil, "a secret is in the output, the log or a data file")
                }
            }
        }
    }
}
