import Logging

/// The server's periodic work (automatic rotation, scheduled checks, webhook deliveries): a pass every interval
/// until the server stops; a pass that fails is logged and the next one runs on time.
enum BackgroundLoop {
    static func run(_ name: String, every interval: Duration, logger: Logger, _ pass: () async throws -> Void) async {
        while !Task.isCancelled {
            do {
                try await pass()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("\(name): trying again", metadata: ["error": "\(type(of: error))"])
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }
}
