import Foundation
import HitchAPI
import HitchDomain
import HitchPlatforms
import OpenAPIRuntime

/// JSON lines as the API writes them: its dates, sorted keys, one object per line.
enum JSONLines {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        let dates = APIDateTranscoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(try dates.encode(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// The streamed answer of /v1/connection-tests: one `ConnectionTestLine` per connection as its test ends. The tests
/// run in a task of their own that stops when the client goes away; results saved by then stay saved.
enum ConnectionTestLines {
    typealias Each = @Sendable (String, Result<TestReport, any Error>) async -> Void

    static func stream(
        _ run: @escaping @Sendable (_ each: @escaping Each) async throws -> Void
    ) -> AsyncThrowingStream<ArraySlice<UInt8>, any Error> {
        let (lines, continuation) = AsyncThrowingStream<ArraySlice<UInt8>, any Error>.makeStream()
        let task = Task {
            let encoder = JSONLines.encoder()
            do {
                try await run { name, outcome in
                    var line = Components.Schemas.ConnectionTestLine(name: name)
                    switch outcome {
                    case .success(let report): line.result = APIMapping.testResult(report)
                    case .failure(let error): line.error = Self.message(error)
                    }
                    guard var bytes = try? encoder.encode(line) else { return }
                    bytes.append(UInt8(ascii: "\n"))
                    continuation.yield(Array(bytes)[...])
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return lines
    }

    /// Hitch's own errors carry a message meant for users; anything else is named only by its kind.
    private static func message(_ error: any Error) -> String {
        (error as? HitchError)?.message ?? "the test could not run"
    }
}
