import Foundation
import Mustache
import StoplinkCore

/// Renders the dashboard's pages from `Templates/dashboard/` (its own layout, `layout.mustache`)
/// with its own stylesheet `Public/dashboard.css` inlined; nothing is shared with the recipient's
/// pages, which must stay tiny (the settings' preview of one is drawn by their own renderer).
public struct DashboardRenderer: Sendable {
    static let pages = [
        "layout", "login", "overview", "campaign", "campaigns", "chart", "audit", "message",
        "settings_numbers", "settings_webhooks", "settings_webhook", "settings_keys", "settings_users", "settings_email", "shown_once",
        "numbers", "number", "list", "import", "review",
        "settings", "settings_company", "settings_reasons", "settings_texts", "settings_rules",
    ]

    private let library: MustacheLibrary
    private let stylesheet: String
    /// The standard reasons' English labels by key, for reasons a company has not relabelled.
    let standardReasonLabels: [String: String]
    /// No script at all; the one inline stylesheet by its hash; forms post only here.
    public let contentSecurityPolicy: String
    /// The recipient's pages, for the settings' preview of them and the standard reasons.
    let recipientPages: PageRenderer
    /// `contentSecurityPolicy` that also lets the recipient page's stylesheet style its preview.
    let previewContentSecurityPolicy: String

    public init(resourcesDirectory: String) async throws {
        let root = URL(fileURLWithPath: resourcesDirectory)
        library = try await MustacheLibrary(directory: root.appendingPathComponent("Templates/dashboard").path)
        for name in Self.pages where library.getTemplate(named: name) == nil {
            throw RendererError.missingTemplate("dashboard/\(name)")
        }
        stylesheet = try String(contentsOf: root.appendingPathComponent("Public/dashboard.css"), encoding: .utf8)
        contentSecurityPolicy = PageRenderer.contentSecurityPolicy(inlineStylesheet: stylesheet)
        struct Table: Decodable { var reasons: [PageRenderer.Reason] }
        let english = try Data(contentsOf: root.appendingPathComponent("Templates/locales/\(Language.fallback).json"))
        standardReasonLabels = Dictionary(
            try JSONDecoder().decode(Table.self, from: english).reasons.map { ($0.key, $0.label) }, uniquingKeysWith: { first, _ in first }
        )
        recipientPages = try await PageRenderer(resourcesDirectory: resourcesDirectory)
        previewContentSecurityPolicy = PageRenderer.contentSecurityPolicy(inlineStylesheets: [stylesheet, recipientPages.stylesheet])
    }

    /// Renders `template` inside the layout; `values` fill the page, the stylesheet is added here.
    public func render(_ template: String, values: [String: Any]) throws -> String {
        var context = values
        context["css"] = stylesheet
        guard let page = library.render(context, withTemplate: template) else {
            throw RendererError.missingTemplate("dashboard/\(template)")
        }
        return page
    }
}
