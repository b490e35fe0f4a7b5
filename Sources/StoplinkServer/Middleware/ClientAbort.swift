import NIOCore
import NIOHTTP1

/// Errors that mean the client broke off its own request: it closed the connection mid-upload
/// or mid-answer, or sent a body that ends before its declared length. None is a server fault,
/// so none is logged at error level.
enum ClientAbort {
    static func matches(_ error: any Error) -> Bool {
        switch error {
        // The request's bytes stopped making sense or stopped early (EOF inside a body).
        case is HTTPParserError: true
        // The socket was reset or closed under a read or a write.
        case is IOError, is ChannelError: true
        default: false
        }
    }
}
