import Foundation
import HitchAudit
import HitchDomain
import HitchPlatforms
import HitchSecrets
import HitchStorage
import Logging

/// What a running server holds: the store, the keyring and the services built on them.
public struct HitchRuntime: Sendable {
    /// Reached only by the services: the API, the dashboard and the CLI go through them.
    let store: Store
    let keys: LiveKeyring
    /// Moves what older master key versions wrap to the current one, in the background.
    let rewrap: KeyRewrap
    public let audit: AuditLog
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    package let rotationPolicy: RotationPolicy
    /// Where platform code may connect (`EgressSettings`).
    let egress: EgressPolicy
    let ambientAWS: AmbientAWSIdentity?
    let tokenLifetimes: TokenLifetimes
    package let http: HTTPSettings
    let leaseSettings: LeaseSettings
    let checkSettings: HealthSchedule.Settings
    let webhookSettings: WebhookDelivery.Settings
    /// The bootstrap token's file, removed once the token is spent.
    let bootstrapTokenPath: String
    let sessions: PlatformSessionPool
    package let runningJobs: RunningJobs
    /// The process environment: the AWS identity a KMS key-encryption key is reached with.
    package let environment: [String: String]
    /// Where backups are written before they are sent.
    let dataDirectory: String
    package let clock: @Sendable () -> Date

    package var connections: ConnectionService {
        ConnectionService(
            store: store, keys: keys, audit: audit, sessions: sessions, egress: egress, ambientAWS: ambientAWS, clock: clock)
    }
    package var platformRotations: PlatformRotationService {
        PlatformRotationService(connections: connections, store: store, audit: audit, egress: egress, policy: rotationPolicy)
    }

    package var autoRotation: AutoRotation {
        AutoRotation(connections: connections, rotations: platformRotations, policy: rotationPolicy, store: store, clock: clock)
    }

    package var connectionTests: ConnectionTestService {
        ConnectionTestService(
            connections: connections, store: store, audit: audit, egress: egress,
            expiryWarningDays: rotationPolicy.expiryWarningDays, clock: clock)
    }
    var healthSchedule: HealthSchedule {
        HealthSchedule(settings: checkSettings, tests: connectionTests, policy: rotationPolicy, store: store, clock: clock)
    }
    package var certificateTrust: CertificateTrust { CertificateTrust(connections: connections, store: store, audit: audit) }
    package var webhooks: WebhookService { WebhookService(store: store, secrets: connections.secrets, audit: audit, clock: clock) }
    var webhookDelivery: WebhookDelivery {
        WebhookDelivery(settings: webhookSettings, egress: egress, store: store, secrets: connections.secrets, clock: clock)
    }
    package var jobs: JobService { JobService(store: store, audit: audit, leaseEnding: connections.leaseEnding, clock: clock) }
    package var discoveries: DiscoveryService {
        DiscoveryService(
            connections: connections, jobs: jobs, store: store, audit: audit, sessions: sessions, running: runningJobs, clock: clock)
    }
    package var preflights: PreflightService {
        PreflightService(
            connections: connections, jobs: jobs, store: store, audit: audit, sessions: sessions, egress: egress, clock: clock)
    }
    package var leases: LeaseService {
        LeaseService(connections: connections, store: store, audit: audit, egress: egress, settings: leaseSettings, clock: clock)
    }
    package var apiKeys: APIKeyVerifier {
        APIKeyVerifier(connections: connections, store: store, audit: audit, throttle: throttle, clock: clock)
    }
    package var keyService: KeyService { KeyService(store: store, keys: keys, audit: audit, rewrap: rewrap, clock: clock) }
    package var backups: BackupService { BackupService(store: store, audit: audit, dataDirectory: dataDirectory) }
    package var assignments: AssignmentService { AssignmentService(store: store, audit: audit, clock: clock) }
    package var authenticator: Authenticator { Authenticator(store: store, clock: clock) }
    package var logins: LoginService { LoginService(store: store, audit: audit, hasher: hasher, throttle: throttle, clock: clock) }
    package var users: UserService {
        UserService(store: store, audit: audit, hasher: hasher, bootstrapTokenPath: bootstrapTokenPath, clock: clock)
    }
    package var tokens: TokenService { TokenService(store: store, audit: audit, lifetimes: tokenLifetimes, clock: clock) }
    package var auditLog: AuditService { AuditService(store: store, audit: audit) }
    /// The storage backend's name (`sqlite` or `postgres`), for build information.
    package var backendName: String { store.backend.name }

