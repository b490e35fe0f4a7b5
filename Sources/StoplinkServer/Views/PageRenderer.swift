import Crypto
import Foundation
import Mustache
import StoplinkCore

/// Renders the recipient's pages from the Mustache templates and the locale string tables in
/// `Templates/`, with the stylesheet from `Public/` inlined (one request on a slow network).
public struct PageRenderer: Sendable {
    let library: MustacheLibrary
    /// The recipient's form per company and language, rendered once (`CompiledForm`).
    let compiledForms = CompiledFormCache()
    private let strings: [String: [String: String]]
    private let reasonLabels: [String: [Reason]]
    let stylesheet: String
    /// The page's Content-Security-Policy: no script at all; the one inline stylesheet by its hash.
    public let contentSecurityPolicy: String

    public struct Reason: Sendable, Decodable {
        public var key: String
        public var label: String
    }

    public init(resourcesDirectory: String) async throws {
        let root = URL(fileURLWithPath: resourcesDirectory)
        let templates = root.appendingPathComponent("Templates")
        library = try await MustacheLibrary(directory: templates.path)
        for name in ["form", "reason", "message"] where library.getTemplate(named: name) == nil {
            throw RendererError.missingTemplate(name)
        }
        var strings: [String: [String: String]] = [:]
        var reasonLabels: [String: [Reason]] = [:]
        for language in Language.supported {
            let file = templates.appendingPathComponent("locales/\(language).json")
            let table = try JSONDecoder().decode(LocaleTable.self, from: Data(contentsOf: file))
            strings[language] = table.strings
            reasonLabels[language] = table.reasons
        }
        self.strings = strings
        self.reasonLabels = reasonLabels
        stylesheet = try String(contentsOf: root.appendingPathComponent("Public/style.css"), encoding: .utf8)
        contentSecurityPolicy = Self.contentSecurityPolicy(inlineStylesheet: stylesheet)
    }

    /// No script at all, no framing; the one inline stylesheet allowed by its hash; forms post
    /// only to this server. The dashboard's pages use it with their own stylesheet.
    static func contentSecurityPolicy(inlineStylesheet stylesheet: String) -> String {
        contentSecurityPolicy(inlineStylesheets: [stylesheet])
    }

    /// The same policy allowing several inline stylesheets (the dashboard's preview of this page).
    static func contentSecurityPolicy(inlineStylesheets stylesheets: [String]) -> String {
        let hashes = stylesheets.map { "'sha256-\(Data(SHA256.hash(data: Data($0.utf8))).base64EncodedString())'" }
        return [
            "default-src 'none'", "style-src \(hashes.joined(separator: " "))", "img-src 'self'", "form-action 'self'",
            "base-uri 'none'", "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    /// A string of the locale table with `{name}` placeholders filled in.
    public func text(_ key: String, language: String, _ values: [String: String] = [:]) -> String {
        var text = strings[language]?[key] ?? strings[Language.fallback]?[key] ?? key
        for (name, value) in values {
            text = text.replacingOccurrences(of: "{\(name)}", with: value)
        }
        return text
    }

    /// The standard reasons of a language, `other` last.
    public func standardReasons(language: String) -> [Reason] {
        reasonLabels[language] ?? reasonLabels[Language.fallback] ?? []
    }

    /// Renders `template` with `values`; the language switcher and stylesheet are added here.
    /// The switcher's links are relative (`?lang=de`), so a page never echoes its request path.
    /// A template that is not there is an error (a 500), never an empty page.
    public func render(_ template: String, language: String, values: [String: Any]) throws -> String {
        var context = values
        context["lang"] = language
        context["css"] = stylesheet
        context["languages_label"] = text("languages_label", language: language)
        context["languages"] = Language.supported.map { tag in
            ["tag": tag, "name": text("language_name", language: tag), "href": "?lang=\(tag)",
             "current": tag == language] as [String: Any]
        }
        guard let page = library.render(context, withTemplate: template) else { throw RendererError.missingTemplate(template) }
        return page
    }
}

enum RendererError: Error, CustomStringConvertible {
    case missingTemplate(String)

    var description: String {
        switch self {
        case .missingTemplate(let name): "Templates/\(name).mustache is missing"
        }
    }
}

/// One `Templates/locales/LANG.json`.
struct LocaleTable: Decodable {
    var strings: [String: String]
    var reasons: [PageRenderer.Reason]
}
