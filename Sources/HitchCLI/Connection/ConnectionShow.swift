import ArgumentParser
import Foundation
import HitchAPI

struct ConnectionShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a connection. Secrets show as ********.")

    @Argument(help: "The connection's name.") var name: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        let connection = try await ConnectionFetch.get(name, client: client)
        if output.output == .json { return try Printer.json(connection) }
        let references = try await ConnectionFetch.references(name, client: client)
        var rows: [[String]] = [
            ["name", connection.name] ] + (connection.displayName.map { [["display name", $0]] } ?? []) + [
            ["kind", connection.kind], ["description", connection.description],
            ["tags", connection.tags.joined(separator: ", ")],
        ]
        for (field, value) in connection.fields.additionalProperties.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .case1(let text): rows.append([field, text])
            case .case2(let flag): rows.append([field, flag ? "true" : "false"])
            }
        }
        for (field, state) in connection.secrets.additionalProperties.sorted(by: { $0.key < $1.key }) {
            rows.append([field, state.set ? "\(state.value) (set)" : "(not set)"])
        }
        let status = connection.status
        rows += [
            ["status", [status.state, status.stage, status.message].compactMap { $0 }.joined(separator: ": ")],
        ]
        if let since = status.since { rows.append([status.state == "ok" ? "ok since" : "failing since", Printer.time(since)]) }
        let schedule: String = connection.checkEvery.map { $0 == "never" ? "never" : "every \($0)" } ?? "the server's interval"
        rows += [
            ["scheduled checks", schedule],
            ["credential version", "\(connection.credentialVersion)"],
            ["rotation", connection.rotation.map { rotation in
                let when = rotation.due ? "due since" : "due"
                return "\(when) \(Printer.time(rotation.dueAt)) (secret \(rotation.ageDays) days old, at most \(rotation.maxAgeDays))"
            } ?? "no secret of its own"],
        ]
        if let expiresAt = status.expiresAt {
            let days = Int(expiresAt.timeIntervalSinceNow / 86_400)
            let when = expiresAt < Date() ? "expired" : "expires in \(days) days"
            rows.append(["expiry", "\(status.expiresWhat ?? "something") \(when), \(Printer.time(expiresAt))"])
        }
        if let known = connection.knownCertificate {
            rows.append(["certificate", "remembered: SHA-256 \(known.thumbprint) (\(known.subject), until \(Printer.time(known.notAfter)))"])
        }
        if let offered = connection.offeredCertificate {
            rows.append(["", "now offered: SHA-256 \(offered.thumbprint) (\(offered.subject), until \(Printer.time(offered.notAfter)))"])
            rows.append(["", "accept it with: hitch connection trust-certificate \(connection.name)"])
        }
        if let created = status.platformCreatedAt { rows.append(["made on the platform", Printer.time(created)]) }
        if connection.autoRotate == true {
            var line = "on: rotated on the platform once due"
            if let failing = connection.autoRotationFailures {
                line = "failing (\(failing.failures) tries): \(failing.lastError ?? "?"); next try \(Printer.time(failing.nextAttemptAt))"
            }
            rows.append(["auto-rotation", line])
        }
        if connection.kind == "vsphere" { rows += try await ConnectionFetch.vsphereRows(name, client: client) }
        rows += [
            ["created", "\(Printer.time(connection.createdAt)) by \(connection.createdBy)"],
            ["updated", "\(Printer.time(connection.updatedAt)) by \(connection.updatedBy)"],
        ]
        let used = references.connections.map { "connection \($0) goes through it" }
            + references.jobs.map { "job \($0.id) (\($0.kind.rawValue), \($0.state.rawValue)\($0.ref.map { ", ref \($0)" } ?? ""))" }
            + references.assignments.map { "assignment \($0.kind.rawValue) '\($0.ref)' (id \($0.id))" }
            + references.leases.map { "lease \($0.id) (\($0.consumer), until \(Printer.time($0.expiresAt)))" }
        rows.append(["used by", used.first ?? "nothing (it can be deleted)"])
        rows += used.dropFirst().map { ["", $0] }
        let width = rows.map { $0[0].count }.max() ?? 0
        for row in rows { print(row[0].padding(toLength: width, withPad: " ", startingAt: 0) + "  " + row[1]) }
        for warning in references.warnings { Printer.warn(warning) }
    }
}

enum ConnectionFetch {
    /// The last preflight's capability and the inventory's snapshot of a vSphere connection.
    static func vsphereRows(_ name: String, client: Client) async throws -> [[String]] {
        var rows: [[String]] = []
        switch try await APIClient.call({ try await client.getPreflight(path: .init(name: name)) }) {
        case .ok(let ok):
            let report = try ok.body.json
            rows.append([
                "preflight",
                "capability \(report.capability.rawValue) (\(Printer.time(report.checkedAt)), credential version \(report.credentialVersion))",
            ])
        case .default(404, _): rows.append(["preflight", "never run: hitch preflight \(name)"])
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
        switch try await APIClient.call({ try await client.getInventory(path: .init(name: name), query: .init(limit: 1)) }) {
        case .ok(let ok):
            let snapshot = try ok.body.json.snapshot
            rows.append(["inventory", snapshot.map { snapshot in
                let vms = snapshot.counts.additionalProperties["vm"] ?? 0
                return "\(vms) VMs read \(Printer.time(snapshot.takenAt)) (credential version \(snapshot.credentialVersion))"
            } ?? "not discovered: hitch discovery run \(name) --wait"])
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
        return rows
    }

    static func references(_ name: String, client: Client) async throws -> Components.Schemas.References {
        switch try await APIClient.call({ try await client.getConnectionReferences(path: .init(name: name)) }) {
        case .ok(let ok): return try ok.body.json
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }

    static func get(_ name: String, client: Client) async throws -> Components.Schemas.Connection {
        switch try await APIClient.call({ try await client.getConnection(path: .init(name: name)) }) {
        case .ok(let ok): return try ok.body.json
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}
