import Foundation
import SQLKit

struct SQLKeyCheckRepository: KeyCheckRepository {
    let database: any SQLDatabase

    func load() async throws -> (masterKeyVersion: Int, value: Data)? {
        guard try await Migrator.tableExists(database, named: "key_check"),
            let row = try await database.select().columns("master_key_version", "check_value").from("key_check")
                .where("id", .equal, 1).first()
        else { return nil }
        guard let value = Data(base64Encoded: try row.decode(column: "check_value", as: String.self)) else {
            throw StorageError.corrupt("the key check is not valid base64")
        }
        return (try row.decode(column: "master_key_version", as: Int.self), value)
    }

    func save(masterKeyVersion: Int, value: Data) async throws {
        try await database.insert(into: "key_check")
            .columns("id", "master_key_version", "check_value", "created_at")
            .values(SQLBind(1), SQLBind(masterKeyVersion), SQLBind(value.base64EncodedString()), SQLBind(Timestamp.now()))
            .run()
    }
}
