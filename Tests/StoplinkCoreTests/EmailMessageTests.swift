import Foundation
import StoplinkCore
import Testing

@Suite("Email messages: headers, encoding, dot-stuffing, no header injection")
struct EmailMessageTests {
    static let date = Date(timeIntervalSince1970: 1_750_000_000)

    func message(subject: String = "Opt-out", body: String = "Hello", to: String = "ops@acme.example") -> EmailMessage {
        EmailMessage(from: "stoplink@stp.example", to: to, subject: subject, body: body, date: Self.date, messageID: "m1@stp.example")
    }

    /// The header lines of a rendered message, unfolded, by name.
    func headers(_ rendered: String) throws -> [String: String] {
        let head = try #require(rendered.components(separatedBy: "\r\n\r\n").first)
        let unfolded = head.replacingOccurrences(of: "\r\n ", with: " ")
        return Dictionary(uniqueKeysWithValues: unfolded.components(separatedBy: "\r\n").map { line in
            let parts = line.split(separator: ":", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        })
    }

    @Test("an ASCII message has every header, in plain text, with CRLF line ends")
    func plain() throws {
        let rendered = try message().rendered()

        let fields = try headers(rendered)
        #expect(fields["Date"] == "Sun, 15 Jun 2025 15:06:40 +0000")
        #expect(fields["From"] == "<stoplink@stp.example>")
        #expect(fields["To"] == "<ops@acme.example>")
        #expect(fields["Subject"] == "Opt-out")
        #expect(fields["Message-ID"] == "<m1@stp.example>")
        #expect(fields["MIME-Version"] == "1.0")
        #expect(fields["Content-Type"] == "text/plain; charset=utf-8")
        #expect(fields["Content-Transfer-Encoding"] == "quoted-printable")
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(rendered.hasSuffix("\r\n\r\nHello"))
    }

    @Test("a subject that is not ASCII is RFC 2047 base64 words of at most 75 characters that decode to it")
    func encodedSubject() throws {
        let subject = "Afmelding: Zoë wil geen berichten meer — 🚫 " + String(repeating: "é", count: 60)

        let encoded = EmailMessage.encodedHeaderText(subject)

        let words = encoded.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") && $0.count <= 75 })
        let decoded = try words.map { word in
            let payload = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            return try #require(Data(base64Encoded: String(payload)))
        }.reduce(Data(), +)
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
    }

    @Test("line breaks in a subject cannot start a header", arguments: [
        "Hi\r\nBcc: victim@evil.example", "Hi\nBcc: victim@evil.example", "Hi\rBcc: victim@evil.example",
        "Hi\u{2028}Bcc: victim@evil.example", "Hi\u{85}Bcc: victim@evil.example", "Hi\r\n\r\nbody",
    ])
    func subjectInjection(subject: String) throws {
        let rendered = try message(subject: subject).rendered()

        let head = try #require(rendered.components(separatedBy: "\r\n\r\n").first)
        let names = head.components(separatedBy: "\r\n").filter { !$0.hasPrefix(" ") }.map { $0.split(separator: ":").first.map(String.init) ?? "" }
        #expect(names == ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"])
        #expect(!head.components(separatedBy: "\r\n").contains { $0.hasPrefix("Bcc") })
    }

    @Test("an address with a line break, a second address or brackets is refused", arguments: [
        "ops@acme.example\r\nBcc: victim@evil.example", "ops@acme.example\nX: y", "a@b.example, c@d.example", "<a@b.example>",
        "a b@c.example", "a@b.example>\r\nBcc: x@y.example", "nobody", "a@localhost", "a@@b.example", "\"a\"@b.example",
    ])
    func addressInjection(address: String) {
        #expect(!EmailAddress.isValid(address))
        #expect(throws: EmailMessage.Problem.self) { try message(to: address).rendered() }
    }

    @Test("plain addresses are accepted", arguments: ["ops@acme.example", "first.last+stoplink@mail.acme.co.uk", "a@b.example"])
    func goodAddress(address: String) {
        #expect(EmailAddress.isValid(address))
    }

    @Test("the body is quoted-printable: 7-bit lines of at most 76 characters that decode to the text")
    func quotedPrintable() throws {
        let body = "Zoë said: “stop” = enough\nnext line ends with a space \n" + String(repeating: "ü", count: 80) + "\n.\n"

        let encoded = QuotedPrintable.encode(body)

        let lines = encoded.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.count <= 76 })
        #expect(encoded.utf8.allSatisfy { $0 < 0x80 })
        #expect(!encoded.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(lines[1] == "next line ends with a space=20")
        #expect(Self.decodeQuotedPrintable(encoded) == body.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test("a line break in the body stays in the body and is sent as CRLF")
    func bodyBreaks() throws {
        let rendered = try message(body: "one\r\ntwo\rthree\nSubject: not a header").rendered()

        #expect(rendered.hasSuffix("\r\n\r\none\r\ntwo\r\nthree\r\nSubject: not a header"))
        #expect(try headers(rendered)["Subject"] == "Opt-out")
    }

