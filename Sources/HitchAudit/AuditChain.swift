import Crypto
import Foundation
import HitchSecrets
import HitchStorage

/// The MACs that chain the log: `mac(n) = HMAC-SHA256(audit key, mac(n-1) || canonical text of event n)`, under
/// the keyring's audit key, so that someone with only database access cannot forge a valid chain. The audit key is
/// the keyring's own slot (`audit/1`), not a master key: rotating the master key or replacing the key-encryption key
/// leaves it, and so every MAC, unchanged. Each event names its key's version. The canonical text is
/// `AuditCanonicalForm`'s.
public struct AuditChain: Sendable {
    public let currentVersion: Int
    /// Each version's HMAC with its key already absorbed: a copy per event saves the key set-up.
    private let keyed: [Int: KeyedHMAC]
    private let keys: [Int: SymmetricKey]

    /// - Parameter keys: the audit keys by version; `current` keys new events.
    public init(keys: [Int: SymmetricKey], current: Int) {
        precondition(keys[current] != nil, "the current audit key is loaded")
        currentVersion = current
        self.keys = keys
        keyed = keys.mapValues(KeyedHMAC.init)
    }

    /// The audit key of a database made before the keyring: derived from its master key with HKDF.
    public static func legacyKey(of master: MasterKey) -> SymmetricKey { master.derivedKey(purpose: "audit chain") }

    /// The MAC of the first event follows this one.
    static let genesis = ""

    /// The MAC `entry` must carry after `previousMac`; nil when no key of its version is loaded.
    func mac(of entry: AuditEntry, after previousMac: String) -> String? {
        mac(canonical: AuditCanonicalForm.text(of: entry), keyVersion: entry.keyVersion, after: previousMac)
    }

    func mac(canonical: String, keyVersion: Int, after previousMac: String) -> String? {
        guard let keyed = keyed[keyVersion] else { return nil }
        var previousMac = previousMac
        var canonical = canonical
        return previousMac.withUTF8 { previous in
            canonical.withUTF8 { text in
                SecretGenerator.hex(keyed.authenticate(UnsafeRawBufferPointer(previous), UnsafeRawBufferPointer(text)))
            }
        }
    }

    /// Whether `mac` (lowercase hex) is the MAC of `canonical` after `previousMac`; nil when no key of that version
    /// is loaded. Works on the bytes of a page as read, without a copy.
    func matches(
        _ mac: UnsafeRawBufferPointer, canonical: UnsafeRawBufferPointer, keyVersion: Int,
        after previousMac: UnsafeRawBufferPointer
    ) -> Bool? {
        guard let keyed = keyed[keyVersion] else { return nil }
        guard mac.count == SHA256.byteCount * 2 else { return false }
        return keyed.authenticate(previousMac, canonical).withUnsafeBytes { digest in
            for index in 0..<digest.count {
                let byte = digest[index]
                if mac[index * 2] != Self.hexDigit(byte >> 4) || mac[index * 2 + 1] != Self.hexDigit(byte & 0x0f) {
                    return false
                }
            }
            return true
        }
    }

    /// The MAC over the head record, so that it cannot be moved back to hide a cut tail.
    func headMac(sequence: Int64, mac: String, keyVersion: Int) -> String? {
        guard let key = keys[keyVersion] else { return nil }
        return SecretGenerator.hex(HMAC<SHA256>.authenticationCode(for: Array("head;\(sequence);\(mac)".utf8), using: key))
    }

    /// A lowercase hex digit, computed: a static table would be reached through a lazy initializer's check 64
    /// times an event.
    @inline(__always) private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
    }
}

/// HMAC-SHA256 (RFC 2104) with the inner and outer hashes already keyed, fed through raw buffers: it is the work of
/// a verify over millions of events, and the general `HMAC` spends more on set-up and generic byte access than on
/// hashing.
struct KeyedHMAC: Sendable {
    private let inner: SHA256
    private let outer: SHA256

    init(key: SymmetricKey) {
        var block = [UInt8](repeating: 0, count: SHA256.blockByteCount)
        key.withUnsafeBytes { bytes in
            if bytes.count > block.count {
                Array(SHA256.hash(data: bytes)).enumerated().forEach { block[$0.offset] = $0.element }
            } else {
                for (index, byte) in bytes.enumerated() { block[index] = byte }
            }
        }
        var inner = SHA256()
        var outer = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        outer.update(data: block.map { $0 ^ 0x5c })
        self.inner = inner
        self.outer = outer
    }

    /// The MAC of two byte runs, one after the other.
    func authenticate(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> SHA256.Digest {
        var inner = self.inner
        inner.update(bufferPointer: first)
        inner.update(bufferPointer: second)
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }
}
