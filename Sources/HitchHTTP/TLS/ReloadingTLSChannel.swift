import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// Serves a base channel (HTTP/1.1) behind TLS with the serving certificate's context at the moment each connection
/// arrives: after a reload, the next connection gets the new certificate and open ones keep theirs.
package struct ReloadingTLSChannel<BaseChannel: ServerChildChannel>: ServerChildChannel {
    package typealias Value = BaseChannel.Value

    let base: BaseChannel
    let certificate: ServingCertificate

    package func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: certificate.current))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    package func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }

    package init(base: BaseChannel, certificate: ServingCertificate) {
        self.base = base
        self.certificate = certificate
    }
}

extension ReloadingTLSChannel: HTTPChannelHandler where BaseChannel: HTTPChannelHandler {
    package var responder: HTTPChannelHandler.Responder { base.responder }
}
