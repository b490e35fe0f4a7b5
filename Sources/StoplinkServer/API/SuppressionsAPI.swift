import Foundation
import Hummingbird
import NIOCore
import StoplinkCore
import StoplinkStore

/// One number's state and history, opt-outs made elsewhere, opt-ins with evidence, and imports.
struct SuppressionsAPI: Sendable {

    let store: any Store
    let clock: any WallClock
    let metrics: StoplinkMetrics

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("suppressions/import", use: importCSV)
        group.get("suppressions/{phone}", use: show)
        group.put("suppressions/{phone}", use: optOut)
        group.delete("suppressions/{phone}", use: optIn)
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let (company, phone) = try number(context)
        return try APIJSON.response(try await state(company: company, phone: phone))
    }

    struct OptOutRequestBody: Decodable, KnownFields {
        static let knownFields: Set<String> = ["scope", "reason"]
        var scope: OptOutScope?
        var reason: String?
    }

    @Sendable func optOut(request: Request, context: AppRequestContext) async throws -> Response {
        let (company, phone) = try number(context)
        let body = try await APIJSON.decode(OptOutRequestBody.self, from: request)
        let reason = body.reason.flatMap { FreeText.clean($0, limit: 200) }
        let outcome = try await store.recordOptOut(OptOutRequest(
            companyID: company.id, phone: phone, scope: body.scope ?? .marketing, source: .api, reason: reason,
            occurredAt: clock.now()
        ))
        let status: HTTPResponse.Status
        if case .recorded = outcome {
            metrics.optOuts(source: .api)
            status = .created
        } else {
            status = .ok
        }
        return try APIJSON.response(try await state(company: company, phone: phone), status: status)
    }

    struct OptInRequestBody: Decodable, KnownFields {
        static let knownFields: Set<String> = ["evidence"]
        var evidence: String
    }

    @Sendable func optIn(request: Request, context: AppRequestContext) async throws -> Response {
        let (company, phone) = try number(context)
        let body = try await APIJSON.decode(OptInRequestBody.self, from: request)
        guard let evidence = FreeText.clean(body.evidence, limit: 1_000) else {
            throw APIError.invalid("evidence", "must say how consent was given again")
        }
        _ = try await store.recordOptIn(companyID: company.id, phone: phone, source: .api, evidence: evidence, at: clock.now())
        return try APIJSON.response(try await state(company: company, phone: phone))
    }

    // MARK: Import

    struct ImportAnswer: Encodable {
        var added: Int
        var already: Int
        var rejected: [LineError]
    }

    /// CSV `phone[,opted_out_at][,reason]` (a header line names the columns, or they come in this
    /// order without one); adds opt-outs with source `import` in batches, never opting anyone back in.
    @Sendable func importCSV(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        guard request.sendsCSV else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "send the opt-outs as text/csv")
        }
        var importer = OptOutImporter(store: store, company: company, actor: nil, now: clock.now(), metrics: metrics)
        var answer = ImportAnswer(added: 0, already: 0, rejected: [])
        func count(_ results: [OptOutImporter.LineResult]) {
            for result in results {
                switch result.outcome {
                case .added: answer.added += 1
                case .already: answer.already += 1
                case .rejected(let reason): answer.rejected.append(LineError(line: result.line, input: result.input, reason: reason))
                }
            }
        }
        do {
            for try await chunk in request.body {
                count(try await importer.feed(chunk.readableBytesView))
                if importer.stopped { break }
            }
            count(try await importer.finish())
        } catch let error as RecipientCSVError {
            throw APIError(.unprocessableContent, error.code, error.description)
        }
        return try APIJSON.response(answer)
    }

    // MARK: Helpers

    private func number(_ context: AppRequestContext) throws -> (Company, PhoneNumber) {
        let company = try context.requireCompany()
        let input = context.parameters.get("phone")?.removingPercentEncoding ?? ""
        do {
            return (company, try PhoneNumber(parsing: input, defaultRegion: company.defaultCountry))
        } catch {
            throw APIError(.unprocessableContent, "invalid_phone", "\(PhoneNumber.mask(input)): \(error.description)",
                           details: [.init(field: "phone", reason: error.description)])
        }
    }

    private func state(company: Company, phone: PhoneNumber) async throws -> NumberStateView {
        let suppression = try await store.suppression(companyID: company.id, phone: phone)
        let history = try await store.history(companyID: company.id, phone: phone)
        return NumberStateView(
            phone: phone.e164, suppressed: suppression != nil, scope: suppression?.scope, since: suppression?.since,
            history: history.map(ConsentEventView.init)
        )
    }
}
