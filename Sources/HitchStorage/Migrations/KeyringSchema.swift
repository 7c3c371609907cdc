import SQLKit

/// Version 11: the keyring. Each master key version (`data`) and the audit chain's key (`audit`) is kept sealed by
/// the key-encryption key, which the database never holds; a data key version after the first is also sealed by
/// the version before it, so that a running server learns a new version from the one it holds. The key check of
/// earlier versions is dropped: opening the keyring proves the key-encryption key. The server's step writes the
/// first rows.
enum KeyringSchema {
    static func apply(_ database: any SQLDatabase) async throws {
        try await database.create(table: "keyring_keys")
            .column("purpose", type: .text, .notNull)
            .column("version", type: .bigint, .notNull)
            .column("sealed_key", type: .text, .notNull)
            .column("kek", type: .text, .notNull)
            .column("chain_version", type: .bigint)
            .column("chained_key", type: .text)
            .column("created_at", type: .bigint, .notNull)
            .column("created_by", type: .text, .notNull)
            .primaryKey("purpose", "version")
            .run()
        // The rewrap finds what older versions still wrap, and `key status` counts it, by these.
        try await database.create(index: "connection_secrets_master_key").on("connection_secrets")
            .column("master_key_version").run()
        try await database.raw("""
            CREATE INDEX leases_handle_master_key ON leases (handle_master_key_version)
            WHERE handle_ciphertext IS NOT NULL
            """).run()
        try await database.drop(table: "key_check").run()
    }
}
