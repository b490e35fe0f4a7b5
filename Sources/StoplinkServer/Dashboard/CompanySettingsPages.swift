import Foundation
import Hummingbird
import StoplinkCore
import StoplinkStore

/// Settings: the index of every section, and the company's own settings: name, country and
/// language, the reason list, the page and reply texts, the message rules.
///
/// Everyone signed in reads them; only owners change them (a marketer sees no forms, and a
/// marketer's post answers 404 like every owner page). A change is checked by
/// `CompanySettingsChange.checked()`, the rules the API and the CLI use, against the company as
/// it is at that moment and saved in the same transaction (`updateCompany(id:_:)`); a refused
/// change shows its problems next to the fields and saves nothing; a saved one is audited.
extension DashboardController {
    /// An invented link, in the examples of the opt-out line.
    static let exampleLink = "https://stp.example/k3m9x2q7vd"
    /// An invented number, masked on the preview of the recipient page.
    static let previewPhone = "+31612345678"

    func addCompanySettingsRoutes(to group: RouterGroup<DashboardContext>) {
        group.get("settings", use: settingsIndex)
        group.get("settings/company", use: companySettings)
        group.post("settings/company", use: saveCompanySettings)
        group.get("settings/reasons", use: reasonSettings)
        group.post("settings/reasons", use: addReason)
        group.post("settings/reasons/{key}", use: changeReason)
        group.get("settings/texts", use: textSettings)
        group.post("settings/texts", use: saveTexts)
        group.get("settings/rules", use: ruleSettings)
        group.post("settings/rules", use: saveRules)
    }

    // MARK: The index

    @Sendable func settingsIndex(request: Request, context: DashboardContext) async throws -> Response {
        let everyone: [(String, String, String)] = [
            ("company", "Company", "Name, default country and language."),
            ("reasons", "Reasons", "The reasons offered on the opt-out page: add, relabel, reorder, retire."),
            ("texts", "Page and reply texts", "The page's text and the STOP and HELP replies per language, with a preview."),
            ("rules", "Message rules", "The opt-out line added to outgoing messages, per country."),
        ]
        let owners: [(String, String, String)] = [
            ("numbers", "SMS numbers", "The numbers that receive STOP replies."),
            ("webhooks", "Webhooks", "Endpoints told about every opt-out, and their delivery log."),
            ("keys", "API keys", "Keys of the sending platforms."),
            ("users", "Users", "Who may log in to this dashboard."),
            ("email", "Email", "Who is told about opt-outs by email."),
            ("audit", "Audit log", "Every change made on this dashboard, with who made it."),
        ]
        let sections = everyone + (context.visitor.user.role == .owner ? owners : [])
        return try page("settings", context.visitor, nav: "settings", values: [
            "sections": sections.map { ["href": "/dashboard/settings/\($0.0)", "title": $0.1, "text": $0.2] },
        ])
    }

    // MARK: Company

    @Sendable func companySettings(request: Request, context: DashboardContext) async throws -> Response {
        let company = context.visitor.company
        return try companyPage(
            context, name: company.name, country: company.defaultCountry, language: company.defaultLanguage, saved: Self.isSaved(request)
        )
    }

    @Sendable func saveCompanySettings(request: Request, context: DashboardContext) async throws -> Response {
        let fields: [String: String]
        switch try await ownerForm(request, context) {
        case .refused(let answer): return answer
        case .fields(let posted): fields = posted
        }
        let name = fields["name"] ?? ""
        let country = fields["default_country"] ?? ""
        let language = fields["default_language"] ?? ""
        let outcome = try await save(context, action: "settings_company") { _ in
            CompanySettingsChange(name: name, defaultCountry: country, defaultLanguage: language)
        } describe: { before, after in
            Self.differences([
                ("name", before.name, after.name), ("default_country", before.defaultCountry, after.defaultCountry),
                ("default_language", before.defaultLanguage, after.defaultLanguage),
            ])
        }
        switch outcome {
        case .saved: return .redirect(to: "/dashboard/settings/company?saved=1", type: .normal)
        case .refused(let problems):
            return try companyPage(
                context, name: name, country: country, language: language, errors: Self.fieldErrors(problems), status: .unprocessableContent
            )
        }
    }

