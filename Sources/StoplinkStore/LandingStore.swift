import Foundation
import StoplinkCore

/// What the recipient's page needs about a code.
public struct Landing: Sendable, Equatable {
    public var link: Link
    public var company: Company
    /// The number's current suppression at the company, if any.
    public var suppression: Suppression?
    /// Wrong numbers typed on the link since the lockout window began.
    public var wrongNumbers: Int

    public init(link: Link, company: Company, suppression: Suppression?, wrongNumbers: Int) {
        self.link = link
        self.company = company
        self.suppression = suppression
        self.wrongNumbers = wrongNumbers
    }
}

/// The one read behind every recipient page: a burst of taps after a send is mostly these.
public protocol LandingStore: Sendable {
    /// The link of `code` (stored form), its company, the number's suppression and the wrong
    /// numbers typed on the link after `wrongNumbersSince`, read together; nil when the code
    /// does not exist. Each part is what the single-purpose reads (`link(code:)`,
    /// `company(id:)`, `suppression(companyID:phone:)`, `failedAttempts(linkID:since:)`) answer.
    func landing(code: String, wrongNumbersSince: Date) async throws -> Landing?
}