    @Test("DATA doubles a leading dot, uses CRLF and ends with a lone dot")
    func dotStuffing() {
        let stuffed = SMTPData.stuffed("Subject: x\r\n\r\n.\n..two\nmiddle.dot\r.\r\nend")

        #expect(stuffed == "Subject: x\r\n\r\n..\r\n...two\r\nmiddle.dot\r\n..\r\nend\r\n.\r\n")
    }

    @Test("SMTP replies of one and many lines, and what EHLO offers")
    func replies() throws {
        var reader = SMTPReply.Reader()

        #expect(try reader.add("250-mail.example Hello") == nil)
        #expect(try reader.add("250-STARTTLS") == nil)
        let reply = try #require(try reader.add("250 AUTH PLAIN login"))
        let single = try reader.add("550 5.1.1 no such user")

        #expect(reply.code == 250)
        #expect(reply.extensions["STARTTLS"] == [])
        #expect(reply.extensions["AUTH"] == ["PLAIN", "LOGIN"])
        #expect(single == SMTPReply(code: 550, lines: ["5.1.1 no such user"]))
        #expect(single?.isPermanentFailure == true)
        #expect(throws: SMTPReply.Reader.Problem.self) { try reader.add("hello") }
        var mixed = SMTPReply.Reader()
        _ = try mixed.add("250-first")
        #expect(throws: SMTPReply.Reader.Problem.self) { try mixed.add("354 second") }
    }

    @Test("SMTP URLs: schemes, ports, credentials, STARTTLS and certificate options")
    func urls() throws {
        let plain = try SMTPSettings.parse("smtp://mail.example")
        let full = try SMTPSettings.parse("smtp://user%40acme:p%3Ass@mail.example:587?starttls=require")
        let implicit = try SMTPSettings.parse("smtps://u:p@127.0.0.1?tls_verify=false")

        #expect(plain == SMTPSettings(host: "mail.example", port: 25, security: .opportunistic))
        #expect(full == SMTPSettings(host: "mail.example", port: 587, security: .requireStartTLS, username: "user@acme", password: "p:ss"))
        #expect(implicit == SMTPSettings(host: "127.0.0.1", port: 465, security: .implicitTLS, username: "u", password: "p", verifyCertificate: false))
        #expect(full.redacted == "smtp://user@acme:***@mail.example:587")
        for bad in ["http://mail.example", "smtp://", "smtp://mail.example?starttls=maybe", "smtps://h.example?starttls=require", "smtp://u@h.example", "mail.example"] {
            #expect(throws: SMTPURLProblem.self) { try SMTPSettings.parse(bad) }
        }
    }

    @Test("a masked address keeps the first character and the domain")
    func masked() {
        #expect(EmailAddress.masked("ops@acme.example") == "o•••@acme.example")
    }

    static func decodeQuotedPrintable(_ text: String) -> String {
        var bytes: [UInt8] = []
        let chars = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
        var index = 0
        while index < chars.count {
            if chars[index] == UInt8(ascii: "="), index + 2 < chars.count + 0,
               let value = UInt8(String(decoding: chars[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(chars[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