    private func companyPage(
        _ context: DashboardContext, name: String, country: String, language: String, errors: [String: String] = [:],
        saved: Bool = false, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        try page("settings_company", context.visitor, nav: "settings", values: Self.errorValues(errors).merging([
            "name": name, "default_country": country, "can_edit": context.visitor.user.role == .owner,
            "languages": languageOptions(selected: language.lowercased()), "language_name": languageName(language.lowercased()),
            "has_errors": !errors.isEmpty, "saved": saved,
        ]) { $1 }, status: status)
    }

    // MARK: Reasons

    @Sendable func reasonSettings(request: Request, context: DashboardContext) async throws -> Response {
        try await reasonsPage(context, company: context.visitor.company, saved: Self.isSaved(request))
    }

    /// Adds a reason at the end of the list, offered at once.
    @Sendable func addReason(request: Request, context: DashboardContext) async throws -> Response {
        let fields: [String: String]
        switch try await ownerForm(request, context) {
        case .refused(let answer): return answer
        case .fields(let posted): fields = posted
        }
        let key = (fields["key"] ?? "").trimmingCharacters(in: .whitespaces)
        let labels = Self.postedLabels(fields)
        let outcome = try await save(context, action: "reason_added") { company in
            CompanySettingsChange(reasons: standardOrOwnReasons(company) + [Reason(key: key, labels: labels)])
        } describe: { _, _ in
            "\(key): \(Self.describe(labels))"
        }
        switch outcome {
        case .saved: return .redirect(to: "/dashboard/settings/reasons?saved=1", type: .normal)
        case .refused(let problems):
            var company = context.visitor.company
            company = try await store.company(id: company.id) ?? company
            let index = standardOrOwnReasons(company).count
            return try await reasonsPage(
                context, company: company, addDraft: (key, labels),
                addErrors: Self.reasonErrors(problems, index: index, listField: "key"), status: .unprocessableContent
            )
        }
    }

    /// One reason: `action` is `relabel` (with `label_LANG` fields), `up`, `down`, `retire` or `restore`.
    @Sendable func changeReason(request: Request, context: DashboardContext) async throws -> Response {
        let fields: [String: String]
        switch try await ownerForm(request, context) {
        case .refused(let answer): return answer
        case .fields(let posted): fields = posted
        }
        let key = context.parameters.get("key") ?? ""
        let action = fields["action"] ?? ""
        guard ["relabel", "up", "down", "retire", "restore"].contains(action) else {
            return try message(context.visitor, status: .badRequest, heading: "Unknown action", text: "Nothing was changed.")
        }
        let labels = Self.postedLabels(fields)
        let outcome: SaveOutcome
        do {
            outcome = try await save(context, action: "reason_\(Self.auditVerb[action] ?? action)") { company in
                var reasons = standardOrOwnReasons(company)
                guard let index = reasons.firstIndex(where: { $0.key == key }) else { throw ReasonMissing() }
                switch action {
                case "relabel": reasons[index].labels = labels
                case "up" where index > 0: reasons.swapAt(index, index - 1)
                case "down" where index < reasons.count - 1: reasons.swapAt(index, index + 1)
                case "retire": reasons[index].retired = true
                case "restore": reasons[index].retired = false
                default: break
                }
                return CompanySettingsChange(reasons: reasons)
            } describe: { _, after in
                switch action {
                case "relabel": "\(key): \(Self.describe(labels))"
                case "up", "down": "\(key): " + (after.reasons ?? []).map(\.key).joined(separator: ", ")
                default: key
                }
            }
        } catch is ReasonMissing {
            return try notFound(context.visitor)
        }
        switch outcome {
        case .saved: return .redirect(to: "/dashboard/settings/reasons?saved=1#reason-\(key)", type: .normal)
        case .refused(let problems):
            let company = try await store.company(id: context.visitor.company.id) ?? context.visitor.company
            let index = standardOrOwnReasons(company).firstIndex { $0.key == key } ?? -1
            return try await reasonsPage(
                context, company: company, relabelDraft: (key, labels),
                reasonErrors: [key: Self.reasonErrors(problems, index: index, listField: "label").values.sorted().joined(separator: " ")],
                status: .unprocessableContent
            )
        }
    }

