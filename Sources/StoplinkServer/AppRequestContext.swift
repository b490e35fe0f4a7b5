import Hummingbird
import NIOCore
import StoplinkStore

/// The one request context of the application: Hummingbird's core plus the peer's address.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The company whose API key authenticated the request (`/api/v1` only).
    public var company: Company?
    /// The dashboard's logged-in visitor (`/dashboard` only).
    public var dashboard: DashboardVisitor?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        company = nil
        dashboard = nil
    }
}
