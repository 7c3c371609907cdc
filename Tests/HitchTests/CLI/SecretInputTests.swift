@testable import HitchCLI
import Testing

/// Secrets piped or read from a file lose one trailing line break, `\n` or `\r\n`, and never a character of their
/// own (a Windows line ending is one Swift Character).
@Suite struct SecretInputTests {
    @Test(arguments: [
        ("abc\n", "abc"), ("abc\r\n", "abc"), ("abc", "abc"), ("abc\r", "abc\r"), ("abc\n\n", "abc\n"),
        ("pässwörd\r\n", "pässwörd"), ("{\"key\": 1}\n", "{\"key\": 1}"),
    ])
    func oneTrailingLineBreakGoes(input: String, stored: String) {
        #expect(SecretInput.withoutTrailingLineBreak(input) == stored)
    }
}
