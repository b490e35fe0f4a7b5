import Testing
@testable import StoplinkCore

@Suite("Free text")
struct FreeTextTests {
    @Test("surrounding whitespace is trimmed")
    func trims() {
        let typed = "  \t too many messages \n "

        let cleaned = FreeText.clean(typed)

        #expect(cleaned == "too many messages")
    }

    @Test("text is stored in NFC")
    func normalisesToNFC() {
        let decomposed = "caf" + "e\u{301}"

        let cleaned = FreeText.clean(decomposed)

        #expect(cleaned == "café")
        #expect(cleaned?.unicodeScalars.map(\.value) == [0x63, 0x61, 0x66, 0xE9])
    }

    @Test("control characters are removed and line breaks become spaces")
    func removesControls() {
        let typed = "a\u{0}b\u{7}c\u{1B}[31md\u{7F}e\nf\r\ng\th"

        let cleaned = FreeText.clean(typed)

        #expect(cleaned == "abc[31mde f  g h")
    }

    @Test("bidirectional controls are removed", arguments: [
        0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x061C,
    ] as [UInt32])
    func removesBidiControls(codePoint: UInt32) throws {
        let control = try #require(Unicode.Scalar(codePoint))
        let typed = "abc" + String(Character(control)) + "fdp.exe"

        let cleaned = FreeText.clean(typed)

        #expect(cleaned == "abcfdp.exe")
    }

    @Test("other invisible format characters are removed")
    func removesFormatCharacters() {
        let typed = "\u{FEFF}no\u{200B}thanks\u{2060}"

        let cleaned = FreeText.clean(typed)

        #expect(cleaned == "nothanks")
    }

    @Test("text is cut to 500 characters, not bytes or scalars")
    func limitCountsCharacters() throws {
        let family = "👨‍👩‍👧"
        let typed = String(repeating: family, count: 600)

        let cleaned = try #require(FreeText.clean(typed))

        #expect(cleaned.count == 500)
        #expect(cleaned == String(repeating: family, count: 500))
    }

    @Test("text at the limit is kept whole, and a custom limit is honoured")
    func limitBoundary() {
        let exactly = String(repeating: "é", count: 500)

        let kept = FreeText.clean(exactly)
        let short = FreeText.clean("abcdef", limit: 3)

        #expect(kept == exactly)
        #expect(short == "abc")
    }

    @Test("emoji sequences joined with ZWJ are kept")
    func keepsZWJ() {
        let typed = "stop 👩🏽‍💻 and 🏳️‍🌈"

        let cleaned = FreeText.clean(typed)

        #expect(cleaned == typed)
        #expect(cleaned?.unicodeScalars.contains("\u{200D}") == true)
    }

    @Test("emoji tag sequences keep their tags")
    func keepsEmojiTagSequences() {
        // England's flag: a black flag, the tag letters "gbeng" and a cancel tag (all format characters).
        let england = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}"
        let typed = "go \(england)"

        let cleaned = FreeText.clean(typed)

        #expect(cleaned == typed)
    }

    @Test("nothing left after cleaning is nil", arguments: ["", "   ", "\n\t\r\n", "\u{202E}", "\u{0}\u{7}", "\u{00A0}\u{3000}"])
    func emptyIsNil(typed: String) {
        let input = typed

        let cleaned = FreeText.clean(input)

        #expect(cleaned == nil)
    }

    @Test("ordinary text in other scripts is untouched")
    func otherScripts() {
        let typed = "слишком много сообщений — 太多了 — كثير جدا"

        let cleaned = FreeText.clean(typed)

        #expect(cleaned == typed)
    }
}
