import Testing
@testable import StoplinkCore

@Suite("Visit classifier")
struct VisitClassifierTests {
    /// Phone browsers and in-app browsers of chat apps: people reading the page.
    static let people = [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.0.0",
        "Mozilla/5.0 (Linux; U; Android 13; zh-cn; 2211133C Build/TKQ1.220905.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/109.0.5414.118 Mobile Safari/537.36 XiaoMi/MiuiBrowser/17.9.80614",
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        // Telegram's, KakaoTalk's and Instagram's in-app browsers: a person who tapped the link
        "Mozilla/5.0 (Linux; Android 7.1.2; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.193 Mobile Safari/537.36 Telegram-Android/11.4.3 (Samsung SM-G965N; Android 7.1.2; SDK 25; LOW)",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 KAKAOTALK 10.4.3",
        "Mozilla/5.0 (Linux; Android 14; SM-S921N; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/129.0 Mobile Safari/537.36 KAKAOTALK 10.8.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 320.0.0.0.0",
    ]

    /// Link previews of chat, social and mail apps, security scanners, crawlers and scripts, as
    /// they announce themselves.
    static let bots = [
        // chat and social previews
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Slack-ImgProxy (+https://api.slack.com/robots)",
        "Twitterbot/1.0",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (compatible; Meta-ExternalHit/1.1; +http://www.facebook.com/externalhit_uatext.php)",
        "meta-externalagent/1.1",
        "WhatsApp/2.23.20.0",
        "WhatsApp/2.19.258 A",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Viber",
        "Mozilla/5.0 (compatible; Linespider/1.1; +https://lin.ee/4dwXkTH)",
        "kakaotalk-scrap/1.0",
        "Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots",
        "Mozilla/5.0 (compatible; SnapURLPreview/1.0; +https://www.snapchat.com)",
        "Pinterest/0.2 (+http://www.pinterest.com/bot.html)",
        "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
        "Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)",
        "http.rb/2.2.2 (Mastodon/1.5.1; +https://example-masto-instance.org/)",
        "XING-contenttabreceiver/2.0",
        "Chatwork LinkPreview v1",
        "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
        "Iframely/1.3.1 (+https://iframely.com/docs/about) Atlassian",
        // iMessage, on its own and behind a Safari agent
        "facebookexternalhit/1.1 Facebot Twitterbot/1.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
        // Microsoft: Skype and Teams previews, Outlook and Office, Bing
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
        "Mozilla/4.0 (compatible; ms-office; MSOffice 16)",
        "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 10.0; WOW64; Trident/7.0; Microsoft Outlook 16.0.11328; ms-office; MSOffice 16)",
        "Microsoft Office/14.0 (Windows NT 6.1; Microsoft Outlook 14.0.5128; Pro; ms-office; MSOffice 14)",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) BingPreview/1.0b",
        "MicrosoftPreview/2.0; +https://aka.ms/MicrosoftPreview",
        // Google, Apple, Yahoo
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "AdsBot-Google (+http://www.google.com/adsbot.html)",
        "Mediapartners-Google",
        "APIs-Google (+https://developers.google.com/webmasters/APIs-Google.html)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/56.0.2924.87 Safari/537.36 Google-PageRenderer Google (+https://developers.google.com/+/web/snippet/)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.5735.179 Safari/537.36 (compatible; Google-Safety; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_1) AppleWebKit/600.2.5 (KHTML, like Gecko) Version/8.0.2 Safari/600.2.5 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        "Mozilla/5.0 (compatible; Yahoo Link Preview; https://help.yahoo.com/kb/mail/yahoo-link-preview-SLN23615.html)",
        // mail security gateways
        "Barracuda Sentinel (EE)",
        // scripts and headless browsers
        "curl/8.4.0",
        "Wget/1.20.3 (linux-gnu)",
        "python-requests/2.31.0",
        "Python/3.9 aiohttp/3.8.1",
        "Go-http-client/1.1",
        "Java/1.7.0_45",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36 Puppeteer",
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