    private struct ReasonMissing: Error {}
    private static let auditVerb = ["relabel": "relabelled", "up": "moved", "down": "moved", "retire": "retired", "restore": "restored"]

    /// The company's reasons, or the standard ones with their labels in every language when it
    /// has none of its own yet: the first change turns the standard list into the company's.
    func standardOrOwnReasons(_ company: Company) -> [Reason] {
        if let own = company.reasons, !own.isEmpty { return own }
        let pages = renderer.recipientPages
        return pages.standardReasons(language: Language.fallback).map { standard in
            var labels: [String: String] = [:]
            for language in Language.supported {
                labels[language] = pages.standardReasons(language: language).first { $0.key == standard.key }?.label
            }
            return Reason(key: standard.key, labels: labels)
        }
    }

    private func reasonsPage(
        _ context: DashboardContext, company: Company, addDraft: (key: String, labels: [String: String])? = nil,
        addErrors: [String: String] = [:], relabelDraft: (key: String, labels: [String: String])? = nil,
        reasonErrors: [String: String] = [:], saved: Bool = false, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let reasons = standardOrOwnReasons(company)
        // Every opt-out so far, this very moment's included (the window's end is exclusive).
        let until = clock.now().addingTimeInterval(1)
        let counts = try await store.digestFigures(companyID: company.id, since: .distantPast, until: until).byReason
        let canEdit = context.visitor.user.role == .owner
        let rows: [[String: Any]] = reasons.enumerated().map { index, reason in
            let labels = relabelDraft?.key == reason.key ? relabelDraft?.labels ?? reason.labels : reason.labels
            var row: [String: Any] = [
                "key": reason.key, "label": reason.label(language: company.defaultLanguage), "retired": reason.retired,
                "opt_outs": counts.first { $0.key == reason.key }?.count ?? 0,
                "action": "/dashboard/settings/reasons/\(Self.pathComponent(reason.key))",
                "can_up": index > 0, "can_down": index < reasons.count - 1, "can_edit": canEdit,
                "labels": labelFields(labels, idPrefix: "label-\(reason.key)"),
                "open": relabelDraft?.key == reason.key,
            ]
            if let error = reasonErrors[reason.key] { row["error"] = error }
            return row
        }
        return try page("settings_reasons", context.visitor, nav: "settings", values: Self.errorValues(addErrors, prefix: "add_").merging([
            "reasons": rows, "offered_count": Reason.offered(reasons).count, "can_edit": canEdit,
            "standard": company.reasons?.isEmpty ?? true, "maximum": CompanySettingsChange.maximumReasons,
            "add_key": addDraft?.key ?? "", "add_labels": labelFields(addDraft?.labels ?? [:], idPrefix: "add-label"),
            "has_add_errors": !addErrors.isEmpty, "saved": saved,
        ]) { $1 }, status: status)
    }

