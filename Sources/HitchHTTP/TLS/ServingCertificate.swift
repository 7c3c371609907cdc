import Foundation
import HitchDomain
import HitchServices
import Logging
import NIOSSL
import Synchronization
import UnixSignals

/// The TLS context new connections are served with, read from the certificate chain and key files, and read again
/// on `reload()` (SIGHUP). A connection keeps the context it began with, so a reload drops none; a reload that
/// fails (a missing file, a key that does not match the certificate) keeps the context that works and says why.
public final class ServingCertificate: Sendable {
    let files: TLSFiles
    private let context: Mutex<NIOSSLContext>

    package init(files: TLSFiles, logger: Logger) throws(HitchError) {
        self.files = files
        context = Mutex(try Self.load(files))
        Self.warnIfShared(files.keyPath, logger: logger)
    }

    var current: NIOSSLContext { context.withLock { $0 } }

    /// Reloads on every SIGHUP until the task is cancelled.
    package func reloadOnHangup(logger: Logger) async {
        for await _ in await UnixSignalsSequence(trapping: .sighup) {
            reload(logger: logger)
        }
    }

    func reload(logger: Logger) {
        do {
            let loaded = try Self.load(files)
            context.withLock { $0 = loaded }
            Self.warnIfShared(files.keyPath, logger: logger)
            logger.notice("tls certificate reloaded", metadata: ["tls.certificate": "\(files.certificatePath)"])
        } catch {
            logger.error("tls certificate not reloaded; serving the previous one", metadata: ["error": "\(error.message)"])
        }
    }

    /// A key file that the group or others may read is served all the same (a mounted secret often is), but said.
    private static func warnIfShared(_ path: String, logger: Logger) {
        guard let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int,
            mode & 0o077 != 0
        else { return }
        logger.warning("the tls key file can be read by other users than the server's; chmod 600 it", metadata: ["tls.key": "\(path)"])
    }

    /// TLS 1.2 and 1.3 only, HTTP/1.1 by ALPN.
    static func load(_ files: TLSFiles) throws(HitchError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath)
        } catch {
            throw HitchError(.badRequest, "--tls-cert \(files.certificatePath) is not a readable PEM certificate chain")
        }
        guard !chain.isEmpty else {
            throw HitchError(.badRequest, "--tls-cert \(files.certificatePath) holds no certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.keyPath, format: .pem)
        } catch {
            throw HitchError(.badRequest, "--tls-key \(files.keyPath) is not a readable, unencrypted PEM private key")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.applicationProtocols = ["http/1.1"]
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw HitchError(.badRequest, "--tls-key does not match the certificate of --tls-cert")
        }
    }
}
