import StoplinkCore

extension Company {
    /// Applies a change that `CompanySettingsChange.checked()` found valid (pass its normalised
    /// form); settings the change leaves nil stay as they are. The API and the dashboard both
    /// save through here.
    public mutating func apply(_ settings: CompanySettingsChange) {
        if let name = settings.name { self.name = name }
        if let country = settings.defaultCountry { defaultCountry = country }
        if let language = settings.defaultLanguage { defaultLanguage = language }
        if let reasons = settings.reasons { self.reasons = reasons.isEmpty ? nil : reasons }
        if let pageText = settings.pageText { self.pageText = pageText }
        if let helpText = settings.helpText { self.helpText = helpText }
        if let confirmationText = settings.confirmationText { self.confirmationText = confirmationText }
        if let policy = settings.inboundPolicy.flatMap(InboundPolicy.init(rawValue:)) { inboundPolicy = policy }
        if let keywords = settings.keywords { self.keywords = keywords }
        if let rules = settings.messageRules { messageRules = rules }
        retention = settings.retention(applyingTo: retention)
    }
}
