import Crypto
import Foundation
import HitchSecrets
import HitchStorage

/// The MACs that chain the log: `mac(n) = HMAC-SHA256(audit key, mac(n-1) || canonical bytes of event n)`, under
/// a key derived from the master key, so that someone with only database access cannot forge a valid chain.
public struct AuditChain: Sendable {
    public let currentVersion: Int
    private let keys: [Int: SymmetricKey]

    public init(current: MasterKey, previous: [MasterKey] = []) {
        currentVersion = current.version
        var keys: [Int: SymmetricKey] = [:]
        for master in previous + [current] { keys[master.version] = master.derivedKey(purpose: "audit chain") }
        self.keys = keys
    }

    /// The MAC of the first event follows this one.
    static let genesis = ""

    func canVerify(keyVersion: Int) -> Bool { keys[keyVersion] != nil }

    /// The MAC `entry` must carry after `previousMac`; nil when no key of its version is loaded.
    func mac(of entry: AuditEntry, after previousMac: String) -> String? {
        guard let key = keys[entry.keyVersion] else { return nil }
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Array(previousMac.utf8))
        hmac.update(data: AuditCanonical.bytes(of: entry))
        return Self.hex(hmac.finalize())
    }

    /// The MAC over the head record, so that it cannot be moved back to hide a cut tail.
    func headMac(sequence: Int64, mac: String, keyVersion: Int) -> String? {
        guard let key = keys[keyVersion] else { return nil }
        var bytes = Array("head".utf8)
        AuditCanonical.append(UInt64(bitPattern: sequence), to: &bytes)
        AuditCanonical.append(mac, to: &bytes)
        return Self.hex(HMAC<SHA256>.authenticationCode(for: bytes, using: key))
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

/// The bytes an event's MAC covers: every field but the MAC, in a fixed order, each length-prefixed, so that no
/// two different events share their bytes.
enum AuditCanonical {
    static func bytes(of entry: AuditEntry) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        append(UInt64(bitPattern: entry.sequence), to: &bytes)
        append(UInt64(bitPattern: entry.recordedAt), to: &bytes)
        append(entry.actorId, to: &bytes)
        append(entry.actorName, to: &bytes)
        append(entry.actorKind, to: &bytes)
        append(optional: entry.tokenName, to: &bytes)
        append(optional: entry.clientAddress, to: &bytes)
        append(optional: entry.requestId, to: &bytes)
        append(entry.action, to: &bytes)
        append(optional: entry.targetKind, to: &bytes)
        append(optional: entry.targetName, to: &bytes)
        append(optional: entry.targetId, to: &bytes)
        append(entry.outcome, to: &bytes)
        append(optional: entry.failureCode, to: &bytes)
        append(entry.changedFields.joined(separator: ","), to: &bytes)
        append(optional: entry.detail, to: &bytes)
        append(UInt64(entry.keyVersion), to: &bytes)
        return bytes
    }

    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    static func append(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            let count = UInt32(utf8.count)
            for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: count >> UInt32(shift))) }
            bytes.append(contentsOf: utf8)
        }
    }

    static func append(optional text: String?, to bytes: inout [UInt8]) {
        guard let text else { return bytes.append(0) }
        bytes.append(1)
        append(text, to: &bytes)
    }
}