    /// `label_en`, `label_de`, ...: blank ones are left out (that language shows the English label).
    static func postedLabels(_ fields: [String: String]) -> [String: String] {
        var labels: [String: String] = [:]
        for language in Language.supported {
            let label = (fields["label_\(language)"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if !label.isEmpty { labels[language] = label }
        }
        // An English label is what every other language falls back to; without one the rule's
        // "1–200 characters" is what the owner is told.
        if labels[Language.fallback] == nil, fields["label_\(Language.fallback)"] != nil { labels[Language.fallback] = "" }
        return labels
    }

    private func labelFields(_ labels: [String: String], idPrefix: String) -> [[String: Any]] {
        Language.supported.map { language in
            ["language": language, "value": labels[language] ?? "", "id": "\(idPrefix)-\(language)",
             "required": language == Language.fallback, "name": languageName(language)]
        }
    }

    /// Problems of `reasons[index]` by field (`key`, `label`); problems of the whole list go to `listField`.
    static func reasonErrors(_ problems: [SettingProblem], index: Int, listField: String) -> [String: String] {
        var errors: [String: String] = [:]
        for problem in problems {
            let field: String
            if problem.field == "reasons[\(index)].key" {
                field = "key"
            } else if problem.field == "reasons[\(index)].label" {
                field = "label"
            } else {
                field = listField
            }
            let sentence = field == listField && !problem.field.hasPrefix("reasons[")
                ? "There can be \(problem.reason)." : Self.sentence("This \(field)", problem.reason)
            errors[field] = [errors[field], sentence].compactMap { $0 }.joined(separator: " ")
        }
        return errors
    }

    private static func describe(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }

    // MARK: Texts

    @Sendable func textSettings(request: Request, context: DashboardContext) async throws -> Response {
        let company = context.visitor.company
        let asked = request.uri.queryParameters.get("lang").flatMap { Language.supportedTag(String($0)) }
        let language = asked ?? company.defaultLanguage
        let draft = TextDraft(
            language: language, pageText: company.pageText[language] ?? "", helpText: company.helpText[language] ?? "",
            confirmationText: company.confirmationText[language] ?? ""
        )
        return try textsPage(context, company: company, draft: draft, previewing: false, saved: Self.isSaved(request))
    }

    /// `action` `preview` shows the draft without saving it; `save` stores it. A blank text goes
    /// back to the standard one.
    @Sendable func saveTexts(request: Request, context: DashboardContext) async throws -> Response {
        let fields: [String: String]
        switch try await ownerForm(request, context) {
        case .refused(let answer): return answer
        case .fields(let posted): fields = posted
        }
        let draft = TextDraft(
            language: fields["lang"] ?? "", pageText: fields["page_text"] ?? "", helpText: fields["help_text"] ?? "",
            confirmationText: fields["confirmation_text"] ?? ""
        )
        let change: @Sendable (Company) -> CompanySettingsChange = { company in
            CompanySettingsChange(
                pageText: draft.merged(into: company.pageText, \.pageText), helpText: draft.merged(into: company.helpText, \.helpText),
                confirmationText: draft.merged(into: company.confirmationText, \.confirmationText)
            )
        }
        let company = context.visitor.company
        if fields["action"] == "preview" {
            let problems = change(company).checked().problems
            return try textsPage(
                context, company: company, draft: draft, previewing: problems.isEmpty, errors: Self.fieldErrors(problems),
                status: problems.isEmpty ? .ok : .unprocessableContent
            )
        }
        let outcome = try await save(context, action: "settings_texts") { company in
            change(company)
        } describe: { before, after in
            let changed = [
                ("page_text", before.pageText[draft.language], after.pageText[draft.language]),
                ("help_text", before.helpText[draft.language], after.helpText[draft.language]),
                ("confirmation_text", before.confirmationText[draft.language], after.confirmationText[draft.language]),
            ].filter { $0.1 != $0.2 }.map(\.0)
            return "\(draft.language): " + (changed.isEmpty ? "no change" : changed.joined(separator: ", "))
        }
        switch outcome {
        case .saved:
            return .redirect(to: "/dashboard/settings/texts?lang=\(Self.pathComponent(draft.language))&saved=1", type: .normal)
        case .refused(let problems):
            return try textsPage(
                context, company: company, draft: draft, previewing: false, errors: Self.fieldErrors(problems), status: .unprocessableContent
            )
        }
    }

    struct TextDraft {
        var language: String
        var pageText: String
        var helpText: String
        var confirmationText: String

        /// `texts` with this draft's text for its language, or without one when the draft's is blank.
        func merged(into texts: [String: String], _ field: KeyPath<TextDraft, String>) -> [String: String] {
            var texts = texts
            let text = self[keyPath: field].trimmingCharacters(in: .whitespacesAndNewlines)
            texts[language] = text.isEmpty ? nil : text
            return texts
        }
    }

    /// The form for one language and the recipient page as it would look with the draft (or the
    /// saved texts), drawn by the recipient page's own renderer into a sandboxed frame: its form
    /// has no action and no token, and the sandbox lets it neither post nor run anything.
    private func textsPage(
        _ context: DashboardContext, company: Company, draft: TextDraft, previewing: Bool, errors: [String: String] = [:],
        saved: Bool = false, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let pages = renderer.recipientPages
        let language = Language.supportedTag(draft.language) ?? company.defaultLanguage
        var previewed = company
        previewed.pageText = draft.merged(into: company.pageText, \.pageText)
        let masked = (try? PhoneNumber(parsing: Self.previewPhone, defaultRegion: "NL"))?.masked ?? ""
        let preview = try pages.recipientForm(
            company: previewed, language: language, masked: masked, action: "", token: "", form: PageRenderer.FormState()
        )
        let help = draft.helpText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            ? pages.text("sms_help", language: language, ["company": company.name]) : draft.helpText
        let optOut = company.optOutScope == .all ? "sms_opt_out_all" : "sms_opt_out"
        let confirmation = draft.confirmationText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            ? pages.text(optOut, language: language, ["company": company.name]) : draft.confirmationText
        var response = try page("settings_texts", context.visitor, nav: "settings", values: Self.errorValues(errors).merging([
            "lang": draft.language, "language_name": languageName(language), "languages": languageOptions(selected: language),
            "page_text": draft.pageText, "help_text": draft.helpText, "confirmation_text": draft.confirmationText,
            "has_page_text": !draft.pageText.isEmpty, "has_help_text": !draft.helpText.isEmpty,
            "has_confirmation_text": !draft.confirmationText.isEmpty,
            "standard_page_text": pages.text(company.optOutScope == .all ? "intro_all" : "intro", language: language, ["company": company.name]),
            "standard_help_text": pages.text("sms_help", language: language, ["company": company.name]),
            "standard_confirmation_text": pages.text(optOut, language: language, ["company": company.name]),
            "preview": preview, "preview_help": help, "preview_confirmation": confirmation,
            "previewing": previewing, "maximum": CompanySettingsChange.maximumTextLength,
            "can_edit": context.visitor.user.role == .owner,
            "has_errors": !errors.isEmpty, "saved": saved,
        ]) { $1 }, status: status)
        response.headers[.contentSecurityPolicy] = renderer.previewContentSecurityPolicy
        return response
    }

    // MARK: Message rules

    @Sendable func ruleSettings(request: Request, context: DashboardContext) async throws -> Response {
        try await rulesPage(context, draft: RulesDraft(context.visitor.company.messageRules), saved: Self.isSaved(request))
    }

    @Sendable func saveRules(request: Request, context: DashboardContext) async throws -> Response {
        let fields: [String: String]
        switch try await ownerForm(request, context) {
        case .refused(let answer): return answer
        case .fields(let posted): fields = posted
        }
        let draft = RulesDraft(fields: fields)
        var errors = draft.formErrors
        let rules = draft.rules
        // Each row against the shared rules on its own, so a problem shows on its row.
        for (index, row) in draft.countries.enumerated() where !row.country.isEmpty && errors["country_\(index)"] == nil {
            let problems = CompanySettingsChange(messageRules: MessageRules(countries: [row.country: row.rule])).checked().problems
            for problem in problems {
                let field = problem.field.hasSuffix("short_code") ? "short_code_\(index)" : "country_\(index)"
                errors[field] = "This \(problem.field.hasSuffix("short_code") ? "short code" : "country") \(problem.reason)."
            }
        }
        for (index, row) in draft.texts.enumerated() where !row.key.isEmpty {
            let problems = CompanySettingsChange(messageRules: MessageRules(texts: [row.key: row.text])).checked().problems
            if let problem = problems.first { errors["text_\(index)"] = "This text must be \(problem.reason)." }
        }
        if errors.isEmpty {
            let outcome = try await save(context, action: "settings_rules") { _ in
                CompanySettingsChange(messageRules: rules)
            } describe: { _, after in
                Self.describe(after.messageRules)
            }
            switch outcome {
            case .saved: return .redirect(to: "/dashboard/settings/rules?saved=1", type: .normal)
            case .refused(let problems): errors["form"] = problems.map(\.description).joined(separator: "; ")
            }
        }
        return try await rulesPage(context, draft: draft, errors: errors, status: .unprocessableContent)
    }

    /// The rules form as posted: `short_links`, `purpose_*`, rows `country_N`/`line_N`/`short_code_N`
    /// and `text_key_N`/`text_N`; a row with a blank country or key is left out.
    struct RulesDraft {
        struct CountryRow {
            var country: String
            var line: String
            var shortCode: String

            var rule: MessageRules.CountryRule {
                MessageRules.CountryRule(line: MessageRules.LineKind(rawValue: line), shortCode: shortCode.isEmpty ? nil : shortCode)
            }
        }
        struct TextRow { var key: String; var text: String }
        static let blankRows = 2
        static let maximumRows = 250

        var shortLinks: Bool
        var purposes: Set<Purpose>
        var countries: [CountryRow]
        var texts: [TextRow]
        var formErrors: [String: String] = [:]

        init(_ rules: MessageRules) {
            shortLinks = rules.shortLinks
            purposes = Set(rules.purposes)
            countries = rules.countries.sorted { $0.key < $1.key }.map {
                CountryRow(country: $0.key, line: $0.value.line?.rawValue ?? "", shortCode: $0.value.shortCode ?? "")
            }
            texts = rules.texts.sorted { $0.key < $1.key }.map { TextRow(key: $0.key, text: $0.value) }
        }

        init(fields: [String: String]) {
            shortLinks = fields["short_links"] != nil
            purposes = Set(Purpose.allCases.filter { fields["purpose_\($0.rawValue)"] != nil })
            countries = (0..<Self.maximumRows).compactMap { index in
                guard let country = fields["country_\(index)"] else { return nil }
                return CountryRow(
                    country: country.trimmingCharacters(in: .whitespaces).uppercased(), line: fields["line_\(index)"] ?? "",
                    shortCode: (fields["short_code_\(index)"] ?? "").trimmingCharacters(in: .whitespaces)
                )
            }
            texts = (0..<Self.maximumRows).compactMap { index in
                guard let key = fields["text_key_\(index)"] else { return nil }
                return TextRow(key: key.trimmingCharacters(in: .whitespaces), text: fields["text_\(index)"] ?? "")
            }
            var seen: Set<String> = []
            for (index, row) in countries.enumerated() where !row.country.isEmpty {
                if !seen.insert(row.country).inserted { formErrors["country_\(index)"] = "This country is listed twice." }
                if !row.line.isEmpty, MessageRules.LineKind(rawValue: row.line) == nil {
                    formErrors["line_\(index)"] = "Choose the default, a reply keyword or the link."
                }
            }
            var seenKeys: Set<String> = []
            for (index, row) in texts.enumerated() where !row.key.isEmpty {
                if !seenKeys.insert(row.key).inserted { formErrors["text_key_\(index)"] = "This key is listed twice." }
            }
        }

        var rules: MessageRules {
            MessageRules(
                shortLinks: shortLinks, purposes: Purpose.allCases.filter(purposes.contains),
                countries: Dictionary(countries.filter { !$0.country.isEmpty }.map { ($0.country, $0.rule) }) { first, _ in first },
                texts: Dictionary(texts.filter { !$0.key.isEmpty }.map { ($0.key, $0.text) }) { first, _ in first }
            )
        }
    }

    private func rulesPage(
        _ context: DashboardContext, draft: RulesDraft, errors: [String: String] = [:], saved: Bool = false,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let canEdit = context.visitor.user.role == .owner
        let company = context.visitor.company
        let takesReplies = try await !store.numbers(companyID: company.id).isEmpty
        let rules = draft.rules
        let link = MessagePreparation.display(Self.exampleLink, short: rules.shortLinks)
        // The line a marketing message would get, chosen by the same code as the prepare API.
        let examples = (rules.countries.keys.sorted() + [""]).map { country in
            let line = OptOutLine.choose(
                rules: rules, purpose: .marketing, country: country.isEmpty ? nil : country,
                language: company.defaultLanguage, takesReplies: takesReplies, link: link
            )
            return ["country": country.isEmpty ? "Other countries" : country, "text": line.text ?? "(no line)", "rule": line.rule]
        }
        let blankCountry = RulesDraft.CountryRow(country: "", line: "", shortCode: "")
        let countryRows = draft.countries + (canEdit ? Array(repeating: blankCountry, count: RulesDraft.blankRows) : [])
        let textRows = draft.texts + (canEdit ? Array(repeating: RulesDraft.TextRow(key: "", text: ""), count: RulesDraft.blankRows) : [])
        let lines: [(String, String)] = [("", "Default for the country"), ("keyword", "Reply keyword (STOP)"), ("link", "Opt-out link")]
        var values: [String: Any] = [
            "can_edit": canEdit, "short_links": draft.shortLinks,
            "purposes": Purpose.allCases.map { ["value": $0.rawValue, "checked": draft.purposes.contains($0)] as [String: Any] },
            "countries": countryRows.enumerated().map { index, row in
                var values: [String: Any] = [
                    "index": index, "row": index + 1, "country": row.country, "short_code": row.shortCode,
                    "lines": lines.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == row.line] as [String: Any] },
                    "line_name": lines.first { $0.0 == row.line }?.1 ?? row.line,
                ]
                for field in ["country", "line", "short_code"] { values["\(field)_error"] = errors["\(field)_\(index)"] }
                return values
            },
            "has_countries": !countryRows.isEmpty,
            "texts": textRows.enumerated().map { index, row in
                var values: [String: Any] = ["index": index, "row": index + 1, "key": row.key, "text": row.text]
                values["key_error"] = errors["text_key_\(index)"]
                values["text_error"] = errors["text_\(index)"]
                return values
            },
            "examples": examples, "language_name": languageName(company.defaultLanguage),
            "has_texts": !textRows.isEmpty, "maximum_line": CompanySettingsChange.maximumLineTextLength,
            "has_errors": !errors.isEmpty, "saved": saved,
        ]
        values["form_error"] = errors["form"]
        return try page("settings_rules", context.visitor, nav: "settings", values: values, status: status)
    }

