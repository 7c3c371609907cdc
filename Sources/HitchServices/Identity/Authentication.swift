import HitchDomain

/// What the bearer token of a request established, before the operation's rule is applied.
package enum Authentication: Sendable {
    case none
    case rejected(HitchError)
    case principal(Principal)

    @TaskLocal package static var current: Authentication = .none
}
