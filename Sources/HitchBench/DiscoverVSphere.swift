import ArgumentParser
import Foundation
import HitchDomain
import HitchPlatforms

/// Reads a vCenter's inventory as a discovery job does (HitchPlatforms' discover: a ContainerView and paged
/// RetrievePropertiesEx per type) and prints the time, the objects per type and the process's peak RSS. The
/// password comes from stdin. scripts/bench-discovery runs it next to pyVmomi and curl.
struct DiscoverVSphere: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "discover-vsphere")

    @Option(help: "host:port of the vCenter.") var vcenter: String
    @Option var username: String
    @Option(help: "The SHA-256 thumbprint of its certificate.") var thumbprint: String
    @Option var pageSize = 500

    func run() async throws {
        let password = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let started = ContinuousClock.now
        let session = try await VSpherePlatformSession.open(VSphereTarget(
            vcenter: vcenter, username: username, password: SecretValue(password), objects: [:], insecure: false,
            thumbprint: thumbprint))
        let objects = try await session.discover(pageSize: pageSize)
        await session.close()
        let elapsed = (ContinuousClock.now - started).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let counts = Dictionary(grouping: objects, by: \.type.rawValue).mapValues(\.count)
        print(String(format: "hitch  %.2f s  peak RSS %d MB  ", seconds, usage.ru_maxrss / 1024)
            + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
}
