import Crypto
import Foundation

/// Dashboard session ids and their lifetimes. The id travels only in the cookie; the database
/// keeps its SHA-256, so a copy of the database logs no one in.
public struct DashboardSession: Sendable, Equatable {
    /// A session unused this long ends.
    public var idleLimit: TimeInterval
    /// A session ends this long after login, however busy.
    public var absoluteLimit: TimeInterval

    /// Two hours idle, twelve hours in all.
    public static let standard = DashboardSession(idleLimit: 2 * 60 * 60, absoluteLimit: 12 * 60 * 60)

    public init(idleLimit: TimeInterval, absoluteLimit: TimeInterval) {
        self.idleLimit = idleLimit
        self.absoluteLimit = absoluteLimit
    }

    /// 256 random bits, base64url.
    public static func generateID() -> String {
        Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }

    /// What the database keeps of an id; nil for text that cannot be an id (a garbled cookie).
    public static func hash(_ id: String) -> String? {
        guard id.utf8.count == 43, let bytes = Base64URL.decode(id), bytes.count == 32 else { return nil }
        return Hex.encode(SHA256.hash(data: bytes))
    }
}
