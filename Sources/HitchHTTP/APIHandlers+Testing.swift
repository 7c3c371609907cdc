import Foundation
import HitchAPI
import HitchDomain
import HitchPlatforms
import HitchServices
import HitchStorage
import OpenAPIRuntime

/// Test Connection: saved, or unsaved values.
extension APIHandlers {
    package func testConnection(_ input: Operations.TestConnection.Input) async throws -> Operations.TestConnection.Output {
        let actor = try RequestActor.current()
        let seconds = input.query.timeout ?? 15
        guard (1...120).contains(seconds) else { throw HitchError(.badRequest, "timeout must be from 1 to 120 seconds") }
        let report: TestReport
        guard case .json(let body) = input.body else { throw HitchError(.badRequest, "expected a JSON body") }
        let change = APIMapping.updateRequest(body)
        if !change.isEmpty {
            report = try await runtime.connectionTests.testChange(
                name: input.path.name, change, deadline: .seconds(seconds), by: actor, logger: logger)
        } else {
            report = try await runtime.connectionTests.testSaved(
                name: input.path.name, deadline: .seconds(seconds), by: actor, logger: logger)
        }
        return .ok(.init(body: .json(APIMapping.testResult(report))))
    }

    package func testCandidateConnection(_ input: Operations.TestCandidateConnection.Input) async throws
        -> Operations.TestCandidateConnection.Output
    {
        guard case .json(let body) = input.body else { throw HitchError(.badRequest, "expected a JSON body") }
        let report = try await runtime.connectionTests.testCandidate(
            APIMapping.createRequest(body), by: RequestActor.current(), logger: logger)
        return .ok(.init(body: .json(APIMapping.testResult(report))))
    }

    /// Many saved connections at once; the answer streams one JSON line per connection as its test ends.
    package func testConnections(_ input: Operations.TestConnections.Input) async throws -> Operations.TestConnections.Output {
        guard case .json(let body) = input.body else { throw HitchError(.badRequest, "expected a JSON body") }
        let concurrency = body.concurrency ?? 16
        let seconds = body.timeout ?? 15
        guard (1...64).contains(concurrency) else { throw HitchError(.badRequest, "concurrency must be from 1 to 64") }
        guard (1...120).contains(seconds) else { throw HitchError(.badRequest, "timeout must be from 1 to 120 seconds") }
        var filter = ConnectionFilter(tags: body.tags ?? [])
        if let kindName = body.kind?.rawValue {
            guard let kind = ConnectionKind(rawValue: kindName) else { throw HitchError(.badRequest, "unknown kind '\(kindName)'") }
            filter.kind = kind
        }
        let actor = try RequestActor.current()
        // Selected and audited before the answer starts, so a refusal is a status, not a cut stream.
        let bulk = try await runtime.connectionTests.prepareMany(filter, by: actor, logger: logger)
        let lines = ConnectionTestLines.stream { [runtime, logger] each in
            await runtime.connectionTests.testMany(
                bulk, concurrency: concurrency, deadline: .seconds(seconds), by: actor, logger: logger, each: each)
        }
        return .ok(.init(body: .applicationJsonl(HTTPBody(lines, length: .unknown, iterationBehavior: .single))))
    }
}

extension APIMapping {
    static func testResult(_ report: TestReport) -> Components.Schemas.TestResult {
        .init(
            passed: report.passed,
            stages: report.stages.map { stage in
                .init(
                    stage: .init(rawValue: stage.stage.rawValue)!, ok: stage.passed,
                    code: stage.failure.flatMap { .init(rawValue: $0.rawValue) }, message: stage.message,
                    certificate: stage.certificate.map {
                        .init(thumbprint: $0.thumbprint, subject: $0.subject, notAfter: $0.notAfter)
                    })
            },
            warnings: report.warnings, durationMs: Int(report.duration * 1000))
    }
}
