import HitchDomain
import HitchPlatforms
import HitchSecrets
import Testing

@Suite struct APIKeyTesterTests {
    @Test func issuedKeyPassesAndOthersFail() {
        let issued = SecretGenerator.token(prefix: "hitch_ak_")
        #expect(APIKeyTester.test(tokenType: "connector", key: issued).passed)
        #expect(APIKeyTester.test(tokenType: "connector", key: nil).failedStage?.failure == .authFailed)
        #expect(APIKeyTester.test(tokenType: "connector", key: SecretValue("hitch_ak_short")).failedStage?.failure == .authFailed)
        #expect(APIKeyTester.test(tokenType: "root", key: issued).failedStage?.stage == .authorize)
    }
}
