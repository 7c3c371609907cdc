import Foundation

/// Secrets come from stdin or a file, never from an argument (S8).
enum SecretInput {
    /// All of stdin, without one trailing line break.
    static func readStdin() throws -> String {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let text = String(data: data, encoding: .utf8) else { throw CLIError.usage("stdin is not UTF-8 text") }
        let secret = withoutTrailingLineBreak(text)
        guard !secret.isEmpty else { throw CLIError.usage("stdin was empty: pipe the secret into hitch") }
        return secret
    }

    /// A file's text without one trailing line break, or stdin for `-`.
    static func readFile(_ path: String) throws -> String {
        if path == "-" { return try readStdin() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError.usage("cannot read \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw CLIError.usage("\(path) is not UTF-8 text") }
        return withoutTrailingLineBreak(text)
    }

    /// One rule for stdin and files: one trailing `\n` or `\r\n` goes, nothing else. It works on bytes, since
    /// `"\r\n"` is a single `Character` in Swift: removing two Characters would take the secret's last one too.
    static func withoutTrailingLineBreak(_ text: String) -> String {
        var bytes = Array(text.utf8)
        if bytes.last == UInt8(ascii: "\n") {
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
