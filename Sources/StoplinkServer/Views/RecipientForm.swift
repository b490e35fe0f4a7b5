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
    func recipientForm(company: Company, language: String, masked: String, action: String, token: String, form: FormState) throws -> String {
        var shuffled = offeredReasons(of: company, language: language)
        let other = shuffled.firstIndex { $0.key == "other" }.map { shuffled.remove(at: $0) }
        shuffled.shuffle()
        if let other { shuffled.append(other) }
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
            "reasons": shuffled.map { ["key": $0.key, "label": $0.label, "checked": $0.key == form.reason] as [String: Any] },
            "has_reasons": !shuffled.isEmpty,
        ]
        for key in ["phone_label", "phone_hint", "reason_legend", "submit"] {
            values[key] = text(key, language: language)
        }
        values["reason_text_label"] = text("reason_text_label", language: language, ["company": company.name])
        if let error = form.error { values["error"] = text(error, language: language) }
        return try render("form", language: language, values: values)
    }
}
