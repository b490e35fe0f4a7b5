/// A warning about a prepared message: something the sender may want to change before sending.
public struct MessageWarning: Codable, Equatable, Sendable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// One message made ready for one destination: the text with its opt-out line, the line and
/// the rule that chose it, how it is encoded, and what the sender should know.
public struct PreparedMessage: Equatable, Sendable {
    public var text: String
    public var line: OptOutLine
    public var encoding: SMSEncoding
    public var warnings: [MessageWarning]
}

/// What a company's message rules make of a text for each destination; the caller issues the
/// links (or placeholders) and says which numbers take replies.
public struct MessagePreparation: Sendable {
    public var text: String
    public var purpose: Purpose
    public var rules: MessageRules
    /// The company's language, for destinations whose country has none Stoplink speaks.
    public var defaultLanguage: String
    /// The company's numbers that receive STOP replies (E.164 or short codes).
    public var replyNumbers: [String]
    /// The base of the company's links as written in messages, to spot a link already in the text.
    public var linkBase: String

    public init(text: String, purpose: Purpose, rules: MessageRules, defaultLanguage: String, replyNumbers: [String], linkBase: String) {
        self.text = text
        self.purpose = purpose
        self.rules = rules
        self.defaultLanguage = defaultLanguage
        self.replyNumbers = replyNumbers
        self.linkBase = Self.display(linkBase, short: rules.shortLinks)
    }

    /// Whether messages of this purpose get a line, and so a link per recipient.
    public var wantsLine: Bool { rules.purposes.contains(purpose) }

    /// Whether a destination can reply STOP: the company has a long number with its calling code.
    public func takesReplies(region: String?) -> Bool {
        guard let code = region.flatMap(PhoneMetadata.callingCode(ofRegion:)) else { return false }
        return replyNumbers.contains { $0.hasPrefix("+\(code)") }
    }

    /// The message for `phone`; `link` is its short link as written (nil when it has none).
    public func prepare(for phone: PhoneNumber, link: String?) -> PreparedMessage {
        let region = PhoneMetadata.region(ofE164: phone.e164)
        let language = Language.ofCountry(region) ?? defaultLanguage
        let line = OptOutLine.choose(
            rules: rules, purpose: purpose, country: region, language: language, takesReplies: takesReplies(region: region),
            link: link ?? ""
        )
        let final = line.text.map { text + "\n" + $0 } ?? text
        let encoding = SMSEncoding(final)
        var warnings: [MessageWarning] = []
        if line.text != nil, OptOutLine.alreadyPresent(in: text, linkBase: linkBase) {
            warnings.append(MessageWarning(code: "opt_out_already_present", message: "the text already seems to carry an opt-out instruction"))
        }
        if let culprit = encoding.firstNonGSM {
            warnings.append(MessageWarning(
                code: "ucs2",
                message: "\"\(culprit.character)\" at position \(culprit.position) is not in GSM-7: the message is sent as UCS-2 (70 characters a part)"
            ))
        }
        let alone = SMSEncoding(text)
        if encoding.segments > alone.segments {
            warnings.append(MessageWarning(
                code: "extra_segment", message: "the opt-out line takes the message from \(alone.segments) to \(encoding.segments) parts"
            ))
        }
        return PreparedMessage(text: final, line: line, encoding: encoding, warnings: warnings)
    }

    /// A link as written in a message: without its scheme when the company wants short messages.
    public static func display(_ url: String, short: Bool) -> String {
        guard short else { return url }
        for scheme in ["https://", "http://"] where url.hasPrefix(scheme) { return String(url.dropFirst(scheme.count)) }
        return url
    }
}
