import Crypto
import Foundation
import HitchSecrets
import Testing

@Suite struct LocalKEKLoaderTests {
    @Test func createsTheKeyFileWithMode0600() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let loader = LocalKEKLoader(environment: [:], dataDirectory: directory.path)
        let (_, source) = try loader.load(mayCreate: true)
        #expect(source == .file(path: loader.filePath, created: true))
        let mode = try FileManager.default.attributesOfItem(atPath: loader.filePath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let (_, again) = try loader.load(mayCreate: true)
        #expect(again == .file(path: loader.filePath, created: false))
    }

    @Test func refusesALooseKeyFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let loader = LocalKEKLoader(environment: [:], dataDirectory: directory.path)
        _ = try loader.load(mayCreate: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: loader.filePath)
        #expect(throws: SecretsError.self) { try loader.load(mayCreate: false) }
    }

    @Test func doesNotCreateAKeyForAnExistingDatabase() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let loader = LocalKEKLoader(environment: [:], dataDirectory: directory.path)
        #expect(throws: SecretsError.self) { try loader.load(mayCreate: false) }
        #expect(!FileManager.default.fileExists(atPath: loader.filePath))
    }

    @Test func takesTheKeyFromTheEnvironment() throws {
        let encoded = Data(repeating: 7, count: 32).base64EncodedString()
        let loader = LocalKEKLoader(environment: ["HITCH_MASTER_KEY": encoded], dataDirectory: "/nonexistent")
        let (key, source) = try loader.load(mayCreate: true)
        #expect(source == .environment)
        #expect(key.identity == LocalKEK(key: .init(data: Data(repeating: 7, count: 32)), origin: "x").identity)
        for bad in ["", "not base64!", Data(repeating: 7, count: 16).base64EncodedString()] {
            let loader = LocalKEKLoader(environment: ["HITCH_MASTER_KEY": bad], dataDirectory: "/nonexistent")
            #expect(throws: SecretsError.self) { try loader.load(mayCreate: true) }
        }
    }
}
