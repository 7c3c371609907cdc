import HitchDomain

/// What the bearer token of a request established, before the operation's rule is applied.
enum Authentication: Sendable {
    case none
    case rejected(HitchError)
    case principal(Principal)

    @TaskLocal static var current: Authentication = .none
}
