import Foundation
import HitchDomain
import HitchPlatforms
import Testing

/// Hitch's SigV4 signer against reference signatures made once by botocore (scripts/sigv4-vectors.py).
@Suite struct SigV4SignerTests {
    struct Vector: Decodable {
        let name, method, url, region, service, body, accessKeyId, secretAccessKey, time, authorization: String
        let headers: [String: String]
        let token: String?
    }

    static let vectors: [Vector] = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/sigv4.json")
        return (try? JSONDecoder().decode([Vector].self, from: Data(contentsOf: path))) ?? []
    }()

    @Test func matchesBotocore() throws {
        #expect(Self.vectors.count == 4)
        for vector in Self.vectors {
            // scheme://authority/path?query, taken apart as sent (the path may hold a space).
            let afterScheme = vector.url.components(separatedBy: "://")[1]
            let authority = String(afterScheme.prefix { $0 != "/" })
            let rest = afterScheme.dropFirst(authority.count)
            let path = String(rest.prefix { $0 != "?" })
            let query = rest.contains("?") ? String(rest.split(separator: "?", maxSplits: 1)[1]) : ""
            let scheme = vector.url.components(separatedBy: "://")[0]
            let host = authority.hasSuffix(scheme == "https" ? ":443" : ":80") ? String(authority.split(separator: ":")[0]) : authority
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            let date = try #require(formatter.date(from: vector.time))
            let signer = SigV4Signer(
                credentials: .init(
                    accessKeyId: vector.accessKeyId, secretAccessKey: SecretValue(vector.secretAccessKey),
                    sessionToken: vector.token.map(SecretValue.init)),
                region: vector.region, service: vector.service)
            let added = signer.sign(
                method: vector.method, host: host, path: path, query: query,
                headers: vector.headers.map { ($0.key, $0.value) }, body: Array(vector.body.utf8), at: date)
            #expect(added.first { $0.0 == "Authorization" }?.1 == vector.authorization, "\(vector.name)")
        }
    }
}
