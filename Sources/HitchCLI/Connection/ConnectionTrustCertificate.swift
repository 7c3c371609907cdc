import ArgumentParser
import HitchAPI

struct ConnectionTrustCertificate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust-certificate",
        abstract: "Accept the certificate a vCenter or Prism now presents in place of the remembered one (operator).",
        discussion: """
            A vsphere or nutanix connection without a pinned thumbprint remembers the certificate it first passed a \
            test with. A later test that meets another fails with tls-changed before anything is sent; \
            `hitch connection show NAME` then shows both. This trusts the one offered (audited); give --thumbprint \
            to be sure it is the one you checked. Then test again:
              hitch connection trust-certificate prod-vcenter --thumbprint 3f:a1:...
              hitch connection test prod-vcenter
            A pinned connection keeps failing until its pin is changed: hitch connection update NAME --thumbprint ... \
            with its secret re-entered.
            """)

    @Argument(help: "The connection's name.") var name: String
    @Option(help: "The offered certificate's SHA-256 thumbprint, as checked out of band (hex, colons allowed).")
    var thumbprint: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        let current = try await ConnectionFetch.get(name, client: client)
        guard let chosen = thumbprint ?? current.offeredCertificate?.thumbprint else {
            throw CLIError("no other certificate was met by a test of '\(name)'; nothing to trust", exitCode: .refused)
        }
        let body = Operations.TrustCertificate.Input.Body.JsonPayload(thumbprint: chosen)
        switch try await APIClient.call({ try await client.trustCertificate(path: .init(name: name), body: .json(body)) }) {
        case .ok(let ok):
            let connection = try ok.body.json
            if output.output == .json { return try Printer.json(connection) }
            let known = connection.knownCertificate
            print("trusted SHA-256 \(known?.thumbprint ?? chosen) (\(known?.subject ?? "?")) for \(name)")
            if let previous = current.knownCertificate { print("in place of SHA-256 \(previous.thumbprint)") }
            print("test it now: hitch connection test \(name)")
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}
