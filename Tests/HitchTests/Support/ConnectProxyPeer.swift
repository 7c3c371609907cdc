import Foundation
import Synchronization
import Testing

/// Tests/Peers/connect_proxy.py on 127.0.0.1: an HTTP CONNECT proxy of its own per test, which records every
/// tunnel it opens.
final class ConnectProxyPeer: Sendable {
    let port: Int
    private let process: ChildProcess
    private let log = LineLog()

    private final class LineLog: Sendable {
        let lines = Mutex<[String]>([])
    }

    init(arguments: [String] = []) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Peers/connect_proxy.py").path
        let output = try ChildProcess.pipe()
        let process = try ChildProcess("/usr/bin/env", ["python3", script] + arguments, stdout: output.write.fileDescriptor)
        try output.write.close()
        let handle = output.read
        var text = ""
        while !text.contains("\n") {
            let data = handle.availableData
            guard !data.isEmpty else { break }
            text += String(decoding: data, as: UTF8.self)
        }
        let first = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let port = first.first.flatMap({ Int($0) }) else {
            kill(process.processIdentifier, SIGKILL)
            throw ProxyPeerError.notStarted
        }
        self.port = port
        self.process = process
        let log = self.log
        log.lines.withLock { $0 = first.dropFirst().map(String.init).filter { !$0.isEmpty } }
        // A thread of its own blocks on the pipe until the proxy exits.
        Thread.detachNewThread {
            while true {
                let data = handle.availableData
                if data.isEmpty { return }
                let more = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
                log.lines.withLock { $0 += more }
            }
        }
    }

    enum ProxyPeerError: Error { case notStarted }

    var url: String { "http://127.0.0.1:\(port)" }

    /// The tunnels opened so far: `host:port` each.
    var tunnels: [String] {
        log.lines.withLock { $0.compactMap { $0.hasPrefix("CONNECT ") ? String($0.dropFirst(8)) : nil } }
    }

    /// SIGKILL: a child spawned from a test thread may inherit a mask that blocks SIGTERM.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
