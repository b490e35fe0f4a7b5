import StoplinkStore
import Synchronization

/// The recipient's form for one company and language, rendered once and filled per request.
///
/// A tap on a link shows the same page as every other tap on that company's links but for the
/// masked number, the form's action and token, and the order of the reasons. The template is
/// rendered once with markers in their place; a request copies the text between the markers
/// and writes its own values, escaped as the template would. Before a compiled form is used it
/// is checked against a full render of the same values: any difference (a template whose
/// shape this does not follow) and the page is rendered in full on every request instead.
struct CompiledForm: Sendable {
    enum Part: Sendable, Equatable {
        case text(String)
        case token, action, masked, reasons
    }

    let parts: [Part]
    /// Each offered reason's rendered choice, unchecked, in offered order.
    let reasons: [String]
    /// Where `other` is among `reasons`: always shown last.
    let other: Int?

    static let marker: Character = "\u{1}"
    static let names: [String: Part] = ["T": .token, "A": .action, "M": .masked, "R": .reasons]

    /// Splits `skeleton` at its markers (`\u{1}T\u{1}`, ...); nil when a marker is unknown or
    /// a text holds a stray marker character.
    static func parts(of skeleton: String) -> [Part]? {
        let pieces = skeleton.split(separator: marker, omittingEmptySubsequences: false)
        guard pieces.count % 2 == 1 else { return nil }
        var parts: [Part] = []
        for (index, piece) in pieces.enumerated() {
            if index % 2 == 0 {
                if !piece.isEmpty { parts.append(.text(String(piece))) }
            } else {
                guard let part = names[String(piece)] else { return nil }
                parts.append(part)
            }
        }
        return parts
    }

    /// The page with these values; `order` lists indexes of `reasons` (`other` is put last).
    func fill(token: String, action: String, masked: String, order: [Int]) -> String {
        var page = ""
        page.reserveCapacity(parts.reduce(0) { total, part in
            if case .text(let text) = part { return total + text.utf8.count }
            return total
        } + reasons.reduce(0) { $0 + $1.utf8.count } + 256)
        for part in parts {
            switch part {
            case .text(let text): page += text
            case .token: Self.escape(token, into: &page)
            case .action: Self.escape(action, into: &page)
            case .masked: Self.escape(masked, into: &page)
            case .reasons:
                for index in order where index != other { page += reasons[index] }
                if let other { page += reasons[other] }
            }
        }
        return page
    }

    /// The reasons in random order, `other` last (added by `fill`).
    func shuffledOrder() -> [Int] {
        reasons.indices.filter { $0 != other }.shuffled()
    }

    /// HTML escaping as the templates' `{{value}}` does it.
    static func escape(_ value: String, into page: inout String) {
        for character in value {
            switch character {
            case "<": page += "&lt;"
            case ">": page += "&gt;"
            case "&": page += "&amp;"
            case "\"": page += "&quot;"
            case "'": page += "&#39;"
            default: page.append(character)
            }
        }
    }
}

/// Compiled forms by company and language. An entry holds the company as it was compiled and
/// is used only while the company read for the request is equal to it, so a changed setting
/// shows at once. At most `capacity` entries: a full cache starts over.
final class CompiledFormCache: Sendable {
    private struct Entry {
        let company: Company
        /// nil: this form cannot be compiled and is rendered in full.
        let form: CompiledForm?
    }

    let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    init(capacity: Int = 256) {
        self.capacity = capacity
    }

    /// The compiled form of `company` in `language`, compiling it with `compile` when needed;
    /// nil when it cannot be compiled.
    func form(company: Company, language: String, compile: () throws -> CompiledForm?) rethrows -> CompiledForm? {
        let key = "\(company.id)\u{1}\(language)"
        if let entry = entries.withLock({ $0[key] }), entry.company == company { return entry.form }
        let form = try compile()
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll() }
            entries[key] = Entry(company: company, form: form)
        }
        return form
    }
}
