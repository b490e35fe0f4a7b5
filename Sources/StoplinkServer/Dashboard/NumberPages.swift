import Hummingbird

extension DashboardController {
    func addNumberRoutes(to group: RouterGroup<DashboardContext>) {}
}
