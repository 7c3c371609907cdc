import ArgumentParser

/// `hitch connection ...`, also reachable as `hitch source ...`.
struct ConnectionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connection",
        abstract: "Create, list, show, change and delete connections.",
        subcommands: [
            ConnectionTypes.self, ConnectionCreate.self, ConnectionList.self, ConnectionShow.self,
            ConnectionUpdate.self, ConnectionRotate.self, ConnectionDelete.self, ConnectionHistory.self, ConnectionTest.self,
            ConnectionTrustCertificate.self,
        ],
        aliases: ["source"])
}
