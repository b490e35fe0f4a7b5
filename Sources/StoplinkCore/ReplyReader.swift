import Foundation

/// What an inbound SMS reply asks for.
public enum ReplyIntent: Equatable, Sendable {
    case optOut(OptOutScope)
    case optIn
    case help
    /// An opt-out word among other words ("stop texting me please"): applied or queued for
    /// review, as the company's `inbound_policy` says.
    case unclearOptOut
    case ignored
}

/// The keyword lists, per language. A whole message that is one of these words (case, accents,
/// surrounding spaces and punctuation ignored) is read as that word.
public enum ReplyKeywords {
    public static let optOutAll: [String: [String]] = [
        "en": ["stopall", "stop all", "stop everything"],
    ]
    public static let optOut: [String: [String]] = [
        "en": ["stop", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "opt out", "stop please", "please stop", "remove", "unsub"],
        "fr": ["arret", "arreter", "stop sms", "desabonner", "desinscrire", "desinscription"],
        "de": ["stopp", "abmelden", "abbestellen", "austragen"],
        "nl": ["afmelden", "uitschrijven"],
        "es": ["baja", "alto", "cancelar", "parar de recibir"],
        "pt": ["parar", "sair", "cancelar inscricao"],
        "it": ["cancella", "cancellami", "basta"],
        "ru": ["стоп", "отписка", "отписаться", "отписать"],
    ]
    public static let optIn: [String: [String]] = [
        "en": ["start", "unstop", "yes", "subscribe", "resume"],
        "fr": ["oui", "reprendre", "inscrire"],
        "de": ["ja", "anmelden", "starten"],
        "nl": ["ja", "aanmelden"],
        "es": ["si", "alta", "iniciar"],
        "pt": ["sim", "voltar"],
        "it": ["si", "riprendi"],
        "ru": ["да", "старт", "подписаться"],
    ]
    public static let help: [String: [String]] = [
        "en": ["help", "info"],
        "fr": ["aide"],
        "de": ["hilfe"],
        "nl": ["hulp"],
        "es": ["ayuda"],
        "pt": ["ajuda"],
        "it": ["aiuto"],
        "ru": ["помощь", "инфо"],
    ]
    /// Words or phrases that mean "stop" inside a longer message.
    public static let optOutInText: [String] = [
        "stop", "unsubscribe", "opt out", "optout", "remove me", "take me off", "dont text", "do not text", "no more texts",
        "no more messages", "leave me alone", "stop texting", "stop messaging", "stop sending", "arret", "stopp",
        "abmelden", "afmelden", "baja", "parar", "cancella", "стоп", "отписка", "отпишите",
    ]

    /// STOP mistyped by one edit people actually make: two neighbours swapped, or a letter doubled.
    /// (Replacing a letter is not counted: SHOP and STEP are words of their own.)
    static let stopMisspellings: Set<String> = {
        let letters = Array("stop")
        var words: Set<String> = []
        for index in 0..<(letters.count - 1) {
            var swapped = letters
            swapped.swapAt(index, index + 1)
            words.insert(String(swapped))
        }
        for index in letters.indices {
            var doubled = letters
            doubled.insert(letters[index], at: index)
            words.insert(String(doubled))
        }
        words.remove("stop")
        return words
    }()
}

/// Reads an inbound reply. Pure: the company's extra words come in, an intent goes out.
public struct ReplyReader: Sendable {
    private let optOutAll: Set<String>
    private let optOut: Set<String>
    private let optIn: Set<String>
    private let help: Set<String>
    private let inText: [String]

    /// `extra*`: a company's own words, read like the built-in ones.
    public init(extraOptOut: [String] = [], extraOptIn: [String] = [], extraHelp: [String] = []) {
        func words(_ table: [String: [String]], _ extra: [String]) -> Set<String> {
            Set((table.values.flatMap { $0 } + extra).map(ReplyReader.normalise))
        }
        optOutAll = words(ReplyKeywords.optOutAll, [])
        optOut = words(ReplyKeywords.optOut, extraOptOut).union(ReplyKeywords.stopMisspellings)
        optIn = words(ReplyKeywords.optIn, extraOptIn)
        help = words(ReplyKeywords.help, extraHelp)
        inText = (ReplyKeywords.optOutInText + extraOptOut).map(ReplyReader.normalise)
    }

    public func read(_ text: String) -> ReplyIntent {
        let message = Self.normalise(text)
        if message.isEmpty { return .ignored }
        if optOutAll.contains(message) { return .optOut(.all) }
        if optOut.contains(message) { return .optOut(.marketing) }
        if optIn.contains(message) { return .optIn }
        if help.contains(message) { return .help }
        let padded = " \(message) "
        if inText.contains(where: { padded.contains(" \($0) ") }) { return .unclearOptOut }
        return .ignored
    }

    /// Lowercase, without accents, with punctuation as spaces and runs of spaces folded.
    public static func normalise(_ text: String) -> String {
        let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil).lowercased()
        var result = ""
        var lastWasSpace = true
        for character in folded {
            // Apostrophes join ("don't" → "dont"); other punctuation separates words.
            if character == "'" || character == "\u{2019}" { continue }
            if character.isLetter || character.isNumber {
                result.append(character)
                lastWasSpace = false
            } else if !lastWasSpace {
                result.append(" ")
                lastWasSpace = true
            }
        }
        return result.trimmingCharacters(in: .whitespaces)
    }
}
