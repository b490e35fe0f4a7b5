import Foundation
import StoplinkCore
import Testing

@Suite("Twilio signatures, business days, languages of countries")
struct TwilioSignatureTests {
    static let parameters = [
        ("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"), ("Digits", "1234"), ("From", "+14158675309"), ("To", "+18005551212"),
    ]

    @Test("Twilio's published example")
    func knownAnswer() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2"

        let signature = TwilioSignature.compute(authToken: "12345", url: url, parameters: Self.parameters.reversed())

        #expect(signature == "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        #expect(TwilioSignature.isValid(signature, authToken: "12345", url: url, parameters: Self.parameters))
        #expect(!TwilioSignature.isValid(signature, authToken: "54321", url: url, parameters: Self.parameters))
        #expect(!TwilioSignature.isValid(signature, authToken: "12345", url: url, parameters: Self.parameters + [("Body", "x")]))
    }

    @Test("The URL is accepted with and without its default port")
    func defaultPort() {
        let withPort = "https://stp.example:443/inbound/twilio"
        let signature = TwilioSignature.compute(authToken: "t", url: withPort, parameters: [("Body", "STOP")])

        #expect(TwilioSignature.isValid(signature, authToken: "t", url: "https://stp.example/inbound/twilio", parameters: [("Body", "STOP")]))
        #expect(!TwilioSignature.isValid(signature, authToken: "t", url: "https://stp.example:8443/inbound/twilio", parameters: [("Body", "STOP")]))
    }

    @Test("Ten business days skip weekends")
    func businessDays() {
        let friday = Date(timeIntervalSince1970: 1_763_719_200)  // Friday 2025-11-21 10:00 UTC

        let deadline = BusinessDays.add(10, to: friday)

        #expect(deadline == friday.addingTimeInterval(14 * 86_400))
    }

    @Test("A number's country tells the reply language", arguments: [("NL", "nl"), ("BE", "fr"), ("MX", "es"), ("RU", "ru"), ("AT", "de"), ("US", nil)] as [(String, String?)])
    func countryLanguage(region: String, language: String?) {
        #expect(Language.ofCountry(region) == language)
    }
}
