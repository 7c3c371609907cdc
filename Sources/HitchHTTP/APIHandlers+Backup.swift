import Foundation
import HitchAPI
import HitchServices
import OpenAPIRuntime

/// `GET /v1/backup`: the snapshot streamed from its file. The file is unlinked as soon as it is open, so nothing is
/// left in the data directory whatever happens to the request; the open handle reads it to the end.
extension APIHandlers {
    package func takeBackup(_ input: Operations.TakeBackup.Input) async throws -> Operations.TakeBackup.Output {
        let path = try await runtime.backups.take(by: RequestActor.current(), logger: logger)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
        let file = FileHandle(forReadingAtPath: path)
        try? FileManager.default.removeItem(atPath: path)
        guard let file else { throw CocoaError(.fileReadUnknown) }
        return .ok(.init(body: .applicationVnd_sqlite3(
            HTTPBody(FileChunks(file: file), length: size.map { .known($0) } ?? .unknown, iterationBehavior: .single))))
    }
}

/// A file read a chunk at a time, as the client takes it (so a large snapshot is never held in memory whole).
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>
    let file: FileHandle

    struct AsyncIterator: AsyncIteratorProtocol {
        let file: FileHandle

        mutating func next() async throws -> ArraySlice<UInt8>? {
            guard let data = try file.read(upToCount: 1 << 20), !data.isEmpty else {
                try? file.close()
                return nil
            }
            return ArraySlice(data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(file: file) }
}
