/// Exit codes, as DESIGN.md section 4 gives them.
enum HitchExitCode: Int32 {
    case ok = 0
    case error = 1
    case usage = 2
    case testFailed = 3
    case refused = 4
    case notFound = 5
    case notAllowed = 6

    init(httpStatus: Int) {
        switch httpStatus {
        case 400, 422: self = .usage
        case 401, 403, 429: self = .notAllowed
        case 404: self = .notFound
        case 409, 412: self = .refused
        default: self = .error
        }
    }
}

/// A failure the CLI reports on stderr, with its exit code.
struct CLIError: Error {
    let message: String
    let exitCode: HitchExitCode

    init(_ message: String, exitCode: HitchExitCode = .error) {
        self.message = message
        self.exitCode = exitCode
    }

    static func usage(_ message: String) -> CLIError { CLIError(message, exitCode: .usage) }
}
