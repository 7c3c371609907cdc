import Foundation

/// Secrets come from stdin or a file, never from an argument (S8).
enum SecretInput {
    /// All of stdin, without one trailing line break.
    static func readStdin() throws -> String {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard var text = String(data: data, encoding: .utf8) else { throw CLIError.usage("stdin is not UTF-8 text") }
        if text.hasSuffix("\r\n") {
            text.removeLast(2)
        } else if text.hasSuffix("\n") {
            text.removeLast()
        }
        guard !text.isEmpty else { throw CLIError.usage("stdin was empty: pipe the secret into hitch") }
        return text
    }

    /// A file's text, or stdin for `-`.
    static func readFile(_ path: String) throws -> String {
        if path == "-" { return try readStdin() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError.usage("cannot read \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw CLIError.usage("\(path) is not UTF-8 text") }
        return text
    }
}
