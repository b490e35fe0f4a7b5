/// Tells a person's visit from a link-preview bot, a security scanner or a prefetch.
public enum VisitKind: String, Sendable {
    case human
    case bot
}

public enum VisitClassifier {
    /// `userAgent` (against `BotAgents`) and the prefetch hints `Sec-Purpose`, `Purpose`,
    /// `X-Purpose` and `X-Moz`; a `HEAD` request is never a person reading the page. Unknown
    /// agents count as people; their visits never change consent anyway.
    public static func classify(method: String, userAgent: String?, purposeHints: [String]) -> VisitKind {
        if method.uppercased() == "HEAD" { return .bot }
        for hint in purposeHints {
            let value = hint.lowercased()
            if value.contains("prefetch") || value.contains("preview") || value.contains("prerender") {
                return .bot
            }
        }
        guard let agent = userAgent?.lowercased(), !agent.isEmpty else { return .bot }
        let isBot = BotAgents.prefixes.contains(where: agent.hasPrefix) || BotAgents.fragments.contains(where: agent.contains)
        return isBot ? .bot : .human
    }
}
