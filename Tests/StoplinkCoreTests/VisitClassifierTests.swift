import Testing
@testable import StoplinkCore

@Suite("Visit classifier")
struct VisitClassifierTests {
    static let people = [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
    ]

    static let bots = [
        "WhatsApp/2.23.20.0",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "curl/8.4.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "python-requests/2.31.0",
        "Go-http-client/1.1",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
    ]

    @Test("a phone browser is a person", arguments: people)
    func human(agent: String) {
        let userAgent = agent

        let kind = VisitClassifier.classify(method: "GET", userAgent: userAgent, purposeHints: [])

        #expect(kind == .human)
    }

    @Test("link previewers, scanners and scripts are bots", arguments: bots)
    func bot(agent: String) {
        let userAgent = agent

        let kind = VisitClassifier.classify(method: "GET", userAgent: userAgent, purposeHints: [])

        #expect(kind == .bot)
    }

    @Test("a prefetch or prerender hint marks a bot even with a phone's agent", arguments: [
        ["prefetch;prerender"], ["prefetch"], ["Prefetch"], ["", "preview"], ["prerender"],
    ])
    func prefetch(hints: [String]) {
        let purposeHints = hints

        let kind = VisitClassifier.classify(method: "GET", userAgent: Self.people[0], purposeHints: purposeHints)

        #expect(kind == .bot)
    }

    @Test("an unrelated purpose hint leaves a person a person")
    func unrelatedHint() {
        let purposeHints = ["navigate"]

        let kind = VisitClassifier.classify(method: "GET", userAgent: Self.people[0], purposeHints: purposeHints)

        #expect(kind == .human)
    }

    @Test("HEAD is never a person reading the page", arguments: ["HEAD", "head"])
    func head(method: String) {
        let requestMethod = method

        let kind = VisitClassifier.classify(method: requestMethod, userAgent: Self.people[0], purposeHints: [])

        #expect(kind == .bot)
    }

    @Test("a missing or empty user agent is a bot", arguments: [nil, ""] as [String?])
    func missingAgent(agent: String?) {
        let userAgent = agent

        let kind = VisitClassifier.classify(method: "GET", userAgent: userAgent, purposeHints: [])

        #expect(kind == .bot)
    }
}
