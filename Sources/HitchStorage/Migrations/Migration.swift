import SQLKit

/// One step of the schema, applied once, in order, in a transaction of its own.
struct Migration: Sendable {
    let version: Int
    let name: String
    let apply: @Sendable (any SQLDatabase) async throws -> Void
}

enum Migrations {
    static let all: [Migration] = [
        Migration(version: 1, name: "initial schema", apply: InitialSchema.apply)
    ]
}
