/// Tells a person's visit from a link-preview bot, a security scanner or a prefetch.
public enum VisitKind: String, Sendable {
    case human
    case bot
}

public enum VisitClassifier {
    /// Lowercase fragments of the user agents of preview fetchers, mail and SMS scanners and
    /// crawlers. Unknown agents count as people; their visits never change consent anyway.
    static let botFragments = [
        "bot", "crawler", "spider", "slurp", "facebookexternalhit", "facebookcatalog", "whatsapp",
        "telegram", "slack", "discord", "skypeuripreview", "linkedin", "embedly", "quora link preview",
        "outbrain", "pinterest", "vkshare", "w3c_validator", "redditbot", "applebot", "iframely",
        "preview", "scanner", "proofpoint", "mimecast", "barracuda", "safelinks", "urldefense",
        "forcepoint", "fortiguard", "paloalto", "zscaler", "symantec", "trendmicro", "sophos",
        "curl/", "wget/", "python-requests", "python-urllib", "aiohttp", "httpx", "go-http-client",
        "java/", "okhttp", "libwww-perl", "apache-httpclient", "node-fetch", "axios/", "headlesschrome",
        "lighthouse", "google-inspectiontool", "googleother", "google-read-aloud", "chrome-lighthouse",
    ]

    /// `userAgent` and the prefetch hints `Sec-Purpose`, `Purpose`, `X-Purpose` and `X-Moz`;
    /// a `HEAD` request is never a person reading the page.
    public static func classify(method: String, userAgent: String?, purposeHints: [String]) -> VisitKind {
        if method.uppercased() == "HEAD" { return .bot }
        for hint in purposeHints {
            let value = hint.lowercased()
            if value.contains("prefetch") || value.contains("preview") || value.contains("prerender") {
                return .bot
            }
        }
        guard let agent = userAgent?.lowercased(), !agent.isEmpty else { return .bot }
        return botFragments.contains(where: agent.contains) ? .bot : .human
    }
}
