import Hummingbird

extension DashboardController {
    func addIntegrationSettingsRoutes(to group: RouterGroup<DashboardContext>) {}
}