    private static func describe(_ rules: MessageRules) -> String {
        var parts = ["purposes=\(rules.purposes.map(\.rawValue).joined(separator: "+"))", "short_links=\(rules.shortLinks)"]
        parts += rules.countries.sorted { $0.key < $1.key }.map { country, rule in
            "\(country)=\(rule.line?.rawValue ?? "default")\(rule.shortCode.map { "/\($0)" } ?? "")"
        }
        if !rules.texts.isEmpty { parts.append("texts=\(rules.texts.keys.sorted().joined(separator: "+"))") }
        return parts.joined(separator: ", ")
    }

    // MARK: Shared

    enum PostedForm {
        case fields([String: String])
        case refused(Response)
    }

    /// The fields of an owner's settings form; a marketer gets the 404 of an owner page, and a
    /// form without this session's CSRF token (or too long, or not a form) the 403.
    func ownerForm(_ request: Request, _ context: DashboardContext) async throws -> PostedForm {
        guard context.visitor.user.role == .owner else {
            context.logger.notice("a marketer posted to an owner's settings page")
            return .refused(try notFound(context.visitor))
        }
        guard let fields = try await verifiedForm(request, context) else {
            context.logger.notice("refused a settings form without a valid CSRF token")
            return .refused(try forbidden(context.visitor))
        }
        return .fields(fields)
    }

