import ArgumentParser
import Foundation
import HitchAPI

struct JobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Jobs on connections: register an external engine's migration, list, show, finish, cancel.",
        discussion: """
            A connection with a queued or running job cannot be deleted. Hitch ends its own discovery and preflight
            jobs; a rotation ends those reading with the old credential as `invalidated`.
              hitch job start --connection prod-vcenter --kind migration --ref plan-42
              hitch job finish JOB_ID --state succeeded
            A migration job needs a preflight of the connection's current credential with capability migration.
            """,
        subcommands: [JobStart.self, JobFinish.self, JobCancel.self, JobList.self, JobShow.self])

    static func print(_ jobs: [Components.Schemas.Job]) {
        Printer.table(
            headers: ["ID", "CONNECTION", "KIND", "STATE", "REF", "VERSION", "CREATED", "FINISHED", "DETAIL"],
            rows: jobs.map {
                [$0.id, $0.connection, $0.kind.rawValue, $0.state.rawValue, $0.ref ?? "-", String($0.credentialVersion),
                 Printer.time($0.createdAt), Printer.time($0.finishedAt), $0.detail ?? "-"]
            })
    }
}

struct JobStart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Register a job an external engine runs (a migration); it runs until finished.")

    @Option(help: "The connection it uses.") var connection: String
    @Option(help: "migration (discovery and preflight are started by Hitch).") var kind: String
    @Option(help: "The engine's own reference, such as its plan.") var ref: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard let kind = Operations.StartJob.Input.Body.JsonPayload.KindPayload(rawValue: kind) else {
            throw ValidationError("--kind must be migration: discovery and preflight jobs are started by Hitch itself (hitch discovery run, hitch preflight)")
        }
        let client = try APIClient.make()
        let body = Operations.StartJob.Input.Body.JsonPayload(connection: connection, kind: kind, ref: ref)
        switch try await APIClient.call({ try await client.startJob(body: .json(body)) }) {
        case .created(let created):
            let job = try created.body.json
            if output.output == .json { return try Printer.json(job) }
            Swift.print(job.id)
            Printer.warn("\(job.kind.rawValue) job \(job.id) running on \(job.connection); finish it with `hitch job finish \(job.id) --state succeeded|failed`")
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct JobFinish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "finish", abstract: "End a registered job.")

    @Argument(help: "The job's id.") var id: String
    @Option(help: "succeeded or failed.") var state: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard let state = Operations.FinishJob.Input.Body.JsonPayload.StatePayload(rawValue: state) else {
            throw ValidationError("--state must be succeeded or failed")
        }
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.finishJob(path: .init(id: id), body: .json(.init(state: state))) }) {
        case .ok(let ok):
            let job = try ok.body.json
            if output.output == .json { return try Printer.json(job) }
            Swift.print("job \(job.id) \(job.state.rawValue)")
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct JobCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Stop a discovery or preflight; it ends as cancelled and stores nothing.")

    @Argument(help: "The job's id.") var id: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.cancelJob(path: .init(id: id)) }) {
        case .ok(let ok):
            let job = try ok.body.json
            if output.output == .json { return try Printer.json(job) }
            Swift.print("job \(job.id) \(job.state.rawValue)")
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct JobList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List jobs, newest first.")

    @Option(help: "Only this connection's (a deleted connection's too, by the name its jobs recorded).") var connection: String?
    @Option(help: "Only jobs in this state: queued, running, succeeded, failed, invalidated, cancelled.") var state: String?
    @Option(help: "At most this many (1 to 1000).") var limit = 100
    @OptionGroup var output: OutputOptions

    func run() async throws {
        var stateFilter: Components.Schemas.JobState?
        if let state {
            guard let known = Components.Schemas.JobState(rawValue: state) else {
                throw ValidationError("--state must be one of: queued, running, succeeded, failed, invalidated, cancelled")
            }
            stateFilter = known
        }
        let client = try APIClient.make()
        let query = Operations.ListJobs.Input.Query(connection: connection, state: stateFilter, limit: limit)
        switch try await APIClient.call({ try await client.listJobs(query: query) }) {
        case .ok(let ok):
            let jobs = try ok.body.json.jobs
            if output.output == .json { return try Printer.json(jobs) }
            JobCommand.print(jobs)
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}

struct JobShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one job.")

    @Argument(help: "The job's id.") var id: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try APIClient.make()
        switch try await APIClient.call({ try await client.getJob(path: .init(id: id)) }) {
        case .ok(let ok):
            let job = try ok.body.json
            if output.output == .json { return try Printer.json(job) }
            JobCommand.print([job])
        case .default(let status, let response): throw APIClient.failure(status: status, body: try? response.body.json)
        }
    }
}
