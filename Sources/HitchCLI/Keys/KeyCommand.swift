import ArgumentParser
import Foundation
import HitchAPI

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "The keyring that seals every secret (admin).",
        discussion: """
            Each secret has its own data key, wrapped by the keyring's current master key version. The keyring is \
            kept in the database, sealed by the key-encryption key: <data-dir>/master.key, HITCH_MASTER_KEY, or an AWS \
            KMS key (hitch serve --kms-key-id). No command shows key material.
              hitch key status
              hitch key rotate                        # a new master key version; a rewrap moves every data key to it
              hitch key retire 1                      # once version 1 wraps nothing
              hitch key rekey --to-file new.key       # seal the keyring under another key-encryption key
              hitch key rekey --to-kms-key-id arn:aws:kms:eu-west-1:111122223333:key/...
            """,
        subcommands: [KeyStatus.self, KeyRotate.self, KeyRetire.self, KeyRekey.self])
}

struct KeyStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "The key-encryption key, each master key version with what it still wraps, and the rewrap's progress.")

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.getKeyStatus() }) {
        case .ok(let ok):
            let status = try ok.body.json
            if output.output == .json { return try Printer.json(status) }
            print("key-encryption key: \(status.kek.identity) (\(status.kek.origin))")
            if status.kek.sealedBy != [status.kek.identity] {
                Printer.warn("the keyring is sealed by \(status.kek.sealedBy.joined(separator: ", ")): restart this server with that key")
            }
            print("audit key: version \(status.auditKeyVersion) (unchanged by rotations and rekeys)")
            Printer.table(
                headers: ["VERSION", "CURRENT", "CREATED", "BY", "SECRETS", "LEASE HANDLES"],
                rows: status.versions.map {
                    [String($0.version), $0.current ? "yes" : "", Printer.time($0.createdAt), $0.createdBy, String($0.secrets), String($0.leaseHandles)]
                })
            let rewrap = status.rewrap
            let total = rewrap.pending + rewrap.done
            let percent = total == 0 ? 100 : rewrap.done * 100 / total
            print("rewrap: \(rewrap.done) of \(total) data keys on version \(status.currentVersion) (\(percent)%)"
                + (rewrap.running ? ", running" : "") + (rewrap.skipped > 0 ? ", \(rewrap.skipped) left (they do not open under their binding)" : ""))
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct KeyRotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Add a master key version, current at once on every server; a background rewrap moves every data key to it.")

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.rotateMasterKey() }) {
        case .created(let created):
            let version = try created.body.json.version
            print("master key version \(version) is current; the rewrap moves older data keys to it (hitch key status)")
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct KeyRetire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retire", abstract: "Remove a master key version that wraps nothing any more (refused while anything uses it).")

    @Argument(help: "The version to retire.") var version: Int

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.retireMasterKey(path: .init(version: version)) }) {
        case .noContent: print("master key version \(version) retired")
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct KeyRekey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rekey",
        abstract: "Seal the keyring under another key-encryption key, in one transaction; no secret is touched.",
        discussion: """
            A local key is read by this command from a file (mode 0600) or from an environment variable, and sent to \
            the server once; it is never stored by the server or shown again. Give every server the new key (the file \
            <data-dir>/master.key, HITCH_MASTER_KEY, or --kms-key-id) before its next start; running servers go on \
            without it.
              (umask 077; openssl rand -base64 32 > new.key)
              hitch key rekey --to-file new.key
            """)

    @Option(help: "A file holding the new key: base64 of 32 bytes.") var toFile: String?
    @Option(help: "An environment variable holding the new key: base64 of 32 bytes.") var toEnv: String?
    @Option(help: "An AWS KMS key (ARN) that the server reaches with its own AWS identity.") var toKmsKeyId: String?
    @Option(help: "With --to-kms-key-id: the server's own KMS endpoint (HITCH_KMS_ENDPOINT); no other is taken.") var kmsEndpoint: String?

    func validate() throws {
        guard [toFile, toEnv, toKmsKeyId].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give one of --to-file, --to-env or --to-kms-key-id")
        }
        if kmsEndpoint != nil, toKmsKeyId == nil { throw ValidationError("--kms-endpoint goes with --to-kms-key-id") }
    }

    func run() async throws {
        let body: Components.Schemas.RekeyRequest
        if let toFile {
            let mode = (try? FileManager.default.attributesOfItem(atPath: toFile)[.posixPermissions] as? NSNumber)?.intValue ?? 0
            guard mode & 0o077 == 0 else { throw CLIError.usage("\(toFile) must be readable by its owner only (chmod 600 \(toFile))") }
            body = .init(source: .local, key: try SecretInput.readFile(toFile).trimmingCharacters(in: .whitespacesAndNewlines))
        } else if let toEnv {
            guard let value = ProcessInfo.processInfo.environment[toEnv], !value.isEmpty else {
                throw CLIError.usage("the environment variable \(toEnv) is not set")
            }
            body = .init(source: .local, key: value.trimmingCharacters(in: .whitespacesAndNewlines))
        } else {
            body = .init(source: .awsKms, kmsKeyId: toKmsKeyId, kmsEndpoint: kmsEndpoint)
        }
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.rekeyKeyring(body: .json(body)) }) {
        case .ok(let ok):
            let result = try ok.body.json
            print("the keyring (\(result.resealed) keys) is sealed by \(result.kek); give every server this key before its next start")
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}
