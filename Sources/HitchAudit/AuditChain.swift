import Crypto
import Foundation
import HitchSecrets
import HitchStorage

/// The MACs that chain the log: `mac(n) = HMAC-SHA256(audit key, mac(n-1) || canonical text of event n)`, under
/// a key derived from the master key, so that someone with only database access cannot forge a valid chain. The
/// canonical text is `AuditCanonicalForm`'s.
public struct AuditChain: Sendable {
    public let currentVersion: Int
    /// Each version's HMAC with its key already absorbed: a copy per event saves the key set-up.
    private let keyed: [Int: HMAC<SHA256>]
    private let keys: [Int: SymmetricKey]

    public init(current: MasterKey, previous: [MasterKey] = []) {
        currentVersion = current.version
        var keys: [Int: SymmetricKey] = [:]
        for master in previous + [current] { keys[master.version] = master.derivedKey(purpose: "audit chain") }
        self.keys = keys
        keyed = keys.mapValues { HMAC<SHA256>(key: $0) }
    }

    /// The MAC of the first event follows this one.
    static let genesis = ""

    /// The MAC `entry` must carry after `previousMac`; nil when no key of its version is loaded.
    func mac(of entry: AuditEntry, after previousMac: String) -> String? {
        mac(canonical: AuditCanonicalForm.text(of: entry), keyVersion: entry.keyVersion, after: previousMac)
    }

    func mac(canonical: String, keyVersion: Int, after previousMac: String) -> String? {
        guard var hmac = keyed[keyVersion] else { return nil }
        var previousMac = previousMac
        var canonical = canonical
        previousMac.withUTF8 { hmac.update(data: UnsafeRawBufferPointer($0)) }
        canonical.withUTF8 { hmac.update(data: UnsafeRawBufferPointer($0)) }
        return Self.hex(hmac.finalize())
    }

    /// The MAC over the head record, so that it cannot be moved back to hide a cut tail.
    func headMac(sequence: Int64, mac: String, keyVersion: Int) -> String? {
        guard let key = keys[keyVersion] else { return nil }
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Array("head;\(sequence);\(mac)".utf8), using: key))
    }

    private static let digits = Array("0123456789abcdef".utf8)

    private static func hex(_ code: HMAC<SHA256>.MAC) -> String {
        code.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
                for (index, byte) in bytes.enumerated() {
                    buffer[index * 2] = digits[Int(byte >> 4)]
                    buffer[index * 2 + 1] = digits[Int(byte & 0x0f)]
                }
                return bytes.count * 2
            }
        }
    }
}
