import Foundation
import PostgresNIO
import StoplinkCore

/// `InboundStore` on PostgreSQL.
extension PostgresStore {
    public func addNumber(companyID: String, number: String, at: Date) async throws -> Bool {
        throw PostgresStore.unimplemented(#function)
    }

    public func numbers(companyID: String) async throws -> [String] {
        throw PostgresStore.unimplemented(#function)
    }

    public func deleteNumber(companyID: String, number: String) async throws -> Bool {
        throw PostgresStore.unimplemented(#function)
    }

    public func company(forNumber number: String) async throws -> Company? {
        throw PostgresStore.unimplemented(#function)
    }

    public func rotateInboundSecret(companyID: String) async throws -> String {
        throw PostgresStore.unimplemented(#function)
    }

    public func inboundSecret(companyID: String) async throws -> String? {
        throw PostgresStore.unimplemented(#function)
    }

    public func processInbound(_ message: InboundMessage, decision: InboundDecision) async throws -> InboundRecord {
        throw PostgresStore.unimplemented(#function)
    }

    public func reviewQueue(companyID: String) async throws -> [ReviewItem] {
        throw PostgresStore.unimplemented(#function)
    }

    public func reviewQueuePage(companyID: String, limit: Int, now: Date) async throws -> ReviewQueuePage {
        throw PostgresStore.unimplemented(#function)
    }

    public func resolveReview(id: Int64, companyID: String, apply: Bool, actor: ConsentActor?, at: Date) async throws -> ReviewItem? {
        throw PostgresStore.unimplemented(#function)
    }

}

