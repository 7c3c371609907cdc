import Foundation
import HitchAudit
import HitchDomain
import HitchPlatforms
import HitchSecrets
import HitchStorage
import Logging

/// What a running server holds: the store, the keyring and the services built on them.
public struct HitchRuntime: Sendable {
    public let store: Store
    public let keyring: Keyring
    public let audit: AuditLog
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    let rotationPolicy: RotationPolicy
    /// Where platform code may connect (`EgressSettings`).
    let egress: EgressPolicy
    let ambientAWS: AmbientAWSIdentity?
    let tokenLifetimes: TokenLifetimes
    let http: HTTPSettings
    let leaseSettings: LeaseSettings
    /// The bootstrap token's file, removed once the token is spent.
    let bootstrapTokenPath: String
    let sessions: PlatformSessionPool
    let runningJobs: RunningJobs
    let clock: @Sendable () -> Date

    var connections: ConnectionService {
        ConnectionService(
            store: store, keyring: keyring, audit: audit, sessions: sessions, egress: egress, ambientAWS: ambientAWS, clock: clock)
    }
    var connectionTests: ConnectionTestService {
        ConnectionTestService(connections: connections, store: store, audit: audit, egress: egress, clock: clock)
    }
    var jobs: JobService { JobService(store: store, audit: audit, leaseEnding: connections.leaseEnding, clock: clock) }
    var discoveries: DiscoveryService {
        DiscoveryService(
            connections: connections, jobs: jobs, store: store, audit: audit, sessions: sessions, running: runningJobs, clock: clock)
    }
    var preflights: PreflightService {
        PreflightService(
            connections: connections, jobs: jobs, store: store, audit: audit, sessions: sessions, egress: egress, clock: clock)
    }
    var leases: LeaseService {
        LeaseService(connections: connections, store: store, audit: audit, egress: egress, settings: leaseSettings, clock: clock)
    }
    var apiKeys: APIKeyVerifier {
        APIKeyVerifier(connections: connections, store: store, audit: audit, throttle: throttle, clock: clock)
    }
    var assignments: AssignmentService { AssignmentService(store: store, audit: audit, clock: clock) }
    var authenticator: Authenticator { Authenticator(store: store, clock: clock) }
    var logins: LoginService { LoginService(store: store, audit: audit, hasher: hasher, throttle: throttle, clock: clock) }
    var users: UserService {
        UserService(store: store, audit: audit, hasher: hasher, bootstrapTokenPath: bootstrapTokenPath, clock: clock)
    }
    var tokens: TokenService { TokenService(store: store, audit: audit, lifetimes: tokenLifetimes, clock: clock) }
    var auditLog: AuditService { AuditService(store: store, chain: audit.chain) }

    /// Stops the jobs this server runs (each records that it stopped) and logs out its platform sessions.
    public func shutDownJobs() async {
        await runningJobs.stopAll()
        await sessions.closeAll()
    }

    /// Checks the master key against the database before anything is written, then migrates and, on first
    /// start, records the key check and creates the admin identity.
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
        let store = Store(backend: backend)
        let migrator = Migrator(backend: backend)
        let isNew = try await migrator.appliedVersions(logger: logger).isEmpty
        let storedCheck = isNew ? nil : try await store.read(logger: logger) { try await $0.keyCheck.load() }
        let loader = MasterKeyLoader(environment: configuration.environment, dataDirectory: configuration.dataDirectory)
        let (masterKey, source) = try loader.load(mayCreate: storedCheck == nil)
        if let storedCheck { try KeyCheck.verify(storedCheck.value, with: masterKey) }
        if case .file(let path, true) = source { logger.notice("created the master key file", metadata: ["path": "\(path)"]) }

        let audit = AuditLog(chain: AuditChain(current: masterKey), clock: clock)
        let keyring = Keyring(current: masterKey)
        let applied = try await migrator.migrate(
            logger: logger,
            steps: [
                SchemaVersion.destinationBinding: DestinationBindingMigration.step(
                    secrets: ConnectionSecrets(store: store, keyring: keyring), audit: audit, logger: logger)
            ])
        if applied.contains(SchemaVersion.auditLog) {
            // The log starts with the migration that made it, so an emptied log is never taken for a new one.
            let event = AuditEvent(actor: .system, origin: .local, action: "audit.start", target: nil)
            try await store.write(logger: logger) { session in try await audit.append(event, in: session) }
        }
        if storedCheck == nil {
            let check = try KeyCheck.make(for: masterKey)
            try await store.write(logger: logger) { session in
                // Two servers starting on one new PostgreSQL: the first writes the check, the other verifies it.
                if let existing = try await session.keyCheck.load() {
                    try KeyCheck.verify(existing.value, with: masterKey)
                } else {
                    try await session.keyCheck.save(masterKeyVersion: masterKey.version, value: check)
                }
            }
        }
        try await Bootstrap(configuration: configuration, clock: clock)
            .createAdminIfEmpty(store: store, audit: audit, logger: logger)
        let hasher = try await PasswordHasher(cost: PasswordHasher.cost(from: configuration.environment))
        let runtime = HitchRuntime(
            store: store, keyring: keyring, audit: audit, hasher: hasher, throttle: LoginThrottle(),
            rotationPolicy: rotationPolicy, egress: egress, ambientAWS: ambientAWS, tokenLifetimes: tokenLifetimes, http: http, leaseSettings: leaseSettings,
            bootstrapTokenPath: Bootstrap(configuration: configuration, clock: clock).tokenPath, sessions: PlatformSessionPool(logger: logger, egress: egress),
            runningJobs: RunningJobs(), clock: clock)
        let abandoned = try await runtime.jobs.endOverdue(logger: logger)
        if abandoned > 0 { logger.notice("ended jobs abandoned by a stopped server", metadata: ["jobs": "\(abandoned)"]) }
        return runtime
    }
}
