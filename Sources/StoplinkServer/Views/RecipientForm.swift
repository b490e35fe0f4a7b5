import StoplinkCore
import StoplinkStore

/// The recipient's opt-out form, shared by the link page and the dashboard's preview of it.
extension PageRenderer {
    struct FormState {
        var phone = ""
        var reason: String?
        var reasonText = ""
        var error: String?
    }

    /// The reasons a company's page offers in `language`: its own that are not retired, or the
    /// standard ones when it has none of its own. An empty `reason_legend` is never shown alone.
    func offeredReasons(of company: Company, language: String) -> [Reason] {
        guard let custom = company.reasons, !custom.isEmpty else { return standardReasons(language: language) }
        return StoplinkCore.Reason.offered(custom).map { Reason(key: $0.key, label: $0.label(language: language)) }
    }

    /// The form page: the company's page text (or the standard one), the masked number, the
    /// offered reasons in random order with `other` last, posting to `action` with `token`.
    /// An untouched form (a tap on a link) is filled into the company's compiled form.
    func recipientForm(company: Company, language: String, masked: String, action: String, token: String, form: FormState) throws -> String {
        if form.isUntouched, let compiled = try compiledForms.form(company: company, language: language, compile: {
            try compileForm(company: company, language: language)
        }) {
            return compiled.fill(token: token, action: action, masked: masked, order: compiled.shuffledOrder())
        }
        var shuffled = offeredReasons(of: company, language: language)
        let other = shuffled.firstIndex { $0.key == "other" }.map { shuffled.remove(at: $0) }
        shuffled.shuffle()
        if let other { shuffled.append(other) }
        return try renderForm(company: company, language: language, masked: masked, action: action, token: token, form: form, reasons: shuffled)
    }

    /// The form page with the reasons in the order given.
    func renderForm(
        company: Company, language: String, masked: String, action: String, token: String, form: FormState, reasons: [Reason]
    ) throws -> String {
        let intro = company.pageText[language]
            ?? text(company.optOutScope == .all ? "intro_all" : "intro", language: language, ["company": company.name])
        var values: [String: Any] = [
            "company": company.name,
            "title": text("title_form", language: language, ["company": company.name]),
            "intro": intro,
            "sent_to": text("sent_to", language: language, ["masked": masked]),
            "action": action,
            "token": token,
            "phone": form.phone,
            "reason_text": form.reasonText,
            "reasons": reasons.map { Self.choice($0, checked: $0.key == form.reason) },
            "has_reasons": !reasons.isEmpty,
        ]
        for key in ["phone_label", "phone_hint", "reason_legend", "submit"] {
            values[key] = text(key, language: language)
        }
        values["reason_text_label"] = text("reason_text_label", language: language, ["company": company.name])
        if let error = form.error { values["error"] = text(error, language: language) }
        return try render("form", language: language, values: values)
    }

    private static func choice(_ reason: Reason, checked: Bool) -> [String: Any] {
        ["key": reason.key, "label": reason.label, "checked": checked]
    }

    /// Renders the form once with markers for what a request fills in, and checks the result
    /// against a full render; nil when they differ (the form is then rendered in full).
    func compileForm(company: Company, language: String) throws -> CompiledForm? {
        let offered = offeredReasons(of: company, language: language)
        let marker = { (name: String) in "\(CompiledForm.marker)\(name)\(CompiledForm.marker)" }
        let placeholder = Reason(key: marker("R"), label: "")
        var skeleton = try renderForm(
            company: company, language: language, masked: marker("M"), action: marker("A"), token: marker("T"),
            form: FormState(), reasons: offered.isEmpty ? [] : [placeholder]
        )
        if !offered.isEmpty {
            guard let item = library.render(Self.choice(placeholder, checked: false), withTemplate: "reason"),
                  let range = skeleton.range(of: item) else { return nil }
            skeleton.replaceSubrange(range, with: marker("R"))
        }
        var choices: [String] = []
        for reason in offered {
            guard let item = library.render(Self.choice(reason, checked: false), withTemplate: "reason") else { return nil }
            choices.append(item)
        }
        guard let parts = CompiledForm.parts(of: skeleton) else { return nil }
        let other = offered.firstIndex { $0.key == "other" }
        let compiled = CompiledForm(parts: parts, reasons: choices, other: other)

        // The same values both ways: a compiled form is used only if it gives the same page.
        let (token, action, masked) = ("t<&\"'>", "/code?lang=\(language)&x=<y>", "+31 6 ••• 78")
        let order = Array(offered.indices)
        let expectedReasons = order.filter { $0 != other }.map { offered[$0] } + (other.map { [offered[$0]] } ?? [])
        let full = try renderForm(
            company: company, language: language, masked: masked, action: action, token: token, form: FormState(), reasons: expectedReasons
        )
        return compiled.fill(token: token, action: action, masked: masked, order: order) == full ? compiled : nil
    }
}

extension PageRenderer.FormState {
    /// Nothing typed, chosen or refused yet: the page as a tap on the link shows it.
    var isUntouched: Bool { phone.isEmpty && reason == nil && reasonText.isEmpty && error == nil }
}
