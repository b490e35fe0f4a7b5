import Hummingbird

extension DashboardController {
    func addCompanySettingsRoutes(to group: RouterGroup<DashboardContext>) {}
}
