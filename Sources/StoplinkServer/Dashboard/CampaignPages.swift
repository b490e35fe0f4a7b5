import Hummingbird

extension DashboardController {
    func addCampaignRoutes(to group: RouterGroup<DashboardContext>) {}
}
