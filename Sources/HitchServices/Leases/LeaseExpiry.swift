import Logging

extension HitchRuntime {
    /// Ends the leases past their expiry every few seconds, until cancelled: a vCenter session is logged out even
    /// when nobody asks. With several servers on one PostgreSQL, each lease is claimed by exactly one of them.
    public func endExpiredLeases(every interval: Duration = .seconds(5), logger: Logger) async {
        while !Task.isCancelled {
            do {
                let ended = try await leases.endExpired(logger: logger)
                if ended > 0 { logger.info("ended expired leases", metadata: ["leases": "\(ended)"]) }
                try await Task.sleep(for: interval)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("ending expired leases: trying again", metadata: ["error": "\(type(of: error))"])
                try? await Task.sleep(for: interval)
            }
        }
    }
}
