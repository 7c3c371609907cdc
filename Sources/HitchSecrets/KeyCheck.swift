import Crypto
import Foundation

/// A known value sealed under the master key and stored in the database, so that a start with the wrong key
/// is refused before anything is read or written.
public enum KeyCheck {
    private static let marker = Data("hitch master key check".utf8)
    private static let associatedData = Data("hitch/key-check/v1".utf8)

    public static func make(for key: MasterKey) throws -> Data {
        try AES.GCM.seal(marker, using: key.key, authenticating: associatedData).combined!
    }

    public static func verify(_ check: Data, with key: MasterKey) throws(SecretsError) {
        let opened = try? AES.GCM.open(AES.GCM.SealedBox(combined: check), using: key.key, authenticating: associatedData)
        guard opened == marker else {
            throw SecretsError(
                .keyMismatch,
                "the master key (version \(key.version)) does not open this database's key check: "
                    + "it is not the key this database was created with. Nothing was changed. "
                    + "Start with the right key in HITCH_MASTER_KEY or <data-dir>/master.key.")
        }
    }
}
