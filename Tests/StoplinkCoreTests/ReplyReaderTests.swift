import StoplinkCore
import Testing

@Suite("Reading STOP replies")
struct ReplyReaderTests {
    static let reader = ReplyReader()

    static let table: [(String, ReplyIntent)] = [
        // English keywords, any case, spacing and punctuation
        ("STOP", .optOut(.marketing)), ("stop", .optOut(.marketing)), ("Stop.", .optOut(.marketing)),
        ("  stop!!  ", .optOut(.marketing)), ("\"STOP\"", .optOut(.marketing)), ("Stop\n", .optOut(.marketing)),
        ("UNSUBSCRIBE", .optOut(.marketing)), ("Cancel", .optOut(.marketing)), ("END", .optOut(.marketing)),
        ("quit", .optOut(.marketing)), ("REVOKE", .optOut(.marketing)), ("OPTOUT", .optOut(.marketing)),
        ("OPT OUT", .optOut(.marketing)), ("opt-out", .optOut(.marketing)), ("Opt out.", .optOut(.marketing)),
        ("ＳＴＯＰ", .optOut(.marketing)), ("Stop please", .optOut(.marketing)), ("UNSUB", .optOut(.marketing)),
        // STOPALL
        ("STOPALL", .optOut(.all)), ("stop all", .optOut(.all)), ("Stop-all", .optOut(.all)), ("STOP ALL!", .optOut(.all)),
        // misspellings at one edit
        ("TSOP", .optOut(.marketing)), ("SOTP", .optOut(.marketing)), ("STPO", .optOut(.marketing)),
        ("STOOP", .optOut(.marketing)), ("SSTOP", .optOut(.marketing)), ("sttop", .optOut(.marketing)),
        // other languages
        ("ARRET", .optOut(.marketing)), ("Arrêt", .optOut(.marketing)), ("arrêter", .optOut(.marketing)),
        ("STOPP", .optOut(.marketing)), ("Abmelden", .optOut(.marketing)), ("AFMELDEN", .optOut(.marketing)),
        ("uitschrijven", .optOut(.marketing)), ("BAJA", .optOut(.marketing)), ("Alto", .optOut(.marketing)),
        ("PARAR", .optOut(.marketing)), ("Sair", .optOut(.marketing)), ("CANCELLA", .optOut(.marketing)),
        ("СТОП", .optOut(.marketing)), ("стоп", .optOut(.marketing)), ("ОТПИСКА", .optOut(.marketing)),
        ("Отписаться", .optOut(.marketing)), ("désinscrire", .optOut(.marketing)), ("Abbestellen", .optOut(.marketing)),
        // opt back in
        ("START", .optIn), ("start", .optIn), ("UNSTOP", .optIn), ("Yes", .optIn), ("YES!", .optIn), ("oui", .optIn),
        ("JA", .optIn), ("Sí", .optIn), ("SIM", .optIn), ("Да", .optIn), ("aanmelden", .optIn), ("Anmelden", .optIn),
        ("ALTA", .optIn), ("Subscribe", .optIn),
        // help
        ("HELP", .help), ("help?", .help), ("INFO", .help), ("Aide", .help), ("HILFE", .help), ("ayuda", .help),
        ("Ajuda", .help), ("aiuto", .help), ("Помощь", .help), ("hulp", .help),
        // an opt-out word among other words
        ("Stop texting me please", .unclearOptOut), ("please remove me from this list", .unclearOptOut),
        ("I want to unsubscribe", .unclearOptOut), ("don't text me anymore", .unclearOptOut),
        ("Do not text this number", .unclearOptOut), ("no more texts thanks", .unclearOptOut),
        ("Take me off your list", .unclearOptOut), ("please STOP sending these", .unclearOptOut),
        ("leave me alone", .unclearOptOut), ("Bitte abmelden danke", .unclearOptOut), ("стоп спам", .unclearOptOut),
        ("Quiero darme de baja", .unclearOptOut), ("stop stop stop", .unclearOptOut), ("opt out of all this", .unclearOptOut),
        // anything else
        ("", .ignored), ("   ", .ignored), ("Thanks!", .ignored), ("What time do you open?", .ignored),
        ("SHOP", .ignored), ("STEP", .ignored), ("stopwatch", .ignored), ("Nonstop deals?", .ignored),
        ("ok", .ignored), ("👍", .ignored), ("Who is this?", .ignored), ("Quite the ending", .ignored),
        ("start stop", .unclearOptOut), ("12345", .ignored),
    ]

    @Test("A table of replies in many languages", arguments: table)
    func reads(text: String, expected: ReplyIntent) {
        let reader = Self.reader

        let intent = reader.read(text)

        #expect(intent == expected, "\(text)")
    }

    @Test("The table covers at least 80 texts")
    func tableSize() {
        #expect(Self.table.count >= 80)
    }

    @Test("A company's own words are read like the built-in ones")
    func companyWords() {
        let reader = ReplyReader(extraOptOut: ["Genoeg"], extraOptIn: ["Weer aan"], extraHelp: ["Vraag"])

        #expect(reader.read("GENOEG") == .optOut(.marketing))
        #expect(reader.read("weer aan!") == .optIn)
        #expect(reader.read("vraag") == .help)
        #expect(reader.read("nou genoeg hoor") == .unclearOptOut)
        #expect(Self.reader.read("GENOEG") == .ignored)
    }
}