    enum SaveOutcome {
        case saved
        case refused([SettingProblem])
    }

    private struct SettingsRefused: Error {
        var problems: [SettingProblem]
    }

    /// Builds the change from the company as it is now, checks it and saves it, all in one
    /// transaction; a saved change goes to the audit log as `action` with `describe(before, after)`.
    func save(
        _ context: DashboardContext, action: String, change: @escaping @Sendable (Company) throws -> CompanySettingsChange,
        describe: @escaping @Sendable (Company, Company) -> String
    ) async throws -> SaveOutcome {
        let visitor = context.visitor
        let detail: String
        do {
            detail = try await store.updateCompany(id: visitor.company.id) { company in
                let before = company
                let (settings, problems) = try change(company).checked()
                guard problems.isEmpty else { throw SettingsRefused(problems: problems) }
                company.apply(settings)
                return describe(before, company)
            }
        } catch let refused as SettingsRefused {
            context.logger.info("refused invalid settings", metadata: ["fields": "\(refused.problems.map(\.field))"])
            return .refused(refused.problems)
        }
        try await store.recordAudit(AuditEntry(
            companyID: visitor.company.id, userID: visitor.user.id, userEmail: visitor.user.email, action: action,
            detail: String(detail.prefix(1_000)), at: clock.now()
        ))
        context.logger.info("settings changed on the dashboard", metadata: ["action": "\(action)", "user": "\(visitor.user.id)"])
        return .saved
    }

