import Testing
@testable import StoplinkCore

@Suite("Page language")
struct LanguageTests {
    @Test("?lang= wins over the browser and the company")
    func queryWins() {
        let query = "ru"

        let language = Language.choose(query: query, acceptLanguage: "fr, de", companyDefault: "es")

        #expect(language == "ru")
    }

    @Test("?lang= is read by its primary tag, in any case")
    func queryPrimaryTag() {
        let query = "NL-be"

        let language = Language.choose(query: query, acceptLanguage: "fr", companyDefault: "es")

        #expect(language == "nl")
    }

    @Test("an unsupported ?lang= falls through to Accept-Language")
    func unsupportedQuery() {
        let query = "xx"

        let language = Language.choose(query: query, acceptLanguage: "de-AT", companyDefault: "es")

        #expect(language == "de")
    }

    @Test("Accept-Language is read by quality, not by order", arguments: [
        ("fr;q=0.5, nl-BE;q=0.9", "nl"),
        ("ja, es;q=0.2, fr;q=0.8", "fr"),
        ("de, fr", "de"),
        ("fr;q=0.7, de;q=0.7", "fr"),
        ("en-GB,en;q=0.9,ru;q=0.8", "en"),
        ("zh-CN, ru-RU;q=0.6", "ru"),
    ])
    func qualityOrder(header: String, expected: String) {
        let acceptLanguage = header

        let language = Language.choose(query: nil, acceptLanguage: acceptLanguage, companyDefault: "es")

        #expect(language == expected)
    }

    @Test("q=0 means not this language", arguments: ["nl;q=0, fr;q=0.1", "nl;q=0.0,fr;q=0.1", "fr;q=0.1, nl;q=0"])
    func qZeroExcluded(header: String) {
        let acceptLanguage = header

        let language = Language.choose(query: nil, acceptLanguage: acceptLanguage, companyDefault: "es")

        #expect(language == "fr")
    }

    @Test("a browser in only unsupported or refused languages gets the company default", arguments: ["ja, zh;q=0.9", "nl;q=0", "", "*"])
    func unsupportedBrowser(header: String) {
        let acceptLanguage = header

        let language = Language.choose(query: nil, acceptLanguage: acceptLanguage, companyDefault: "de")

        #expect(language == "de")
    }

    @Test("with nothing to go on, English")
    func nothing() {
        let nothing: String? = nil

        let language = Language.choose(query: nothing, acceptLanguage: nothing, companyDefault: nothing)

        #expect(language == "en")
    }

    @Test("an unsupported company default gives English")
    func unsupportedDefault() {
        let companyDefault = "ja"

        let language = Language.choose(query: nil, acceptLanguage: "zh", companyDefault: companyDefault)

        #expect(language == "en")
    }

    @Test("at least the six promised languages are supported")
    func supportedList() {
        let promised = ["en", "es", "fr", "de", "nl", "ru"]

        let matches = promised.map(Language.supportedTag)

        #expect(matches == promised.map(Optional.some))
    }
}
