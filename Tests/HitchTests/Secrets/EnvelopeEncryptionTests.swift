import Foundation
import HitchDomain
import HitchSecrets
import Testing

@Suite struct EnvelopeEncryptionTests {
    let keyring = Keyring(current: .generate())
    static let destination = ConnectionDestination(kind: .vsphere, fields: ["vcenter": .string("vc01.corp.example")]).canonical
    let binding = SecretBinding(connectionId: "c1", field: "password", credentialVersion: 1, destination: destination)

    @Test func sealedSecretOpensWithItsBinding() throws {
        let sealed = try keyring.seal(SecretValue("canary-pw"), for: binding)
        #expect(try keyring.open(sealed, for: binding).exposedValue == "canary-pw")
        #expect(sealed.masterKeyVersion == 1)
        #expect(!String(decoding: sealed.ciphertext, as: UTF8.self).contains("canary"))
    }

    @Test func eachSecretHasItsOwnDataKey() throws {
        let first = try keyring.seal(SecretValue("same"), for: binding)
        let second = try keyring.seal(SecretValue("same"), for: binding)
        #expect(first.wrappedKey != second.wrappedKey)
        #expect(first.ciphertext != second.ciphertext)
    }

    @Test(arguments: [
        SecretBinding(connectionId: "c2", field: "password", credentialVersion: 1, destination: destination),
        SecretBinding(connectionId: "c1", field: "clientSecret", credentialVersion: 1, destination: destination),
        SecretBinding(connectionId: "c1", field: "password", credentialVersion: 2, destination: destination),
        // The same connection, field and version, at another destination (S9).
        SecretBinding(
            connectionId: "c1", field: "password", credentialVersion: 1,
            destination: ConnectionDestination(kind: .vsphere, fields: ["vcenter": .string("127.0.0.1:18445")]).canonical),
        SecretBinding(
            connectionId: "c1", field: "password", credentialVersion: 1,
            destination: ConnectionDestination(
                kind: .vsphere, fields: ["vcenter": .string("vc01.corp.example"), "insecure": .boolean(true)]).canonical),
    ])
    func ciphertextMovedElsewhereDoesNotOpen(other: SecretBinding) throws {
        let sealed = try keyring.seal(SecretValue("canary-pw"), for: binding)
        #expect(throws: SecretsError.self) { try keyring.open(sealed, for: other) }
    }

    @Test func anUnboundSecretOpensOnlyThroughTheMigrationsOwnCall() throws {
        let sealed = try keyring.seal(SecretValue("canary-pw"), for: binding)
        #expect(throws: SecretsError.self) {
            try keyring.openUnbound(sealed, connectionId: "c1", field: "password", credentialVersion: 1)
        }
    }

    @Test func ciphertextOfAnotherSecretSwappedInDoesNotOpen() throws {
        let first = try keyring.seal(SecretValue("one"), for: binding)
        let second = try keyring.seal(SecretValue("two"), for: binding)
        let swapped = SealedSecret(masterKeyVersion: 1, wrappedKey: first.wrappedKey, ciphertext: second.ciphertext)
        #expect(throws: SecretsError.self) { try keyring.open(swapped, for: binding) }
    }

    @Test func anotherMasterKeyDoesNotOpen() throws {
        let sealed = try keyring.seal(SecretValue("canary-pw"), for: binding)
        let other = Keyring(current: .generate())
        #expect(throws: SecretsError.self) { try other.open(sealed, for: binding) }
    }

    @Test func keyCheckRefusesAnotherKey() throws {
        let key = MasterKey.generate()
        let check = try KeyCheck.make(for: key)
        try KeyCheck.verify(check, with: key)
        #expect(throws: SecretsError.self) { try KeyCheck.verify(check, with: .generate()) }
    }

    @Test func generatedTokensAreRandomAndHashed() {
        let first = SecretGenerator.token(prefix: "hitch_")
        let second = SecretGenerator.token(prefix: "hitch_")
        #expect(first != second)
        #expect(first.exposedValue.count == 6 + 43)
        #expect(SecretGenerator.tokenHash(first.exposedValue).count == 64)
        #expect(SecretGenerator.tokenHash(first.exposedValue) != first.exposedValue)
    }
}
