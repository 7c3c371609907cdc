import Crypto
import Foundation
@testable import HitchAudit
@testable import HitchServices
import HitchStorage
import Testing

/// The canonical text that the database computes for verification is the text Hitch MAC'd when it appended, for
/// every kind of value: multi-byte characters, empty texts, nulls, NUL, and the form's own separators.
@Suite struct AuditCanonicalFormTests {
    static let awkward = [
        "plain", "", "é", "unit\u{1F}separator", "record\u{1E}separator", "👩‍💻 emoji", "日本語のテキスト", "a;b:c~d,e", "12:34", "~", "nul\u{0}inside", "tab\tand\nnewline",
        "'quote\" and \\backslash", String(repeating: "x", count: 600),
    ]

    @Test(arguments: TestBackend.all)
    func databaseAndSwiftAgree(backend: TestBackend) async throws {
        try await backend.withRuntime { runtime, _ in
            let events = Self.awkward.enumerated().map { index, text in
                AuditEvent(
                    actor: AuditActor(id: text, name: text, kind: "user", tokenName: index.isMultiple(of: 2) ? nil : text),
                    origin: AuditOrigin(clientAddress: index.isMultiple(of: 3) ? nil : text, requestId: text),
                    action: "test.\(index)", target: index.isMultiple(of: 4) ? nil : AuditTarget(kind: "connection", name: text, id: text),
                    outcome: index.isMultiple(of: 5) ? .failed(code: text) : .ok, changedFields: [text, "password"],
                    detail: index.isMultiple(of: 2) ? text : nil)
            }
            try await runtime.store.write(logger: TestBackend.logger) { [audit = runtime.audit] session in
                try await audit.append(events, in: session)
            }
            let (entries, page) = try await runtime.store.read(logger: TestBackend.logger) { session in
                (try await session.audit.entries(after: 0, limit: 100), try await session.audit.canonicalPage(after: 0, through: 100))
            }
            let records = try #require(page).split(separator: "\u{1E}", omittingEmptySubsequences: false)
            #expect(entries.count == Self.awkward.count + 2 && records.count == entries.count)
            for (entry, record) in zip(entries, records) {
                #expect(record == entry.mac + "\u{1F}" + AuditCanonicalForm.text(of: entry), "event \(entry.sequence)")
                #expect(!record.contains("\u{0}"))
                #expect(record.unicodeScalars.filter { $0.value == 0x1F }.count == 17, "the MAC and 17 fields")
            }
            let result = try await AuditVerifier(chain: runtime.audit.chain).verify(store: runtime.store, logger: TestBackend.logger)
            #expect(result.isIntact, "\(String(describing: result.failure))")
        }
    }
}

extension AuditCanonicalFormTests {
    /// The pre-keyed HMAC that verify uses gives what swift-crypto's HMAC gives, for short and long keys.
    @Test func keyedHMACMatchesHMAC() {
        for keySize in [32, 64, 100] {
            let key = SymmetricKey(data: (0..<keySize).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
            for (first, second) in [("", ""), ("abc", "déf 👩‍💻"), (String(repeating: "m", count: 64), String(repeating: "z", count: 300))] {
                let expected = Array(HMAC<SHA256>.authenticationCode(for: Array((first + second).utf8), using: key))
                let computed = Array(first.utf8).withUnsafeBytes { a in
                    Array(second.utf8).withUnsafeBytes { b in Array(KeyedHMAC(key: key).authenticate(a, b)) }
                }
                #expect(computed == expected, "key of \(keySize) bytes")
            }
        }
    }
}