    /// Reads from storage once, so a readiness probe fails while the database does not answer.
    package func checkStorage(logger: Logger) async throws {
        _ = try await store.read(logger: logger) { try await $0.identities.count() }
    }

    /// Keeps the keyring current and rewraps in the background, until cancelled.
    public func maintainKeys(logger: Logger) async { await rewrap.run(logger: logger) }

    /// Stops the jobs this server runs (each records that it stopped) and logs out its platform sessions.
    public func shutDownJobs() async {
        await runningJobs.stopAll()
        await sessions.closeAll()
    }

    /// Opens the keyring with the key-encryption key before anything is written, then migrates and, on first
    /// start, writes the keyring and creates the admin identity.
    public static func start(
        backend: any SQLBackend, configuration: HitchConfiguration, logger: Logger,
        clock: @escaping @Sendable () -> Date = Date.init
    ) async throws -> HitchRuntime {
        let rotationPolicy = try RotationPolicy(environment: configuration.environment)
        let egress = try EgressSettings.policy(from: configuration.environment)
        let ambientAWS = try AmbientAWSIdentity.from(environment: configuration.environment)
        let tokenLifetimes = try TokenLifetimes(environment: configuration.environment)
        let http = try HTTPSettings(environment: configuration.environment)
        let leaseSettings = try LeaseSettings(environment: configuration.environment)
        let rewrapSettings = try KeyRewrap.Settings(environment: configuration.environment)
        let checkSettings = try HealthSchedule.Settings(environment: configuration.environment)
        let webhookSettings = try WebhookDelivery.Settings(environment: configuration.environment)
        _ = try AutoRotation.interval(from: configuration.environment)
        let store = Store(backend: backend)
        let migrator = Migrator(backend: backend)
        let startup = KeyringStartup(store: store, configuration: configuration, logger: logger)
        // The key-encryption key must open the keyring before anything is written.
        let opened = try await startup.open(appliedVersions: try await migrator.appliedVersions(logger: logger))
        let migrating = AuditLog(chain: opened.live.auditChain, clock: clock)
        let applied = try await migrator.migrate(
            logger: logger,
            steps: [
                SchemaVersion.destinationBinding: DestinationBindingMigration.step(
                    secrets: ConnectionSecrets(store: store, live: opened.live), audit: migrating, logger: logger),
                SchemaVersion.keyring: KeyringStartup.step(rows: opened.firstRows),
            ])
        let keys = opened.firstRows.isEmpty ? opened.live : try await startup.reopen(opened)
        let audit = AuditLog(chain: keys.auditChain, clock: clock)
        if applied.contains(SchemaVersion.auditLog) {
            // The log starts with the migration that made it, so an emptied log is never taken for a new one.
            let event = AuditEvent(actor: .system, origin: .local, action: "audit.start", target: nil)
            try await store.write(logger: logger) { session in try await audit.append(event, in: session) }
        }
        if applied.contains(SchemaVersion.keyring), !applied.contains(SchemaVersion.auditLog) {
            // A database made before the keyring: its master key became the keyring's first version.
            let event = AuditEvent(
                actor: .system, origin: .local, action: "key.keyring",
                target: nil, detail: "the keyring was made from the master key, sealed by \(keys.kek.identity)")
            try await store.write(logger: logger) { session in try await audit.append(event, in: session) }
        }
        try await Bootstrap(configuration: configuration, clock: clock)
            .createAdminIfEmpty(store: store, audit: audit, logger: logger)
        let hasher = try await PasswordHasher(cost: PasswordHasher.cost(from: configuration.environment))
        let runtime = HitchRuntime(
            store: store, keys: keys,
            rewrap: KeyRewrap(store: store, keys: keys, audit: audit, settings: rewrapSettings, clock: clock), audit: audit, hasher: hasher, throttle: LoginThrottle(),
            rotationPolicy: rotationPolicy, egress: egress, ambientAWS: ambientAWS, tokenLifetimes: tokenLifetimes, http: http, leaseSettings: leaseSettings,
            checkSettings: checkSettings, webhookSettings: webhookSettings,
            bootstrapTokenPath: Bootstrap(configuration: configuration, clock: clock).tokenPath, sessions: PlatformSessionPool(logger: logger, egress: egress),
            runningJobs: RunningJobs(), environment: configuration.environment, dataDirectory: configuration.dataDirectory,
            clock: clock)
        let abandoned = try await runtime.jobs.endOverdue(logger: logger)
        if abandoned > 0 { logger.notice("ended jobs abandoned by a stopped server", metadata: ["jobs": "\(abandoned)"]) }
        return runtime
    }
}
