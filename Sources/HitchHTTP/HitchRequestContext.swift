import Hummingbird
import NIOCore

/// The request context of Hitch's router: Hummingbird's core context and the client's address, for the audit log.
public struct HitchRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
