import Foundation
import HitchStorage
import Logging

/// A rotation told to every server sharing a PostgreSQL database, so that each closes the platform sessions it
/// holds on the old credential version. It is sent in the rotation's transaction and delivered on its commit.
struct RotationNotice: Sendable, Equatable {
    static let channel = "hitch_rotation"

    let connectionId: String
    let credentialVersion: Int

    var payload: String { "\(connectionId) \(credentialVersion)" }

    init(connectionId: String, credentialVersion: Int) {
        self.connectionId = connectionId
        self.credentialVersion = credentialVersion
    }

    init?(payload: String) {
        let parts = payload.split(separator: " ")
        guard parts.count == 2, let version = Int(parts[1]) else { return nil }
        self.init(connectionId: String(parts[0]), credentialVersion: version)
    }
}

extension HitchRuntime {
    /// Closes this server's sessions of every credential another server rotates, until cancelled; listens again
    /// after a lost connection. Returns at once on SQLite, where this is the only server.
    public func followRotations(logger: Logger) async {
        while !Task.isCancelled {
            do {
                try await store.backend.listen(channel: RotationNotice.channel, logger: logger) { [sessions] payload in
                    guard let notice = RotationNotice(payload: payload) else { return }
                    await sessions.close(connectionId: notice.connectionId, olderThan: notice.credentialVersion)
                }
                if !store.backend.isExclusive { try await Task.sleep(for: .seconds(1)) } else { return }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("rotation notices: listening again in 1 s", metadata: ["error": "\(type(of: error))"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
