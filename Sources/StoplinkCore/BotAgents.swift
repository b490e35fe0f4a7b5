/// The user agents of link previewers, mail and chat scanners, crawlers and scripts, kept as data
/// apart from the rule that reads them: when a new previewer shows up among human visits, add a
/// line here and its agent to the test table. Entries are lowercase.
enum BotAgents {
    /// Agents that start with one of these. Only here, not among the fragments, when a person's
    /// in-app browser may carry the same name later in its agent.
    static let prefixes = [
        "viber",
    ]

    /// Agents that contain one of these anywhere.
    static let fragments = [
        // the words crawlers, previewers and scanners call themselves
        "bot", "crawler", "spider", "slurp", "preview", "scanner",
        // chat, social and embedding services (their in-app browsers use other names)
        "facebookexternalhit", "facebookcatalog", "meta-external", "whatsapp", "telegrambot", "slack", "discord",
        "skypeuripreview", "kakaotalk-scrap", "tumblr/", "xing-contenttabreceiver", "mastodon/", "embedly",
        "iframely", "quora link preview", "outbrain", "pinterest", "vkshare", "w3c_validator", "redditbot",
        "applebot",
        // Outlook and Office fetch a link before the browser opens it (`ms-office; MSOffice 16`)
        "microsoft office", "ms-office", "msoffice",
        // Google's fetchers without "bot" in their names
        "mediapartners-google", "apis-google", "feedfetcher-google", "google-pagerenderer",
        "developers.google.com/+/web/snippet", "google-inspectiontool", "googleother", "google-read-aloud",
        "chrome-lighthouse", "lighthouse",
        // mail and web security gateways
        "proofpoint", "mimecast", "barracuda", "safelinks", "urldefense", "forcepoint", "fortiguard", "paloalto",
        "zscaler", "symantec", "trendmicro", "sophos",
        // scripts, HTTP libraries and headless browsers
        "curl/", "wget/", "python-requests", "python-urllib", "aiohttp", "httpx", "go-http-client", "java/",
        "okhttp", "libwww-perl", "apache-httpclient", "jakarta commons-httpclient", "node-fetch", "axios/",
        "http.rb/", "headlesschrome", "phantomjs", "puppeteer",
    ]
}
