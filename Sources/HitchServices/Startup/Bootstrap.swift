import Foundation
import HitchAudit
import HitchDomain
import HitchSecrets
import HitchStorage
import Logging

/// On first start with no identities: the `admin` identity and its bootstrap token, from
/// `HITCH_BOOTSTRAP_TOKEN` or generated and written to `<data-dir>/bootstrap-token` (mode 0600). The bootstrap
/// token is spent once an admin has a password (`UserService`); a generated one also expires after 24 hours, and
/// its file is removed once it is spent or expired.
struct Bootstrap {
    static let environmentVariable = "HITCH_BOOTSTRAP_TOKEN"
    static let fileName = "bootstrap-token"
    /// The issuer recorded on the bootstrap token: Hitch itself.
    static let issuer = "hitch"
    static let generatedLifetime: TimeInterval = 24 * 3600

    let configuration: HitchConfiguration
    let clock: @Sendable () -> Date

    var tokenPath: String { (configuration.dataDirectory as NSString).appendingPathComponent(Self.fileName) }

    func createAdminIfEmpty(store: Store, audit: AuditLog, logger: Logger) async throws {
        let given = configuration.environment[Self.environmentVariable].map(SecretValue.init)
        if let given, given.exposedValue.count < 32 {
            throw HitchError(.badRequest, "\(Self.environmentVariable) must be at least 32 characters")
        }
        let token = given ?? SecretGenerator.token(prefix: "hitch_")
        let now = clock()
        let admin = Identity(
            id: UUID().uuidString.lowercased(), name: "admin", displayName: "Administrator", kind: .user, role: "admin",
            enabled: true, createdAt: now)
        let created = try await store.write(logger: logger) { session in
            guard try await session.identities.count() == 0 else { return false }
            try await session.identities.insert(admin, passwordHash: nil)
            try await session.identities.insert(
                TokenRecord(
                    id: UUID().uuidString.lowercased(), identityId: admin.id, name: "bootstrap",
                    tokenHash: SecretGenerator.tokenHash(token.exposedValue), createdAt: now,
                    expiresAt: given == nil ? now.addingTimeInterval(Self.generatedLifetime) : nil, issuedBy: Self.issuer))
            try await audit.append(
                AuditEvent(
                    actor: .system, origin: .local, action: "user.create",
                    target: AuditTarget(kind: "user", name: admin.name, id: admin.id), changedFields: ["role"],
                    detail: "the first admin, with the bootstrap token"),
                in: session)
            return true
        }
        guard created else {
            try await removeSpentTokenFile(store: store, logger: logger)
            return
        }
        if given == nil {
            try writeTokenFile(token)
            logger.notice("created the admin identity; its token is in the bootstrap token file", metadata: ["path": "\(tokenPath)"])
        } else {
            logger.notice("created the admin identity with the token from \(Self.environmentVariable)")
        }
    }

    /// Removes the token file once no bootstrap token is left that works (spent or expired).
    func removeSpentTokenFile(store: Store, logger: Logger) async throws {
        guard FileManager.default.fileExists(atPath: tokenPath) else { return }
        let now = clock()
        let live = try await store.read(logger: logger) { session in
            try await session.identities.tokens(identityId: nil).contains {
                $0.issuedBy == Self.issuer && $0.revokedAt == nil && ($0.expiresAt.map { $0 > now } ?? true)
            }
        }
        if !live { Self.removeTokenFile(at: tokenPath, logger: logger) }
    }

    static func removeTokenFile(at path: String, logger: Logger) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        do {
            try FileManager.default.removeItem(atPath: path)
            logger.notice("removed the spent bootstrap token file", metadata: ["path": "\(path)"])
        } catch {
            logger.error("could not remove the spent bootstrap token file", metadata: ["path": "\(path)"])
        }
    }

    private func writeTokenFile(_ token: SecretValue) throws {
        try? FileManager.default.removeItem(atPath: tokenPath)
        guard FileManager.default.createFile(
            atPath: tokenPath, contents: Data((token.exposedValue + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw HitchError(.internal, "cannot write \(tokenPath)") }
    }
}
