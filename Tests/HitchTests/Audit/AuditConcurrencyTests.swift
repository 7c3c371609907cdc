import Crypto
import Foundation
import HitchAudit
@testable import HitchServices
import HitchStorage
import Testing

/// Appends from many requests at once, and on PostgreSQL from two servers sharing the database, stay serialized
/// and gap-free: the chain verifies and holds every event once.
@Suite struct AuditConcurrencyTests {
    static let perServer = 60

    @Test(arguments: TestBackend.all)
    func concurrentAppendsFormOneChain(backend: TestBackend) async throws {
        try await backend.withConfiguration(environment: TestBackend.environment) { configuration in
            try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { first in
                let one = try await HitchRuntime.start(backend: first, configuration: configuration, logger: TestBackend.logger)
                guard backend == .postgres else {
                    try await Self.append(from: [one], count: Self.perServer * 2)
                    return try await Self.expectChain(of: one, events: Self.perServer * 2)
                }
                try await StorageRuntime.withBackend(configuration, logger: TestBackend.logger) { second in
                    let two = try await HitchRuntime.start(backend: second, configuration: configuration, logger: TestBackend.logger)
                    try await Self.append(from: [one, two], count: Self.perServer)
                    try await Self.expectChain(of: two, events: Self.perServer * 2)
                }
            }
        }
    }

    /// The very first events, when there is no head row yet to lock: appends racing on an empty log still make one
    /// chain (on PostgreSQL the advisory lock takes over until the head exists).
    @Test(arguments: TestBackend.all)
    func theFirstAppendsOfAnEmptyLogFormOneChain(backend: TestBackend) async throws {
        try await backend.withBackend { sql, _ in
            let store = try await ConnectionRepositoryTests.migratedStore(sql)
            let audit = AuditLog(chain: AuditChain(keys: [1: SymmetricKey(size: .bits256)], current: 1), clock: Date.init)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let event = AuditEvent(
                            actor: AuditActor(id: "a\(index)", name: "racer-\(index)", kind: "service", tokenName: nil),
                            origin: .local, action: "connection.update", target: AuditTarget(kind: "connection", name: "c\(index)"))
                        try await store.write(logger: TestBackend.logger) { session in try await audit.append(event, in: session) }
                    }
                }
                try await group.waitForAll()
            }
            let result = try await AuditVerifier(chain: audit.chain).verify(store: store, logger: TestBackend.logger)
            #expect(result.isIntact, "\(String(describing: result.failure))")
            #expect(result.verified == 20)
        }
    }

    /// Writes that append and then fail, racing writes that commit: on SQLite they share group commits that roll back
    /// and run again one by one, and the head an append kept in memory (`AuditHeadMemo`) must never outlive its
    /// rollback. The chain holds exactly the events of the writes that committed.
    @Test(arguments: TestBackend.all)
    func appendsOfWritesThatFailLeaveNoTrace(backend: TestBackend) async throws {
        struct Refused: Error {}
        try await backend.withBackend { sql, _ in
            let store = try await ConnectionRepositoryTests.migratedStore(sql)
            let audit = AuditLog(chain: AuditChain(keys: [1: SymmetricKey(size: .bits256)], current: 1), clock: Date.init)
            let writes = 90
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<writes {
                    group.addTask {
                        let event = AuditEvent(
                            actor: AuditActor(id: "a\(index)", name: "writer-\(index)", kind: "service", tokenName: nil),
                            origin: .local, action: "connection.update", target: AuditTarget(kind: "connection", name: "c\(index)"))
                        do {
                            try await store.write(logger: TestBackend.logger) { session in
                                try await audit.append([event, event], in: session)
                                if index % 3 == 0 { throw Refused() }
                            }
                        } catch is Refused {}
                    }
                }
                try await group.waitForAll()
            }
            let result = try await AuditVerifier(chain: audit.chain).verify(store: store, logger: TestBackend.logger)
            #expect(result.isIntact, "\(String(describing: result.failure))")
            #expect(result.verified == Int64(2 * (writes - writes / 3)))
            let names = try await store.read(logger: TestBackend.logger) { try await $0.audit.entries(after: 0, limit: 1_000) }
                .compactMap(\.actorName)
            #expect(!names.contains { Int($0.dropFirst("writer-".count))! % 3 == 0 })
        }
    }

    static func append(from runtimes: [HitchRuntime], count: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (server, runtime) in runtimes.enumerated() {
                for index in 0..<count {
                    group.addTask {
                        let event = AuditEvent(
                            actor: AuditActor(id: "s\(server)", name: "server-\(server)", kind: "service", tokenName: nil),
                            origin: .local, action: "connection.update", target: AuditTarget(kind: "connection", name: "c\(index)"))
                        try await runtime.store.write(logger: TestBackend.logger) { [audit = runtime.audit] session in
                            try await audit.append(event, in: session)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    static func expectChain(of runtime: HitchRuntime, events: Int) async throws {
        let result = try await AuditVerifier(chain: runtime.audit.chain).verify(store: runtime.store, logger: TestBackend.logger)
        #expect(result.isIntact, "\(String(describing: result.failure))")
        // The two start-up events (the log's start and the first admin), then every append once.
        #expect(result.verified == Int64(events + 2))
        let stored = try await runtime.store.read(logger: TestBackend.logger) { try await $0.audit.entries(after: 0, limit: 10_000) }
        #expect(stored.map(\.sequence) == Array(1...Int64(events + 2)))
    }
}
