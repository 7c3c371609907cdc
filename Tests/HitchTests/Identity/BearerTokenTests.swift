@testable import HitchHTTP
import Testing

@Suite struct BearerTokenTests {
    @Test func theTokenOfABearerHeader() {
        #expect(BearerToken.parse("Bearer hitch_abc") == "hitch_abc")
        #expect(BearerToken.parse("bearer hitch_abc") == "hitch_abc")
        #expect(BearerToken.parse("BEARER \t hitch_abc \t ") == "hitch_abc")
        #expect(BearerToken.parse("Bearer ") == "")
        #expect(BearerToken.parse("Bearer hitch_é") == "hitch_é")
    }

    @Test func anotherSchemeIsNoBearerToken() {
        for header in ["Basic YWRtaW46cHc=", "Bearer", "Bearerhitch_abc", "Bearer\thitch_abc", "", "Bearar hitch_abc", "@EARER hitch_abc"] {
            #expect(BearerToken.parse(header) == nil, "\(header)")
        }
    }
}
