import ArgumentParser
import Foundation
import HitchAPI

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users and service identities (admin).",
        discussion: "Roles: viewer (read), operator (viewer + change connections), auditor (viewer + audit log), admin (all).",
        subcommands: [UserCreate.self, UserList.self, UserShow.self, UserEnable.self, UserDisable.self, UserSetRole.self,
                      UserSetPassword.self])
}

struct UserCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a user, or with --service an identity that holds tokens only.")

    @Argument(help: "The username.") var name: String
    @Option(help: "admin, operator, auditor, viewer or consumer (an engine's identity that takes leases).") var role: RoleArgument
    @Option(help: "A display name.") var displayName: String?
    @Flag(help: "A service identity: no password, tokens only.") var service = false
    @Option(name: .customLong("allow-tag"), help: "consumer: lease only connections with this tag (repeatable).")
    var allowedTags: [String] = []
    @Flag(help: "Read the password (12 to 256 characters) from stdin.") var passwordStdin = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if service, passwordStdin { throw ValidationError("a service identity has no password") }
    }

    func run() async throws {
        let client = try APIClient.make()
        let body = Components.Schemas.UserCreate(
            name: name, displayName: displayName, role: .init(rawValue: role.rawValue)!, kind: service ? .service : .user,
            password: passwordStdin ? try SecretInput.readStdin() : nil, allowedTags: allowedTags.isEmpty ? nil : allowedTags)
        switch try await APIClient.call({ try await client.createUser(body: .json(body)) }) {
        case .created(let created): try UserPrinter.print([try created.body.json], output.output)
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct UserList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List users and service identities.")

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.listUsers() }) {
        case .ok(let ok): try UserPrinter.print(try ok.body.json.users, output.output)
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct UserShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one user.")

    @Argument var name: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.getUser(path: .init(name: name)) }) {
        case .ok(let ok): try UserPrinter.print([try ok.body.json], output.output)
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct UserEnable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Let a user sign in and use its tokens again.")
    @Argument var name: String
    func run() async throws { try await UserPrinter.update(name, .init(enabled: true)) }
}

struct UserDisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable", abstract: "Stop a user from signing in; its tokens stop working at once.")
    @Argument var name: String
    func run() async throws { try await UserPrinter.update(name, .init(enabled: false)) }
}

struct UserSetRole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Change a user's role.")
    @Argument var name: String
    @Argument(help: "admin, operator, auditor, viewer or consumer.") var role: RoleArgument
    func run() async throws { try await UserPrinter.update(name, .init(role: .init(rawValue: role.rawValue)!)) }
}

struct UserSetPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-password", abstract: "Set a user's password, read from stdin (12 to 256 characters).")
    @Argument var name: String
    @Flag(help: "Read the password from stdin (required).") var passwordStdin = false

    func validate() throws {
        if !passwordStdin { throw ValidationError("--password-stdin is required: passwords never go in arguments") }
    }

    func run() async throws { try await UserPrinter.update(name, .init(password: try SecretInput.readStdin())) }
}

enum UserPrinter {
    static func update(_ name: String, _ body: Components.Schemas.UserUpdate) async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.updateUser(path: .init(name: name), body: .json(body)) }) {
        case .ok(let ok): try print([try ok.body.json], .table)
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }

    static func print(_ users: [Components.Schemas.User], _ format: OutputFormat) throws {
        if format == .json { return try Printer.json(users.count == 1 ? AnyEncodable(users[0]) : AnyEncodable(users)) }
        Printer.table(
            headers: ["NAME", "DISPLAY NAME", "KIND", "ROLE", "ENABLED", "PASSWORD", "CREATED"],
            rows: users.map {
                [$0.name, $0.displayName, $0.kind.rawValue, $0.role.rawValue, $0.enabled ? "yes" : "no",
                 $0.hasPassword ? "set" : "-", Printer.time($0.createdAt)]
            })
    }
}

/// One user prints as an object, a list as an array.
struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

/// A role, as the API names them.
enum RoleArgument: String, ExpressibleByArgument, CaseIterable {
    case admin
    case `operator`
    case auditor
    case viewer
    case consumer
}