    /// Problems by the form field they belong to (`page_text`, `default_country`, ...), each a sentence.
    static func fieldErrors(_ problems: [SettingProblem]) -> [String: String] {
        var errors: [String: String] = [:]
        for problem in problems {
            let sentence = sentence("The \(problem.field.replacingOccurrences(of: "_", with: " "))", problem.reason)
            errors[problem.field] = [errors[problem.field], sentence].compactMap { $0 }.joined(separator: " ")
        }
        return errors
    }

    static func differences(_ fields: [(String, String, String)]) -> String {
        let changed = fields.filter { $0.1 != $0.2 }.map { "\($0.0): \($0.1) → \($0.2)" }
        return changed.isEmpty ? "no change" : changed.joined(separator: "; ")
    }

    /// "The name must be …", "The page text: at most …".
    static func sentence(_ subject: String, _ reason: String) -> String {
        reason.hasPrefix("must ") || reason.hasPrefix("is ") ? "\(subject) \(reason)." : "\(subject): \(reason)."
    }

    /// `errors` as `PREFIXfield_error` values for a template.
    static func errorValues(_ errors: [String: String], prefix: String = "") -> [String: Any] {
        Dictionary(errors.map { ("\(prefix)\($0.key)_error", $0.value as Any) }) { first, _ in first }
    }

    static func isSaved(_ request: Request) -> Bool {
        request.uri.queryParameters.get("saved") == "1"
    }

    /// A language by its own name and tag: "Deutsch (de)".
    func languageName(_ language: String) -> String {
        guard Language.supported.contains(language) else { return language }
        return "\(renderer.recipientPages.text("language_name", language: language)) (\(language))"
    }

    func languageOptions(selected: String) -> [[String: Any]] {
        Language.supported.map { ["value": $0, "name": languageName($0), "selected": $0 == selected] }
    }
}

